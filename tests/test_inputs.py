"""Hostile and clumsy input files: every one ends in `path:line: message`, never a traceback.

The YAML loader limits nesting and size before building anything, refuses tags,
and turns values it cannot read (an impossible date, a number too large) into
errors with the line and field. Dates are ISO dates, never numbers.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from handoutgen.errors import SourceError
from handoutgen.load import MAX_YAML_BYTES, MAX_YAML_DEPTH, load_yaml

from conftest import HANDOUT, edit, line_of


def load_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "file.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        load_yaml(path)
    return str(caught.value)


# --- nesting, size and node budget ---------------------------------------------------------

def test_deep_flow_nesting_is_refused_with_the_line(tmp_path):
    message = load_error(tmp_path, "title: x\nreasons: " + "[" * 1500 + "]" * 1500 + "\n")
    assert message == f"{tmp_path / 'file.yaml'}:2: YAML: nesting deeper than {MAX_YAML_DEPTH} levels"


def test_deep_block_nesting_is_refused(tmp_path):
    # Indented block lists: 300 levels, well under the size cap.
    text = "".join("  " * level + "-\n" for level in range(300))
    assert f"YAML: nesting deeper than {MAX_YAML_DEPTH} levels" in load_error(tmp_path, text)


def test_fifty_thousand_levels_neither_crash_nor_take_long(tmp_path):
    text = "a: " + "[" * 50_000 + "]" * 50_000
    assert len(text.encode()) < MAX_YAML_BYTES
    started = time.perf_counter()
    message = load_error(tmp_path, text)
    assert "nesting deeper than" in message
    # Refused at level 33, so it never reads the rest; generous bound for a shared machine.
    assert time.perf_counter() - started < 5


def test_nesting_at_the_limit_still_loads(tmp_path):
    path = tmp_path / "file.yaml"
    path.write_text("[" * MAX_YAML_DEPTH + "]" * MAX_YAML_DEPTH, encoding="utf-8")
    data = load_yaml(path).data
    for _ in range(MAX_YAML_DEPTH - 1):
        data = data[0]
    assert data == []


def test_too_many_values_are_refused(tmp_path):
    path = tmp_path / "file.yaml"
    path.write_text("[" + ",".join(["1"] * 2000) + "]", encoding="utf-8")
    with pytest.raises(SourceError, match=r"file.yaml:1: YAML: more than 1000 values in one file"):
        load_yaml(path, max_nodes=1000)
    assert len(load_yaml(path).data) == 2000  # the default budget is far above any handout


def test_oversized_file_is_refused_before_parsing(tmp_path):
    message = load_error(tmp_path, "a: " + "x" * MAX_YAML_BYTES)
    assert "over the 524288-byte limit" in message


@pytest.mark.parametrize("text, problem", [
    ("a: " + "[" * 1500, "nesting deeper than"),
    ("a: !!str x", "tags such as '!!str'"),
    ("a: 2026-02-30", "is not a real date"),
    ("a: &x 1", "anchors and aliases"),
])
def test_the_pure_python_parser_refuses_the_same(tmp_path, monkeypatch, text, problem):
    """Without libyaml, PyYAML's own parser is used: the same limits hold."""
    import yaml

    import handoutgen.load

    monkeypatch.setattr(handoutgen.load, "_Loader", yaml.SafeLoader)
    assert problem in load_error(tmp_path, text)


# --- tags, anchors, documents ---------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [
    ("!!python/object/apply:os.system [echo hi]", "!!python/object/apply:os.system"),
    ("!!str 1.0", "!!str"),
    ("!foo text", "!foo"),
    ("! text", "!"),
    ("!!map {a: 1}", "!!map"),
    ("!!seq [a]", "!!seq"),
    ("!!set {a, b}", "!!set"),
    ("!!binary aGVsbG8=", "!!binary"),
])
def test_tags_on_any_node_are_refused_with_line_and_field(tmp_path, value, shown):
    message = load_error(tmp_path, f"title: x\nsummary: {value}\n")
    assert message.startswith(f"{tmp_path / 'file.yaml'}:2: field 'summary': YAML: tags such as '{shown}' are not allowed")


def test_tag_on_a_nested_list_item(tmp_path):
    message = load_error(tmp_path, "reasons:\n  - one\n  - !!omap [a: 1]\n")
    assert ":3: field 'reasons[1]': YAML: tags such as '!!omap'" in message


@pytest.mark.parametrize("text, line, problem", [
    ("a: &x [1]\nb: *x\n", 1, "anchors and aliases"),
    ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a'"),
    ("a: 1\n---\nb: 2\n", 2, "only one document per file"),
    ("? [a, b]\n: 1\n", 1, "a key must be plain text"),
])
def test_structures_a_handout_never_needs_are_refused(tmp_path, text, line, problem):
    message = load_error(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'file.yaml'}:{line}: YAML") and problem in message


# --- values YAML cannot read ---------------------------------------------------------------

@pytest.mark.parametrize("value, problem", [
    ("2026-02-30", "'2026-02-30' is not a real date (day is out of range for month)"),
    ("2026-13-01", "'2026-13-01' is not a real date (month must be in 1..12)"),
    ("0000-01-01", "'0000-01-01' is not a real date (year 0 is out of range)"),
    ("2026-01-01 25:00:00", "is not a real date"),
    ("9" * 5000, "is too large a number; put text in quotes"),
    (".nan", "'.nan' is not a finite number"),
    ("-.inf", "'-.inf' is not a finite number"),
    ("1.0e+999", "'1.0e+999' is not a finite number"),
])
def test_unreadable_values_name_line_and_field(tmp_path, value, problem):
    message = load_error(tmp_path, f"title: x\nsources:\n  - title: y\n    date: {value}\n")
    assert message.startswith(f"{tmp_path / 'file.yaml'}:4: field 'sources[0].date': ")
    assert problem in message


def test_impossible_key_is_an_error_too(tmp_path):
    assert ":2: " in load_error(tmp_path, "a: 1\n2026-02-30: x\n")


def test_lines_of_values_are_kept(tmp_path):
    path = tmp_path / "file.yaml"
    path.write_text("a:\n  b:\n    - x\n    - y: 1\nc: 2026-01-01\n", encoding="utf-8")
    loaded = load_yaml(path)
    assert loaded.data == {"a": {"b": ["x", {"y": 1}]}, "c": dt.date(2026, 1, 1)}
    assert loaded.line_of(("a", "b", 1, "y")) == 4
    assert loaded.line_of(("c",)) == 5
    assert loaded.line_of(("a", "missing")) == 1


# --- dates in a handout, through `check` ----------------------------------------------------

@pytest.mark.parametrize("old, new, field, problem", [
    ("last_reviewed: 2026-11-22", "last_reviewed: 2026-02-30", "last_reviewed", "is not a real date"),
    ("    date: 2024-12-18", "    date: 2026-13-01", "sources[0].date", "is not a real date"),
    ("last_reviewed: 2026-11-22", "last_reviewed: 0001-01-01", "last_reviewed", "year 1 is out of range"),
    ("last_reviewed: 2026-11-22", "last_reviewed: 20261122", "last_reviewed", "write a date as YYYY-MM-DD"),
    ("last_reviewed: 2026-11-22", "last_reviewed: 0", "last_reviewed", "write a date as YYYY-MM-DD"),
    ("last_reviewed: 2026-11-22", 'last_reviewed: "1700000000"', "last_reviewed", "write a date as YYYY-MM-DD"),
    ("last_reviewed: 2026-11-22", "last_reviewed: 2026-11-22 10:30", "last_reviewed", "no time"),
    ("    date: 2024-12-18", "    date: 18/12/2024", "sources[0].date", "write a date as YYYY-MM-DD"),
])
def test_bad_dates_are_check_errors_and_the_rest_is_checked(cli, workspace, old, new, field, problem):
    edit(workspace, old, new)
    other = Path("handouts/nephrostomy-ureteral-stent/en.yaml")
    edit(workspace, "\nreasons:", "\nreasosn:", other)  # a second, unrelated problem is still found
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    line = line_of(workspace, new.strip())
    assert f"{HANDOUT}:{line}: error: field '{field}': " in result.stderr
    assert problem in result.stderr
    assert f"{other}:" in result.stderr and "unknown key 'reasosn'" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_quoted_iso_date_is_fine(cli, workspace):
    edit(workspace, "last_reviewed: 2026-11-22", 'last_reviewed: "2026-11-22"')
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 0, result.stderr


def test_nan_threshold_in_config_is_an_error(cli, workspace):
    config = workspace / "handoutgen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + 'checks:\n  max_grade: "nan"\n', encoding="utf-8")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert "handoutgen.yaml:" in result.stderr and "field 'checks.max_grade'" in result.stderr


# --- `check` finds what `build` would refuse --------------------------------------------------

def check_and_build(cli, workspace: Path, tmp_path: Path):
    """Run check, then build of one handout; both results."""
    checked = cli("check", "--workspace", workspace)
    built = cli("build", "retrograde-pyelography", "--lang", "en", "--workspace", workspace,
                "--out", tmp_path / "out", "--jobs", "1")
    for result in (checked, built):
        assert "Traceback" not in result.stdout + result.stderr
    return checked, built


@pytest.mark.slow
@pytest.mark.weasyprint_logs_expected  # the build refuses the characters WeasyPrint cannot draw
def test_control_characters_fail_check_as_they_fail_build(cli, workspace, tmp_path):
    edit(workspace, "title: Retrograde Pyelography", r'title: "Retrograde \e[31mPyelography\0 \x85"')
    checked, built = check_and_build(cli, workspace, tmp_path)
    assert checked.exit_code == 1 and built.exit_code == 1
    line = line_of(workspace, "title: ")
    assert (f"{HANDOUT}:{line}: error: field 'title': control characters cannot be printed: "
            "U+001B, U+0000, U+0085") in checked.stderr
    assert "\x1b" not in checked.stderr + checked.stdout + built.stderr  # escapes never reach the terminal


def test_newlines_and_tabs_are_fine(cli, workspace):
    edit(workspace, "title: Retrograde Pyelography", r'title: "Retrograde\tPyelography"')
    assert cli("check", "--workspace", workspace).exit_code == 0


@pytest.mark.parametrize("char", ["\\u202e", "\\u202a", "\\u2066", "\\u2069"])
def test_bidi_controls_are_errors(cli, workspace, char):
    edit(workspace, "title: Retrograde Pyelography", f'title: "Call {char}555-0142"')
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert f"field 'title': bidirectional control characters U+{char[2:].upper()}" in result.stderr


def test_bidi_controls_in_a_translation_are_errors(cli, workspace):
    path = Path("handouts/retrograde-pyelography/ar.yaml")
    text = (workspace / path).read_text(encoding="utf-8")
    marker = "    text: "
    index = text.index(marker) + len(marker)
    (workspace / path).write_text(text[:index] + "\u202e" + text[index:], encoding="utf-8")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert f"{path}:" in result.stderr and "bidirectional control characters U+202E" in result.stderr


BRAND = Path("styles/brands/riverside/brand.yaml")
SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 8 8">'


@pytest.mark.parametrize("body, problem", [
    ('<image href="http://127.0.0.1:9/x.png" width="8" height="8"/>', "may not refer to other files or URLs"),
    ('<image xlink:href="file:///etc/passwd" width="8" height="8"/>', "may not refer to other files or URLs"),
    ('<use href="other.svg#a"/>', "may not refer to other files or URLs"),
    ('<rect width="8" height="8" fill="url(http://127.0.0.1:9/p)"/>', "may not refer to other files or URLs"),
    ('<style>@import url("http://127.0.0.1:9/a.css");</style>', "a style in the logo may not load"),
    ("<script>alert(1)</script>", "<script> is not allowed"),
    ('<foreignObject width="8" height="8"><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>',
     "<foreignObject> is not allowed"),
    ('<rect width="8" height="8" onload="alert(1)"/>', "event handler 'onload' is not allowed"),
    ("<rect", "is not a valid SVG file"),
])
def test_unsafe_svg_logo_fails_check_and_build_alike(cli, workspace, tmp_path, body, problem):
    (workspace / BRAND.parent / "logo.svg").write_text(f"{SVG_HEAD}{body}</svg>", encoding="utf-8")
    checked, built = check_and_build(cli, workspace, tmp_path)
    expected = f"{BRAND}:{line_of(workspace, 'logo:', BRAND)}: "
    assert checked.exit_code == 1 and f"{expected}error: field 'logo': logo.svg" in checked.stderr
    assert built.exit_code == 1 and f"{expected}field 'logo': logo.svg" in built.stderr
    assert problem in checked.stderr and problem in built.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_svg_with_entities_is_refused_before_expanding(cli, workspace):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
            + "".join(f'<!ENTITY {chr(98 + i)} "&{chr(97 + i)};&{chr(97 + i)};&{chr(97 + i)};">' for i in range(9))
            + f"]>\n{SVG_HEAD}<text>&j;</text></svg>")
    (workspace / BRAND.parent / "logo.svg").write_text(bomb, encoding="utf-8")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert "logo.svg line 2: a DOCTYPE is not allowed" in result.stderr


def test_svg_internal_references_are_fine(cli, workspace):
    (workspace / BRAND.parent / "logo.svg").write_text(
        f'{SVG_HEAD}<defs><linearGradient id="g"><stop offset="0" stop-color="#0b5d6b"/></linearGradient></defs>'
        '<rect id="r" width="8" height="8" fill="url(#g)"/><use href="#r"/></svg>', encoding="utf-8")
    assert cli("check", "--workspace", workspace).exit_code == 0


def png_header(width: int, height: int) -> bytes:
    """The signature and IHDR chunk of a PNG: enough to declare its size."""
    import struct
    import zlib

    ihdr = struct.pack(">II5B", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


@pytest.mark.parametrize("content, problem", [
    (png_header(12_000, 12_000), "is 12000 × 12000 pixels (144 megapixels), over the 25-megapixel limit"),
    (b"GIF89a not a png", "logo.png is not a PNG image"),
])
def test_png_logo_is_judged_by_its_header(cli, workspace, tmp_path, content, problem):
    (workspace / BRAND.parent / "logo.png").write_bytes(content)
    edit(workspace, "logo: logo.svg", "logo: logo.png", BRAND)
    checked, built = check_and_build(cli, workspace, tmp_path)
    assert checked.exit_code == 1 and problem in checked.stderr
    assert built.exit_code == 1 and problem in built.stderr


def test_png_logo_within_the_cap_passes_check(cli, workspace):
    (workspace / BRAND.parent / "logo.png").write_bytes(png_header(600, 200))
    edit(workspace, "logo: logo.svg", "logo: logo.png", BRAND)
    assert cli("check", "--workspace", workspace).exit_code == 0


def test_missing_font_file_is_a_check_error(cli, workspace):
    (workspace / "styles/fonts/atkinson-hyperlegible-latin-700-normal.ttf").unlink()
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert ("styles/fonts/fonts.css: error: font file 'atkinson-hyperlegible-latin-700-normal.ttf' named in "
            "fonts.css is missing") in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("missing", ["templates/page.css.j2", "templates/cover.html.j2", "styles/handout.css"])
def test_a_workspace_without_its_own_copy_uses_the_packaged_default(cli, workspace, tmp_path, missing):
    (workspace / missing).unlink()
    checked, built = check_and_build(cli, workspace, tmp_path)
    assert checked.exit_code == 0, checked.stderr
    assert built.exit_code == 0, built.stderr


def test_language_without_interface_catalog_fails_check_as_it_fails_build(cli, workspace, tmp_path):
    spanish = (workspace / "handouts/retrograde-pyelography/es.yaml").read_text(encoding="utf-8")
    german = workspace / "handouts/retrograde-pyelography/de.yaml"
    german.write_text(spanish.replace("\nlanguage: es\n", "\nlanguage: de\n"), encoding="utf-8")
    checked = cli("check", "--workspace", workspace)
    built = cli("build", "retrograde-pyelography", "--lang", "de", "--workspace", workspace, "--out", tmp_path)
    line = line_of(workspace, "language: de", german.relative_to(workspace))
    assert checked.exit_code == 1 and built.exit_code == 1
    assert (f"handouts/retrograde-pyelography/de.yaml:{line}: error: field 'language': "
            "no interface-string catalog for language 'de'") in checked.stderr


def test_unknown_default_brand_fails_check_as_it_fails_build(cli, workspace, tmp_path):
    edit(workspace, "default_brand: riverside", "default_brand: riversde", Path("handoutgen.yaml"))
    checked, built = check_and_build(cli, workspace, tmp_path)
    line = line_of(workspace, "default_brand:", Path("handoutgen.yaml"))
    assert checked.exit_code == 1 and built.exit_code != 0
    assert (f"handoutgen.yaml:{line}: error: field 'default_brand': default_brand 'riversde' has no "
            "styles/brands/riversde/brand.yaml; available: riverside") in checked.stderr


def test_template_syntax_error_is_a_check_error(cli, workspace):
    template = workspace / "templates/handout.html.j2"
    lines = template.read_text(encoding="utf-8").splitlines()
    template.write_text("\n".join([*lines, "{% if %}"]) + "\n", encoding="utf-8")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert f"templates/handout.html.j2:{len(lines) + 1}: error: template syntax:" in result.stderr


# --- the jargon list ---------------------------------------------------------------------------

def set_jargon_file(workspace: Path, value: str) -> int:
    """Name ``value`` as the jargon file in handoutgen.yaml; the line it is on."""
    config = workspace / "handoutgen.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + f"checks:\n  jargon_file: {value}\n", encoding="utf-8")
    return len(text.splitlines()) + 2


def test_misspelt_jargon_file_is_an_error_with_the_config_line(cli, workspace):
    line = set_jargon_file(workspace, "jargn.yaml")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert (f"handoutgen.yaml:{line}: error: field 'checks.jargon_file': jargon_file 'jargn.yaml' not found"
            in result.stderr)


def test_jargon_file_outside_the_workspace_is_refused(cli, workspace, tmp_path):
    (tmp_path / "outside.yaml").write_text("terms: []\n", encoding="utf-8")
    set_jargon_file(workspace, "../outside.yaml")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1 and "jargon_file '../outside.yaml' is outside the workspace" in result.stderr


def test_broken_jargon_file_is_an_error(cli, workspace):
    (workspace / "jargon.yaml").write_text("language: en\nterms:\n  - term: stent\n    plian: tube\n", encoding="utf-8")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1 and "jargon.yaml:4: error: field 'terms[0]': unknown key 'plian'" in result.stderr


def test_report_names_a_missing_jargon_file(cli, workspace):
    set_jargon_file(workspace, "jargn.yaml")
    result = cli("report", "retrograde-pyelography", "--workspace", workspace)
    assert result.exit_code == 1 and "jargon_file 'jargn.yaml' not found" in result.stderr


def test_without_a_named_jargon_file_the_default_may_be_absent(cli, workspace):
    (workspace / "jargon.yaml").unlink()
    assert cli("check", "--workspace", workspace).exit_code == 0


# --- nothing off the page ------------------------------------------------------------------------

def printed_pieces(pdf: Path, word: str) -> int:
    """How much of ``word`` the pages show, in order, counting only text inside each page's box."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        shown = 0
        for page in document:
            visible = "".join(page.get_textpage().get_text_bounded().split())  # inside the page only
            low, high = 0, len(word) - shown  # longest continuation of the word on this page
            while low < high:
                middle = (low + high + 1) // 2
                if word[shown:shown + middle] in visible:
                    low = middle
                else:
                    high = middle - 1
            shown += low
        return shown
    finally:
        document.close()


@pytest.mark.slow
def test_a_5000_character_word_wraps_and_every_character_is_printed(cli, workspace, tmp_path):
    import random
    import string

    word = "".join(random.Random(8).choice(string.ascii_letters + string.digits) for _ in range(5000))
    edit(workspace, "\nreasons:\n", f"\nreasons:\n  - {word}\n")
    result = cli("build", "retrograde-pyelography", "--lang", "en", "--workspace", workspace, "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert printed_pieces(tmp_path / "retrograde-pyelography.en.pdf", word) == len(word)

    checked = cli("check", "--workspace", workspace)
    line = line_of(workspace, word)
    assert (f"{HANDOUT}:{line}: warning: field 'reasons[0]': a word of 5000 characters with no place to break "
            f"the line: '{word[:29]}…'") in checked.stderr


@pytest.mark.slow
def test_a_long_word_on_the_cover_wraps(cli, workspace, tmp_path):
    word = "Q" * 150  # within the cover's field cap, far wider than the page
    roster = tmp_path / "roster.csv"
    roster.write_text(f"patient_id,handouts,location\nP1,retrograde-pyelography,{word}\n", encoding="utf-8")
    result = cli("packets", roster, "--out", tmp_path / "packets", "--workspace", workspace, "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    assert printed_pieces(tmp_path / "packets" / "P1.pdf", word) == len(word)


@pytest.mark.parametrize("text", [
    "See https://example.org/a-very-long-path/with/many/segments?and=a&query=string_that_goes_on_and_on",
    "Kidney words such as pyeloureterography-and-nephrostomy-tube-placement-procedures are split at hyphens.",
    "肾盂造影是一种用X光拍摄肾脏和输尿管照片的检查方法它通过膀胱镜把造影剂注入输尿管这样医生可以看到尿液流动的路径和任何阻塞的位置",
])
def test_breakable_text_is_not_a_long_word(workspace, text):
    from handoutgen.checks.plain_language import unbroken_words
    from handoutgen.checks.run import check_context, subject_of
    from handoutgen.workspace import Workspace

    edit(workspace, "\nreasons:\n", f"\nreasons:\n  - {text}\n")
    ws = Workspace(workspace)
    file = next(f for f in ws.handout_files() if f.path == (workspace / HANDOUT).resolve())
    assert unbroken_words(subject_of(ws, file), check_context(ws, dt.date(2026, 1, 1))) == []


def test_a_long_source_url_is_not_a_long_word(cli, workspace):
    edit(workspace, "    url: /learn/medicine/", "    url: https://example.org/" + "x" * 80 + "/")
    assert "no place to break" not in cli("check", "--workspace", workspace).stderr


# --- every command that reads handouts: a clear message and exit 1 -------------------------------

BREAKAGES = {  # old text, new text, the line's text, the message
    "impossible date": ("last_reviewed: 2026-11-22", "last_reviewed: 2026-02-30", "2026-02-30", "is not a real date"),
    "deep nesting": ("\nreasons:\n", "\nreasons:\n  - " + "[" * 1500 + "]" * 1500 + "\n", "[[[",
                     f"YAML: nesting deeper than {MAX_YAML_DEPTH} levels"),
    "tag": ("title: Retrograde Pyelography", "title: !!python/object/apply:os.system [ls]", "!!python",
            "YAML: tags such as"),
}
COMMANDS = {
    "check": ["check"],
    "build": ["build", "retrograde-pyelography", "--lang", "en", "--jobs", "1"],
    "list": ["list"],
    "report": ["report", "retrograde-pyelography", "--lang", "en"],
    "i18n status": ["i18n", "status"],
    "i18n export": ["i18n", "export", "--lang", "es", "retrograde-pyelography"],
    "i18n import": ["i18n", "import"],
}


@pytest.mark.parametrize("breakage", BREAKAGES)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_names_the_broken_handout(cli, workspace, tmp_path, command, breakage):
    args = [*COMMANDS[command], "--workspace", workspace]
    if command == "build":
        args += ["--out", tmp_path / "out"]
    if command == "i18n export":
        args += ["--out", tmp_path / "exported"]
    if command == "i18n import":  # a translator's file made before the source broke
        exported = cli("i18n", "export", "--lang", "es", "retrograde-pyelography", "--workspace", workspace,
                       "--out", tmp_path / "po")
        assert exported.exit_code == 0, exported.stderr
        args.insert(2, tmp_path / "po" / "retrograde-pyelography.es.po")
    old, new, needle, problem = BREAKAGES[breakage]
    edit(workspace, old, new)
    line = line_of(workspace, needle)
    result = cli(*args)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert f"{HANDOUT}:{line}: " in result.stderr and problem in result.stderr, result.stderr


def test_list_never_prints_control_characters(cli, workspace):
    edit(workspace, 'version: "1.0"', r'version: "\e[2J1.0"')
    result = cli("list", "--workspace", workspace)
    assert "\x1b" not in result.stdout + result.stderr
    assert "\\x1b[2J1.0" in result.stdout


@pytest.mark.parametrize("file, old, new, field", [
    (BRAND, "logo: logo.svg", r'logo: "logo\0.svg"', "logo"),
    (BRAND, "logo: logo.svg", "logo: " + "l" * 300 + ".svg", "logo"),
    (Path("handoutgen.yaml"), "default_brand: riverside", 'default_brand: riverside\nchecks:\n  jargon_file: "j\\0.yaml"',
     "checks.jargon_file"),
    (Path("handoutgen.yaml"), "default_brand: riverside",
     "default_brand: riverside\nchecks:\n  jargon_file: " + "j" * 5000, "checks.jargon_file"),
])
def test_file_names_the_system_would_refuse_are_errors_at_their_line(cli, workspace, file, old, new, field):
    edit(workspace, old, new, file)
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert f"{file}:" in result.stderr and f"field '{field}'" in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_handout_that_is_not_a_regular_file_is_refused_without_reading(cli, workspace, kind):
    import os

    path = workspace / "handouts/odd/en.yaml"
    path.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(path)  # opening it would wait for a writer forever
    else:
        path.symlink_to("/dev/zero")  # reading it would never end
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert "handouts/odd/en.yaml: error: not a regular file" in result.stderr


def test_windows_line_endings_keep_their_line_numbers(tmp_path):
    path = tmp_path / "file.yaml"
    path.write_bytes(b"a: 1\r\nb: 2\r\nc: 2026-02-30\r\n")
    with pytest.raises(SourceError, match=r"file.yaml:3: field 'c'"):
        load_yaml(path)


@pytest.mark.weasyprint_logs_expected  # the build refuses the damaged font as WeasyPrint reports it
def test_damaged_font_file_is_a_check_error_as_it_fails_build(cli, workspace, tmp_path):
    font = workspace / "styles/fonts/atkinson-hyperlegible-latin-400-normal.ttf"
    font.write_bytes(b"not a font" * 100)
    checked, built = check_and_build(cli, workspace, tmp_path)
    assert checked.exit_code == 1
    assert ("styles/fonts/atkinson-hyperlegible-latin-400-normal.ttf: error: font file cannot be read"
            in checked.stderr)
    assert built.exit_code == 1


def test_fonts_css_that_is_not_utf8_is_an_error(cli, workspace):
    css = workspace / "styles/fonts/fonts.css"
    css.write_bytes(css.read_bytes() + b"\n/* \xff\xfe */\n")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1 and "styles/fonts/fonts.css: error: not UTF-8 text" in result.stderr


def test_i18n_status_never_prints_control_characters(cli, workspace):
    edit(workspace, "  - To check for an injury to your kidneys or ureters.",
         '  - "To check \\e[2Jfor an injury to your kidneys or ureters."')
    result = cli("i18n", "status", "--workspace", workspace)
    assert "\x1b" not in result.stdout + result.stderr
    assert "\\x1b[2J" in result.stdout
