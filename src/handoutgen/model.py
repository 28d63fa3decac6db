"""The typed model of a handout, a brand and a workspace config.

Templates see these attributes, never dict lookups, and ``handoutgen schema``
prints the JSON Schema pydantic derives from them. Every model forbids unknown
keys: a misspelt key must be an error, not a value that silently disappears.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, model_validator

from handoutgen.markup import link_problem

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# BCP 47 subset: language, optional script, optional region (en, es, zh-Hans, pt-BR).
LANGUAGE_PATTERN = r"^[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?$"
HEX_COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"
PHONE_PATTERN = r"^\+?[0-9(][0-9 ().\-]{1,30}[0-9]$"

# What each pattern means, for error messages a person can act on.
PATTERN_HELP = {
    SLUG_PATTERN: "use lower-case letters, digits and single hyphens, e.g. 'kidney-stent'",
    LANGUAGE_PATTERN: "use a language tag such as 'en', 'es', 'zh-Hans' or 'pt-BR'",
    HEX_COLOUR_PATTERN: "use a colour like '#0b5d6b' (in quotes)",
    PHONE_PATTERN: "use digits, spaces and ( ) . - with an optional leading +, e.g. '(555) 010-0142'",
}


def _no_bare_number(value: object) -> object:
    # YAML reads `version: 1.0` as the float 1.0 and `1.10` as 1.1: refuse, with the fix.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f'write it as text in quotes, e.g. "{value}", so YAML keeps it exact')
    return value


# Dates a handout can sensibly carry; year 1 or 9999 is a typo, and date arithmetic overflows there.
MIN_YEAR, MAX_YEAR = 1900, 2999
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    """A date written as YYYY-MM-DD, never a number (pydantic would read 0 as 1970-01-01)."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(text := value.strip()):
        try:
            value = dt.date.fromisoformat(text)
        except ValueError as error:
            raise ValueError(f"'{text}' is not a real date ({error})") from None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValueError("write a date as YYYY-MM-DD, e.g. 2026-11-22 (no time, not a number)")
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"year {value.year} is out of range ({MIN_YEAR}-{MAX_YEAR})")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _printable_markup(value: str) -> str:
    # Inline markup (markup.py): a link the page could not print safely is an error at its line.
    if problem := link_problem(value):
        raise ValueError(problem)
    return value


Text = Annotated[str, AfterValidator(_not_blank), AfterValidator(_printable_markup)]
OptionalText = Annotated[str, AfterValidator(_printable_markup)]  # may be empty
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=80)]
LanguageTag = Annotated[str, Field(pattern=LANGUAGE_PATTERN)]
HexColour = Annotated[str, Field(pattern=HEX_COLOUR_PATTERN)]
Phone = Annotated[str, Field(pattern=PHONE_PATTERN)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
# A file named in a YAML file: the operating system refuses NUL, control characters and very
# long names with exceptions of its own, so they are errors here, at the line that names them.
FILE_NAME_PATTERN = r"^[^\x00-\x1f\x7f]*$"
PATTERN_HELP[FILE_NAME_PATTERN] = "a file name may not contain control characters"
FileName = Annotated[str, Field(pattern=FILE_NAME_PATTERN, max_length=255)]
VersionText = Annotated[str, BeforeValidator(_no_bare_number), Field(min_length=1, max_length=20)]


class Strict(BaseModel):
    # No field needs infinity or NaN; "nan" would silently switch a threshold off.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)


class Source(Strict):
    """Where the content came from; printed as an attribution, never fetched."""

    title: Text
    publisher: str = ""
    url: str = ""
    date: IsoDate | None = None
    note: OptionalText = Field("", description="How the source was adapted, for reviewers and readers.")


class Term(Strict):
    term: Text
    meaning: Text = Field(description="A plain explanation of the term.")


# A field written either as text or a list, or as an object: the discriminator picks the
# branch by shape. Its tags (in <...>) are dropped from error locations (validate.py), so an
# error names the field and line as written.
def _shape(value: object) -> str | None:
    if isinstance(value, str):
        return "<text>"
    if isinstance(value, list):
        return "<list>"
    if isinstance(value, (dict, BaseModel)):
        return "<object>"
    return None


FIGURE_SUFFIXES = (".svg", ".png")
MAX_TABLE_COLUMNS = 4


def _figure_file(value: str) -> str:
    if not value.lower().endswith(FIGURE_SUFFIXES):
        raise ValueError("a figure is an .svg or .png file")
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\")) or ".." in parts or ":" in value:
        raise ValueError("name a file in the handout's folder or in the workspace's figures/ folder "
                         "(no absolute path, no '..')")
    return value


class Figure(Strict):
    """A picture (SVG or PNG) from the handout's folder or the workspace's ``figures/`` folder.

    A translation shows ``<name>.<language>.svg`` instead when that file exists beside it
    (e.g. labels in Spanish: ``kidney-stent.es.svg``).
    """

    src: Annotated[FileName, AfterValidator(_figure_file)] = Field(
        description="File name: looked up in the handout's folder, then in figures/."
    )
    alt: Text = Field(description="What the picture shows, for a reader who cannot see it (about 250 characters at most).")
    caption: OptionalText = Field("", description="Printed under the picture.")
    width: int = Field(60, ge=10, le=100, description="Width in percent of the text column.")


def _one_level(value: object) -> object:
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        raise ValueError("sub-items are plain text: a sub-item cannot have sub-items of its own (one level only)")
    return value


class ListItem(Strict):
    """A list item with sub-items or a figure: ``{text: ..., items: [...]}``."""

    text: Text
    items: Annotated[list[Text], BeforeValidator(_one_level)] = Field(
        [], description="Sub-items: plain text, one level only."
    )
    figure: Figure | None = None


Item = Annotated[
    Annotated[Text, Tag("<text>")] | Annotated[ListItem, Tag("<object>")],
    Discriminator(_shape, custom_error_type="item_shape",
                  custom_error_message="a list item is text, or an object with 'text' and 'items' (sub-items) or 'figure'"),
]


class Table(Strict):
    """A simple table, e.g. a medicine schedule: a header row of at most 4 columns, then rows."""

    caption: OptionalText = ""
    header: list[Text] = Field(min_length=1, max_length=MAX_TABLE_COLUMNS)
    rows: list[list[OptionalText]] = Field(min_length=1)

    @model_validator(mode="after")
    def _rows_fit_header(self) -> Table:
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.header):
                raise ValueError(f"row {number} has {len(row)} cells but the header has {len(self.header)}; "
                                 "give every row one cell per column")
        return self


class ListSection(Strict):
    """A section written as an object: a lead-in line, then items, a figure or a table.

    A plain list is the same as ``{items: [...]}``.
    """

    intro: OptionalText = Field("", description="A lead-in line printed before the list.")
    items: list[Item] = []
    checklist: bool = Field(False, description="Print a tick box before each item (preparation, aftercare).")
    figure: Figure | None = None
    table: Table | None = None


Section = Annotated[
    Annotated[list[Item], Tag("<list>")] | Annotated[ListSection, Tag("<object>")],
    Discriminator(_shape, custom_error_type="section_shape",
                  custom_error_message="a section is a list, or an object with intro, items, checklist, figure or table"),
]


def section_parts(section: list[str | ListItem] | ListSection) -> ListSection:
    """Any section as its object form (a plain list is its items)."""
    return section if isinstance(section, ListSection) else ListSection.model_construct(items=list(section))


def has_content(section: list[str | ListItem] | ListSection) -> bool:
    parts = section_parts(section)
    return bool(parts.intro or parts.items or parts.figure or parts.table)


def _has_items(section: list[str | ListItem] | ListSection) -> list[str | ListItem] | ListSection:
    if not section_parts(section).items:
        raise ValueError("needs at least one paragraph")
    return section


class ExpectedSteps(Strict):
    """What happens, as numbered steps a patient can follow."""

    before: Section = []
    during: Section = []
    after: Section = Field([], description="Right after the procedure.")

    def is_empty(self) -> bool:
        return not any(has_content(part) for part in (self.before, self.during, self.after))


class NormalEffect(Strict):
    """Something that is normal after the procedure, how long it lasts and what helps."""

    what: Text
    how_long: OptionalText = ""
    what_helps: list[Text] = []


class Aftercare(Strict):
    normal: list[NormalEffect] = []
    instructions: Section = Field([], description="'Caring for yourself'; may be a checklist.")

    def is_empty(self) -> bool:
        return not (self.normal or has_content(self.instructions))


class WhenToCall(Strict):
    """The boxes with the clinic's phone number; they always print. Only signs the source names."""

    emergency: Section = Field([], description="Call the emergency number (brand.emergency_number) or go to the ER.")
    call_now: Section = Field([], description="Call the clinic the same day.")
    call_soon: Section = Field([], description="Call the clinic during office hours.")
    warning_signs: Section = Field([], description="The older name of call_now, still accepted.")

    @model_validator(mode="after")
    def _one_name_for_same_day(self) -> WhenToCall:
        if has_content(self.call_now) and has_content(self.warning_signs):
            raise ValueError("give call_now or warning_signs (its older name), not both")
        return self

    @property
    def same_day(self) -> list[str | ListItem] | ListSection:
        """Signs to call the clinic about the same day (call_now, or warning_signs in older files)."""
        return self.call_now if has_content(self.call_now) else self.warning_signs


_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?(?:[/?#][^\s<>\"]*)?$")


def _https_url(value: str) -> str:
    if not value.lower().startswith("https://"):
        raise ValueError("use an https:// address: a QR code must not lead a patient to an unencrypted page")
    if not _HTTPS_URL.match(value):
        raise ValueError("not a web address like https://clinic.example/kidney-stent (no spaces)")
    return value


HttpsUrl = Annotated[str, Field(max_length=300), AfterValidator(_https_url)]


class Links(Strict):
    """Web addresses printed under "About this handout" as QR codes, each with its address beneath."""

    web: HttpsUrl | None = Field(None, description="This handout on the clinic's website (https only).")
    video: HttpsUrl | None = Field(None, description="A video about the procedure (https only).")


class Handout(Strict):
    """One procedure handout in one language (``handouts/<id>/<language>.yaml``).

    Every text may hold inline markup (**bold**, *emphasis*, [links](https://…)); every list
    section may be written as an object with a lead-in, a checklist, a figure or a table.
    """

    id: Slug
    language: LanguageTag
    title: Text
    summary: Text = Field(description="One or two sentences: what this handout is about.")
    version: VersionText
    last_reviewed: IsoDate = Field(description="Date the content was last reviewed or updated.")
    reviewed_by: str = Field("", description='Empty prints "Not yet reviewed by a clinician".')
    sources: list[Source] = Field(min_length=1)
    links: Links = Field(Links(), description="Printed as QR codes; a translation may give its own.")
    review_notes: list[str] = Field(
        [], description="Notes for the reviewing clinician; never printed."
    )

    overview: Annotated[Section, AfterValidator(_has_items)] = Field(description="What it is, as paragraphs.")
    reasons: Section = Field([], description="Why it is done.")
    preparation: Section = Field([], description="Numbered steps; may be a checklist.")
    what_to_expect: ExpectedSteps = ExpectedSteps()
    benefits: Section = []
    risks: Section = []
    aftercare: Aftercare = Aftercare()
    when_to_call: WhenToCall = WhenToCall()
    questions: Section = Field([], description="Questions to ask your care team.")
    words_to_know: list[Term] = []

    @property
    def reviewed(self) -> bool:
        return bool(self.reviewed_by.strip())

    def figures(self) -> list[tuple[tuple[str | int, ...], Figure]]:
        """Every figure with its place in the file, e.g. ``("overview", "figure")``."""
        return [(path, value) for path, value in _walk_models(self, ()) if isinstance(value, Figure)]

    def has_checklist(self) -> bool:
        return any(isinstance(value, ListSection) and value.checklist and value.items
                   for _, value in _walk_models(self, ()))


def _walk_models(value: object, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], object]]:
    found: list[tuple[tuple[str | int, ...], object]] = [(path, value)]
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            found += _walk_models(getattr(value, name), (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _walk_models(item, (*path, index))
    return found


def _relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str = "#ffffff") -> float:
    """WCAG contrast ratio of two colours (default: against white paper)."""
    lighter, darker = sorted((_relative_luminance(first), _relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _readable_on_white(value: str) -> str:
    ratio = contrast(value)
    if ratio < 4.5:
        raise ValueError(
            f"{value} has a contrast of {ratio:.1f}:1 on white paper; headings and the "
            "phone number are printed in it and need at least 4.5:1 (choose a darker colour)"
        )
    return value


class BrandColours(Strict):
    primary: Annotated[HexColour, AfterValidator(_readable_on_white)] = Field(
        description="Headings, rules and the phone number; must read well on white."
    )
    accent: HexColour = Field(description="Background tint of the 'When to call' box.")

    @model_validator(mode="after")
    def _phone_readable_in_box(self) -> BrandColours:
        # The phone number is printed in the primary colour on the accent tint.
        ratio = contrast(self.primary, self.accent)
        if ratio < 4.5:
            raise ValueError(
                f"primary {self.primary} on accent {self.accent} has a contrast of {ratio:.1f}:1; "
                "the phone number in the 'When to call' box needs at least 4.5:1 "
                "(make the accent a lighter tint)"
            )
        return self


class Brand(Strict):
    """A clinic's identity (``styles/brands/<name>/brand.yaml``)."""

    name: Text = Field(description="Clinic name, printed in the header.")
    logo: FileName = Field("", description="SVG or PNG file beside brand.yaml; empty for none.")
    logo_alt: str = Field("", description="Alternative text for the logo.")
    colours: BrandColours
    phone: Phone
    emergency_number: str = Field("911", description="Emergency services number.")
    address: str = ""
    website: str = ""
    footer: str = Field("", description="A short line printed at the foot of every page.")


PaperSize = Literal["letter", "a4"]


class CheckSettings(Strict):
    """Thresholds of the content checks (``checks:`` in handoutgen.yaml)."""

    max_grade: float = Field(8, description="Warn when the Flesch–Kincaid grade is above this (NIH: below 8).")
    target_grade: float = Field(6, description="The grade to aim for, shown in reports (AMA: 6 or lower).")
    min_spanish_ease: float = Field(
        70, description="Warn when Fernández-Huerta ease (corrected form, words per sentence) is below this."
    )
    max_sentence_words: int = Field(20, ge=5)
    max_long_word_share: float = Field(
        0.15, ge=0, le=1, description="Warn when more than this share of words have 3+ syllables (English)."
    )
    pemat_target: float = Field(70, ge=0, le=100, description="Minimum PEMAT-style score, in percent.")
    review_interval_months: int = Field(24, ge=1)
    jargon_file: FileName = Field("jargon.yaml", description="Jargon list with plain alternatives, in the workspace.")


def _time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a known IANA time zone; use a name such as 'America/New_York'") from None
    return value


class FhirSettings(Strict):
    """How a FHIR R4 schedule bundle becomes roster rows (``fhir:`` in handoutgen.yaml)."""

    patient_id_system: str = Field(
        min_length=1, description="Identifier system of the clinic's MRN; that identifier becomes patient_id."
    )
    time_zone: Annotated[str, AfterValidator(_time_zone)] = Field(
        description="The clinic's IANA time zone, e.g. America/New_York: covers show appointment times in it."
    )
    handouts_by_code: dict[str, list[Slug]] = Field(
        {}, description="serviceType/appointmentType code ('system|code', or 'code' for any system) → "
        "handout ids; [] marks a code that needs no handout."
    )


class WorkspaceConfig(Strict):
    """Optional ``handoutgen.yaml`` at the workspace root."""

    default_brand: Slug | None = None
    paper: PaperSize = "letter"
    languages: list[LanguageTag] = Field(
        [], description="Languages every handout should be translated into (for `i18n status`)."
    )
    checks: CheckSettings = CheckSettings()
    fhir: FhirSettings | None = Field(None, description="Reading FHIR R4 schedule bundles as rosters.")
    cover_engine: Literal["auto", "typst", "html"] = Field(
        "auto", description="What lays out packet covers: 'typst' (fast), 'html' (templates/cover.html.j2 and "
        "styles/cover.css through WeasyPrint), or 'auto': typst unless the workspace has its own cover "
        "template or cover stylesheet.",
    )


class JargonTerm(Strict):
    term: Text
    plain: Text = Field(description="The plain wording to use instead, or to put first.")
    variants: list[Text] = Field([], description="Other forms of the term (plurals, spellings).")


class JargonList(Strict):
    """The workspace's jargon list (``jargon.yaml``): medical terms and their plain wording."""

    language: LanguageTag = "en"
    terms: list[JargonTerm]



# A patient_id names the packet file: keep it to characters that are safe in any file system.
PATIENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
PATTERN_HELP[PATIENT_ID_PATTERN] = (
    "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (no '/', '..' or spaces)"
)
# Names Windows reserves whatever the extension: "CON.pdf" cannot be created there.
_RESERVED_FILE_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
# Appointment years a schedule can hold; anything else is a shifted or mistyped cell.
APPOINTMENT_YEARS = (2000, 2199)
# Strict ISO 8601 (extended format) as the README promises: 2026-12-01, 2026-12-01T09:30,
# 2026-12-01 09:30:00+01:00. Digits alone (20261201, 46357.39, 930) are never a date.
_ISO_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?$"
)
_NUMBER = re.compile(r"^[0-9]+(?:[.,][0-9]+)?$")
# Free text on the cover: long enough for any real value, short enough to stay on the page.
SHORT_TEXT_MAX = 200
PREP_TEXT_MAX = 1500


def _patient_id(value: object) -> object:
    # YAML and JSON exports write numeric MRNs as numbers: an int is that id as text.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if isinstance(value, str) and value.split(".")[0].casefold() in _RESERVED_FILE_NAMES:
        raise ValueError("is a name Windows reserves for devices (CON, NUL, AUX, COM1, …); use another id")
    return value


def _appointment(value: object) -> object:
    """Only ISO date-times (or dates and date-times YAML already read): never a number."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.match(value.strip())):
        raise ValueError(
            "a number, not a date (a spreadsheet date serial?): export it as text like "
            "2026-12-01T09:30, or give the export's pattern with --date-format"
        )
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE_TIME.match(text):
            raise ValueError(
                "not an ISO date-time like 2026-12-01T09:30; for other layouts give the pattern "
                "with --date-format, e.g. '%m/%d/%Y %I:%M %p'"
            )
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("not a real date or time (day, month or hour out of range)") from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if isinstance(value, dt.datetime) and not APPOINTMENT_YEARS[0] <= value.year <= APPOINTMENT_YEARS[1]:
        raise ValueError(f"year {value.year} is outside {APPOINTMENT_YEARS[0]}–{APPOINTMENT_YEARS[1]}")
    return value


def _printable(value: str) -> str:
    # Control characters (escape sequences, NUL, lone surrogates) are not text a cover can print.
    if any(unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\t" for char in value):
        raise ValueError("contains control or invalid characters")
    return value


CoverText = Annotated[str, AfterValidator(_printable), Field(max_length=SHORT_TEXT_MAX)]


class RosterRow(Strict):
    """One patient's row of a roster exported by a scheduling system."""

    patient_id: Annotated[str, BeforeValidator(_patient_id), Field(pattern=PATIENT_ID_PATTERN)]
    patient_name: CoverText = ""
    language: LanguageTag = "en"
    handouts: list[Slug] = Field(min_length=1, max_length=20, description="Handout ids, separated by ';' in CSV.")
    appointment: Annotated[dt.datetime | None, BeforeValidator(_appointment)] = Field(
        None, description="ISO date-time, e.g. 2026-12-01T09:30 (other layouts: --date-format)."
    )
    arrive_minutes_before: Annotated[int, Field(ge=0, le=600)] | None = None
    location: CoverText = ""
    clinician: CoverText = ""
    prep: Annotated[str, AfterValidator(_printable), Field(max_length=PREP_TEXT_MAX)] = Field(
        "", description="Preparation in free text, printed on the cover letter."
    )
    phone: Phone | None = Field(None, description="Overrides the brand's phone number.")
    format: Literal["standard", "large-print", "bilingual"] = Field(
        "standard", description="The edition of the handouts: standard, large-print (also a large-print "
        "cover letter), or bilingual (each section followed by the same section in bilingual_with)."
    )
    bilingual_with: LanguageTag = Field(
        "en", description="The second language of a bilingual row (default English); the handouts need a version in it."
    )

    @model_validator(mode="after")
    def _two_languages(self) -> RosterRow:
        if self.format == "bilingual" and self.bilingual_with == self.language:
            raise ValueError(f"format 'bilingual' needs two languages: bilingual_with is the row's language "
                             f"'{self.language}'; set bilingual_with to the second language")
        return self

    @property
    def arrival(self) -> dt.datetime | None:
        if self.appointment is None or self.arrive_minutes_before is None:
            return None
        return self.appointment - dt.timedelta(minutes=self.arrive_minutes_before)


ReviewState = Literal["draft", "translated", "reviewed", "approved"]
REVIEW_STATES: tuple[str, ...] = ("draft", "translated", "reviewed", "approved")  # in order


class SegmentTranslation(Strict):
    """One translated segment, with the source text it was translated from."""

    source: str = Field(description="The source-language text this translates, as it was then.")
    fingerprint: str = Field(description="Fingerprint of `source`; compared with the current source.")
    text: Text = Field(description="The translation.")
    state: ReviewState = Field(
        "draft", description="draft (unchecked, e.g. machine-drafted) → translated → reviewed → approved."
    )
    reviewed_by: str = Field("", description="Who reviewed or approved this segment.")
    reviewed_on: dt.date | None = Field(None, description="When it was reviewed or approved.")

    @property
    def reviewed(self) -> bool:
        return self.state in ("reviewed", "approved")


class Translation(Strict):
    """A translation of a handout (``handouts/<id>/<language>.yaml`` with ``source_language``).

    Managed by ``handoutgen i18n import``; every segment records the source text it
    translates, so a change in the source shows up as a stale segment.
    """

    id: Slug
    language: LanguageTag
    source_language: LanguageTag
    status: Literal["draft", "reviewed"] = Field(
        "draft", description="'reviewed' only once a qualified medical translator has reviewed it."
    )
    translated_by: str = ""
    reviewed_by: str = Field("", description="The qualified medical translator who reviewed it.")
    links: Links | None = Field(None, description="Replaces the source's links (e.g. a video in this language).")
    segments: dict[str, SegmentTranslation] = {}
