"""Shared fixtures: a sample workspace in a temp folder, the CLI, and PDF readers."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from typer.testing import CliRunner

from handoutgen.cli import app

REPO = Path(__file__).resolve().parent.parent


# Every run of the suite sees the same date, whatever the clock says (see handoutgen.clock).
FIXED_TODAY = "2026-11-22"


@pytest.fixture(scope="session", autouse=True)
def no_real_home(tmp_path_factory):
    """Caches (font coverage, fontconfig) go to a temp folder, never the real home; the date is fixed."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    patch.setenv("HANDOUTGEN_TODAY", FIXED_TODAY)
    yield
    patch.undo()


def copy_sample_workspace(root: Path) -> Path:
    """The repository's sample workspace copied to ``root``."""
    root.mkdir(parents=True)
    for name in ("handouts", "templates", "styles"):
        shutil.copytree(REPO / name, root / name)
    for name in ("handoutgen.yaml", "jargon.yaml"):
        shutil.copy(REPO / name, root / name)
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the repository's sample workspace that a test may change freely."""
    return copy_sample_workspace(tmp_path / "ws")


HANDOUT = Path("handouts/retrograde-pyelography/en.yaml")


def edit(workspace: Path, old: str, new: str, path: Path = HANDOUT) -> None:
    """Replace the first ``old`` in a workspace file (which must hold it) with ``new``."""
    file = workspace / path
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(workspace: Path, needle: str, path: Path = HANDOUT) -> int:
    """The 1-based line of a workspace file where ``needle`` first appears."""
    for number, line in enumerate((workspace / path).read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path) -> Run:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(autouse=True)
def fail_on_weasyprint_logs(request, caplog):
    """Like WeasyPrint's own assert_no_logs: a warning it only logs is a test failure.

    Tests that provoke a warning on purpose (to see the render refuse it) carry the
    ``weasyprint_logs_expected`` marker.
    """
    caplog.set_level(logging.WARNING, logger="weasyprint")
    yield
    if request.node.get_closest_marker("weasyprint_logs_expected") is None:
        logged = [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
        assert logged == [], f"WeasyPrint logged: {logged}"


def pdf_pages_text(path: Path) -> list[str]:
    document = pypdfium2.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def pdf_text(path: Path) -> str:
    # PDFium breaks lines where the layout does; join them so phrases can be searched.
    return " ".join(" ".join(pdf_pages_text(path)).split())


def pdf_fonts(path: Path) -> dict[str, bool]:
    """Every font used on any page: base name -> whether its program is embedded."""
    fonts = {}
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            resources = page.obj.get("/Resources", {})
            for font in resources.get("/Font", {}).values():
                descendants = font.get("/DescendantFonts")
                target = descendants[0] if descendants is not None else font
                descriptor = target.get("/FontDescriptor", {})
                embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                fonts[str(font.get("/BaseFont"))] = embedded
    return fonts
