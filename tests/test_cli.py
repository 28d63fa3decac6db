"""The everyday commands: list, schema, version, and what a handout author controls."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import pdf_text

HANDOUT = Path("handouts/retrograde-pyelography/en.yaml")


def test_list_json(cli, workspace):
    result = cli("list", "--format", "json", "--workspace", workspace)
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [(r["id"], r["language"]) for r in rows] == [
        ("nephrostomy-ureteral-stent", "ar"), ("nephrostomy-ureteral-stent", "en"),
        ("nephrostomy-ureteral-stent", "es"), ("retrograde-pyelography", "ar"),
        ("retrograde-pyelography", "en"), ("retrograde-pyelography", "es"),
        ("retrograde-pyelography", "zh-Hans"),
    ]
    english = rows[4]
    assert english["version"] == "1.0"
    assert english["last_reviewed"] == "2026-11-22"
    assert english["status"] == "not reviewed"
    spanish = rows[5]
    assert (spanish["translation"], spanish["translation_status"]) == ("current", "draft")


def test_list_marks_an_invalid_handout(cli, workspace):
    (workspace / HANDOUT).write_text("id: [", encoding="utf-8")
    rows = json.loads(cli("list", "--format", "json", "--workspace", workspace).stdout)
    assert [r["language"] for r in rows if r["status"].startswith("invalid")] == ["ar", "en", "es", "zh-Hans"]


def test_list_table(cli, workspace):
    result = cli("list", "--workspace", workspace)
    assert result.exit_code == 0
    assert "retrograde-pyelography" in result.stdout and "2026-11-22" in result.stdout


def test_schema_describes_every_section(cli):
    schema = json.loads(cli("schema").stdout)
    assert schema["additionalProperties"] is False
    for key in ("overview", "reasons", "preparation", "what_to_expect", "benefits", "risks",
                "aftercare", "when_to_call", "questions", "words_to_know", "reviewed_by", "sources"):
        assert key in schema["properties"], key
    brand = json.loads(cli("schema", "brand").stdout)
    assert "colours" in brand["properties"]


def test_console_script_and_module_agree(workspace):
    version = subprocess.run([sys.executable, "-m", "handoutgen", "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("handoutgen ")
    bin_dir = Path(sys.executable).parent
    script = subprocess.run([bin_dir / "handoutgen", "check", "--workspace", workspace], capture_output=True, text=True)
    assert script.returncode == 0, script.stderr


def test_check_list_and_help_never_import_weasyprint(workspace):
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from handoutgen.cli import app\n"
        f"for args in (['check', '-w', {str(workspace)!r}], ['list', '-w', {str(workspace)!r}], ['--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0, args\n"
        "print('weasyprint' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_reviewed_handout_says_who_reviewed_it(cli, workspace, tmp_path):
    path = workspace / HANDOUT
    path.write_text(path.read_text().replace('reviewed_by: ""', "reviewed_by: Dr. Ada Example, MD"))
    assert cli("build", "retrograde-pyelography", "--lang", "en", "-w", workspace, "-o", tmp_path).exit_code == 0
    text = pdf_text(tmp_path / "retrograde-pyelography.en.pdf")
    assert "Reviewed by Dr. Ada Example, MD on November 22, 2026." in text
    assert "Not yet reviewed" not in text


def test_warning_signs_and_emergency_print_in_the_box(cli, workspace, tmp_path):
    path = workspace / HANDOUT
    path.write_text(path.read_text() + (
        "when_to_call:\n"
        "  warning_signs:\n    - A sign the source names\n"
        "  emergency:\n    - An emergency sign the source names\n"
    ))
    assert cli("build", "retrograde-pyelography", "--lang", "en", "-w", workspace, "-o", tmp_path).exit_code == 0
    text = pdf_text(tmp_path / "retrograde-pyelography.en.pdf")
    assert "Call Riverside Urology Clinic at (555) 010-0142 if you have: A sign the source names" in text
    assert "Call 911 or go to the nearest emergency room if you have: An emergency sign" in text


def test_footer_text_cannot_break_the_css(cli, workspace, tmp_path):
    brand = workspace / "styles/brands/riverside/brand.yaml"
    footer = 'Say "hi" \\ back; } @page { size: 1px } </style>'
    text = brand.read_text().replace(
        "footer: Riverside Urology Clinic · 100 River Road, Springfield · riverside-urology.example",
        "footer: " + json.dumps(footer),
    )
    brand.write_text(text)
    assert cli("build", "retrograde-pyelography", "--lang", "en", "-w", workspace, "-o", tmp_path).exit_code == 0
    pdf = tmp_path / "retrograde-pyelography.en.pdf"
    assert footer in pdf_text(pdf)


def test_line_numbers_and_json_are_never_turned_into_emoji(cli, workspace):
    demo = workspace / "handouts/demo/en.yaml"
    demo.parent.mkdir()
    demo.write_text("\n" * 99 + "id: not-demo\n")  # the id, on line 100, does not match its folder
    result = cli("check", "-w", workspace)
    assert "handouts/demo/en.yaml:100:" in result.stderr and "💯" not in result.stderr
    english = workspace / "handouts/retrograde-pyelography/en.yaml"
    english.write_text(english.read_text().replace("title: Retrograde Pyelography", 'title: "Retrograde :smile: Pyelography"', 1))
    listed = cli("list", "--format", "json", "-w", workspace)
    assert "Retrograde :smile: Pyelography" in listed.stdout and "😄" not in listed.stdout
