"""handoutgen: structured procedure data to branded, printable patient-handout PDFs."""

__version__ = "0.1.0"
