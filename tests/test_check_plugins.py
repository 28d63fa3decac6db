"""A clinic adds its own check rule as an installed package, without forking handoutgen.

Each test installs a tiny plugin the way pip would leave it: a module plus a
``*.dist-info`` folder whose entry_points.txt names the rule in the group
``handoutgen.checks``, on sys.path. Then `handoutgen check` runs it.
"""

from __future__ import annotations

import json
import re
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from conftest import HANDOUT, REPO, edit, line_of

HOUSE_STYLE = '''
from handoutgen.checks import WARNING, Finding


def no_latin_abbreviations(subject, context):
    """Our house style: "for example", not "e.g." (many patients do not know it)."""
    return [Finding(WARNING, "house-style", '"e.g." is Latin; write "for example"', subject.path,
                    text.line, text.field, "for example")
            for text in subject.texts if "e.g." in text.text]
'''


def install_plugin(folder: Path, monkeypatch: pytest.MonkeyPatch, module: str, source: str,
                   entry_points_txt: str) -> None:
    """``module`` and its distribution's metadata in ``folder``, put on sys.path as pip would."""
    folder.mkdir()
    (folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    dist_info = folder / f"{module}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 1.0\n",
                                        encoding="utf-8")
    (dist_info / "entry_points.txt").write_text(textwrap.dedent(entry_points_txt), encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))


def check_json(cli, workspace: Path) -> tuple[int, list[dict]]:
    result = cli("check", "--format", "json", "--workspace", workspace)
    return result.exit_code, json.loads(result.stdout)["findings"]


def test_a_clinic_rule_from_an_installed_plugin_reports_its_file_and_line(cli, workspace, tmp_path, monkeypatch):
    install_plugin(tmp_path / "site", monkeypatch, "riverside_style", HOUSE_STYLE,
                   "[handoutgen.checks]\nhouse-style = riverside_style:no_latin_abbreviations\n")
    assert "house-style" in [e.name for e in entry_points(group="handoutgen.checks")]
    edit(workspace, "\nreasons:\n", "\nreasons:\n  - Ask the nurse about your medicines, e.g. blood thinners.\n")

    _, findings = check_json(cli, workspace)

    # (The translations print this new sentence in English too, as drafts, so they have it as well.)
    ours = [f for f in findings if f["rule"] == "house-style" and f["path"] == str(HANDOUT)]
    assert ours == [{"severity": "warning", "rule": "house-style", "message": '"e.g." is Latin; write "for example"',
                     "path": str(HANDOUT), "line": line_of(workspace, "e.g. blood thinners"), "field": "reasons.1",
                     "suggestion": "for example"}]


def test_a_clinic_rule_can_use_the_shared_results(cli, workspace, tmp_path, monkeypatch):
    """A rule reads the settings and what built-in rules worked out (here the PEMAT score)."""
    source = '''
    from handoutgen.checks import INFO, Finding
    from handoutgen.checks.pemat import pemat_score


    def pemat_note(subject, context):
        score = context.once(pemat_score, subject)
        return [Finding(INFO, "pemat-note", f"PEMAT {score.percent:.0f}% of {context.settings.pemat_target:g}%",
                        subject.path)]
    '''
    install_plugin(tmp_path / "site", monkeypatch, "pemat_note", source,
                   "[handoutgen.checks]\npemat-note = pemat_note:pemat_note\n")
    result = cli("check", "--format", "json", "--workspace", workspace)
    output = json.loads(result.stdout)
    notes = {f["path"]: f["message"] for f in output["findings"] if f["rule"] == "pemat-note"}
    assert notes[str(HANDOUT)] == f"PEMAT {output['pemat_scores'][str(HANDOUT)]}% of 70%"
    assert len(notes) == 7  # every handout file


def test_a_plugin_that_raises_is_an_error_naming_it(cli, workspace, tmp_path, monkeypatch):
    source = '''
    def broken(subject, context):
        raise KeyError("reasons")
    '''
    install_plugin(tmp_path / "site", monkeypatch, "broken_rule", source,
                   "[handoutgen.checks]\nbroken = broken_rule:broken\n")
    exit_code, findings = check_json(cli, workspace)
    assert exit_code == 1  # a check that stopped running must not pass the handouts
    ours = [f for f in findings if f["rule"] == "broken"]
    assert len(ours) == 7 and {f["severity"] for f in ours} == {"error"}
    assert ours[0]["message"] == "check plugin 'broken' (broken_rule:broken) failed: KeyError: 'reasons'"
    # The other rules still ran.
    assert any(f["rule"] == "review" for f in findings)


@pytest.mark.parametrize("entry, source, problem", [
    ("missing = no_such_module:rule", "", r"cannot be loaded: ModuleNotFoundError: No module named 'no_such_module'"),
    ("import-fails = bad_import:rule", "import no_such_dependency\n",
     r"cannot be loaded: ModuleNotFoundError: No module named 'no_such_dependency'"),
    ("not-a-function = bad_import:LIMIT", "LIMIT = 3\n", r"names something that is not a function \(int\)"),
    ("jargon = bad_import:rule", "def rule(subject, context):\n    return []\n",
     r"the rule name 'jargon' is already taken; rename the entry point"),
])
def test_a_plugin_that_cannot_load_is_an_error_naming_it(cli, workspace, tmp_path, monkeypatch, entry, source, problem):
    install_plugin(tmp_path / "site", monkeypatch, "bad_import", source, f"[handoutgen.checks]\n{entry}\n")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    name, value = (part.strip() for part in entry.split("="))
    assert re.search(rf"^\.: error: check plugin '{name}' \({value}, from bad-import 1\.0\) {problem}$",
                     result.stderr, re.MULTILINE), result.stderr
    assert "Traceback" not in result.stderr


def test_every_rule_in_the_readme_table_is_registered():
    from handoutgen.checks.registry import RULES
    from handoutgen.checks.run import all_rules  # noqa: F401 - imports the built-in rules

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Content checks", 1)[1].split("\n\n| rule |", 1)[1].split("\n\n", 1)[0]
    documented = {name.strip() for row in table.splitlines()[2:] for name in row.split("|")[1].split(",")}
    assert documented == set(RULES)


def test_report_runs_plugin_rules_too(cli, workspace, tmp_path, monkeypatch):
    install_plugin(tmp_path / "site", monkeypatch, "riverside_style", HOUSE_STYLE,
                   "[handoutgen.checks]\nhouse-style = riverside_style:no_latin_abbreviations\n")
    edit(workspace, "\nreasons:\n", "\nreasons:\n  - Ask the nurse about your medicines, e.g. blood thinners.\n")
    result = cli("report", "retrograde-pyelography", "--lang", "en", "--workspace", workspace)
    assert result.exit_code == 0, result.stderr
    line = line_of(workspace, "e.g. blood thinners")
    assert f"{HANDOUT}:{line}: warning: field 'reasons.1': \"e.g.\" is Latin" in result.stdout


def test_what_several_rules_need_is_worked_out_once_per_handout(workspace):
    import datetime as dt

    from handoutgen.checks.run import check_context, subject_of
    from handoutgen.workspace import Workspace

    ws = Workspace(workspace)
    context = check_context(ws, dt.date(2026, 1, 1))
    english, spanish = (subject_of(ws, f) for f in ws.handout_files() if f.id == "retrograde-pyelography"
                        and f.language in ("en", "es"))
    calls = []

    def count_words(subject, context):
        calls.append(subject.language)
        return sum(len(t.text.split()) for t in subject.texts)

    assert context.once(count_words, english) == context.once(count_words, english)
    context.once(count_words, spanish)
    assert calls == ["en", "es"]
