"""A clinic checks its own text before printing: each rule fires on bad text, not on good."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

# The date the checks run on, set for every test by conftest (HANDOUTGEN_TODAY).
TODAY = dt.date(2026, 11, 22)

GOOD = {
    "id": "demo",
    "language": "en",
    "title": "Kidney Stent Check",
    "summary": "This handout tells you about a short check of your kidney stent.",
    "version": "1.0",
    "last_reviewed": TODAY.isoformat(),
    "reviewed_by": "Dr. Ada Example",
    "sources": [{"title": "Clinic protocol"}],
    "overview": {
        "items": ["A stent is a thin tube. It keeps urine flowing from your kidney to your bladder."],
        "figure": {"src": "stent.svg", "alt": "A thin tube runs from a kidney down to the bladder."},
    },
    "reasons": ["Your doctor wants to see if the stent is still in the right place."],
    "preparation": ["Drink a glass of water before you come.", "Bring a list of your medicines."],
    "what_to_expect": {"during": ["You lie on a table.", "The nurse takes a few pictures."]},
    "aftercare": {"instructions": {"checklist": True, "items": ["You can go home the same day."]}},
    "when_to_call": {"warning_signs": ["A fever."], "emergency": ["You cannot pass urine at all."]},
    "questions": ["When will the stent come out?"],
}


def write(workspace: Path, data: dict, language: str = "en") -> Path:
    path = workspace / "handouts" / data["id"] / f"{language}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    # The picture GOOD's figure names (PEMAT's visual-aid item).
    (path.parent / "stent.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
                                           '<line x1="5" y1="0" x2="5" y2="10" stroke="#000"/></svg>')
    return path


def findings(cli, workspace: Path, handout_id: str = "demo") -> list[dict]:
    result = cli("check", "--format", "json", "-w", workspace)
    return [f for f in json.loads(result.stdout)["findings"] if f"handouts/{handout_id}/" in f["path"]]


def rules(cli, workspace, handout_id="demo") -> set[str]:
    return {f["rule"] for f in findings(cli, workspace, handout_id)}


def with_(**changes) -> dict:
    return {**GOOD, **changes}


def test_a_good_handout_has_no_findings(cli, workspace):
    write(workspace, GOOD)
    assert findings(cli, workspace) == []
    report = cli("report", "demo", "-w", workspace)
    assert report.exit_code == 0
    assert "PEMAT-style score: 100%" in report.stdout


def test_reading_level_above_the_maximum(cli, workspace):
    hard = ("Percutaneous nephrostomy facilitates decompression of the obstructed collecting system, "
            "ameliorating hydronephrosis. Subsequent antegrade ureteral stenting establishes internal "
            "drainage. Radiological confirmation demonstrates appropriate positioning. Antibiotic "
            "prophylaxis considerably diminishes infectious complications. Interventional radiologists "
            "routinely perform this intervention.")
    write(workspace, with_(overview=[hard]))
    found = [f for f in findings(cli, workspace) if f["rule"] == "reading-level"]
    assert found and "the maximum is 8 (target 6)" in found[0]["message"]
    assert any(f["field"] == "overview" for f in found)  # per section, with its line


def test_spanish_is_measured_other_languages_say_not_measured(cli, workspace):
    from handoutgen.checks.readability import measure

    easy = measure(["La prueba es corta. Usted puede ir a casa el mismo día."], "es")
    assert easy.ease_es is not None and easy.ease_es > 70 and easy.grade is None
    russian = measure(["Это короткая проверка."], "ru")
    assert not russian.measured and russian.grade is None and russian.ease_es is None
    rows = findings(cli, workspace, "retrograde-pyelography")
    assert {"path": "handouts/retrograde-pyelography/ar.yaml", "severity": "info"}.items() <= next(
        f for f in rows if f["rule"] == "reading-level").items()


def test_long_sentence(cli, workspace):
    long = ("You will lie on a soft table while the nurse and the doctor take a few quick pictures of "
            "your kidney and your bladder with a small machine.")
    write(workspace, with_(reasons=[long]))
    found = [f for f in findings(cli, workspace) if f["rule"] == "long-sentence"]
    assert len(found) == 1 and found[0]["field"] == "reasons.1"
    assert "sentence of 28 words (maximum 20)" in found[0]["message"]


def test_long_word_share(cli, workspace):
    wordy = "Regularly scheduled evaluations identify unexpected difficulties immediately."
    write(workspace, with_(overview=[wordy], reasons=[wordy.replace("Regularly", "Carefully")]))
    found = [f for f in findings(cli, workspace) if f["rule"] == "long-words"]
    assert found and "have three or more syllables (maximum 15%)" in found[0]["message"]
    write(workspace, GOOD)
    assert "long-words" not in rules(cli, workspace)


@pytest.mark.parametrize("text, flagged", [
    ("You may see blood in your urine.", False),
    ("You may have hematuria.", True),
    ("You may have blood in the urine (hematuria).", False),
    ("The doctor uses fluoroscopy.", True),
    ("The doctor uses live X-ray pictures (fluoroscopy).", False),
])
def test_jargon_needs_a_plain_explanation(cli, workspace, text, flagged):
    write(workspace, with_(reasons=[text]))
    found = [f for f in findings(cli, workspace) if f["rule"] == "jargon"]
    assert bool(found) == flagged
    if flagged:
        assert found[0]["suggestion"].startswith('write "')


def test_jargon_in_words_to_know_is_explained(cli, workspace):
    write(workspace, with_(reasons=["You may have hematuria."],
                           words_to_know=[{"term": "Hematuria", "meaning": "Blood in the urine."}]))
    assert "jargon" not in rules(cli, workspace)


def test_jargon_list_has_at_least_40_terms():
    from conftest import REPO

    data = yaml.safe_load((REPO / "jargon.yaml").read_text())
    assert len(data["terms"]) >= 40
    assert {"term": "hematuria", "plain": "blood in the urine"} in data["terms"]


@pytest.mark.parametrize("text, rule", [
    ("Lorem ipsum dolor sit amet.", "placeholder"),
    ("TODO: add the fasting rule.", "placeholder"),
    ("Call us [insert phone].", "placeholder"),
    ("It is done during a cystoscopyâ€”a short test.", "mojibake"),
    ("The cafÃ© is open.", "mojibake"),
])
def test_junk_is_an_error(cli, workspace, text, rule):
    write(workspace, with_(reasons=[text]))
    found = [f for f in findings(cli, workspace) if f["rule"] == rule]
    assert found and found[0]["severity"] == "error"
    assert cli("check", "-w", workspace).exit_code == 1


def test_mojibake_suggests_the_repaired_text(cli, workspace):
    write(workspace, with_(reasons=["It is done during a cystoscopyâ€”a short test."]))
    found = next(f for f in findings(cli, workspace) if f["rule"] == "mojibake")
    assert "cystoscopy—a short test" in found["suggestion"]


@pytest.mark.parametrize("second", [
    "The doctor will look at the pictures with you.",  # exact
    "The doctor will look at all the pictures with you.",  # near
])
def test_repeated_sentences(cli, workspace, second):
    write(workspace, with_(reasons=["The doctor will look at the pictures with you."], questions=[second]))
    found = [f for f in findings(cli, workspace) if f["rule"] == "repeated-sentence"]
    assert len(found) == 1 and found[0]["field"] == "questions.1"


def test_empty_section(cli, workspace):
    path = write(workspace, GOOD)
    path.write_text(path.read_text() + "risks: []\n")
    found = [f for f in findings(cli, workspace) if f["rule"] == "empty-section"]
    assert len(found) == 1 and found[0]["field"] == "risks"


def test_pemat_score_names_the_failed_items(cli, workspace):
    poor = {k: v for k, v in GOOD.items() if k not in ("preparation", "aftercare", "when_to_call", "questions",
                                                      "what_to_expect")}
    poor["reasons"] = ["THIS TEST IS VERY IMPORTANT FOR YOUR KIDNEY."]
    write(workspace, poor)
    found = next(f for f in findings(cli, workspace) if f["rule"] == "pemat")
    assert "below the target 70%" in found["message"]
    for item in ("PEMAT 13: visual cues, not ALL-CAPS text", "PEMAT 20: says when to call",
                 "PEMAT 20: says when to get emergency care", "PEMAT 22: breaks actions into numbered steps",
                 "PEMAT 20: at least one action"):
        assert item in found["message"], item
    report = cli("report", "demo", "-w", workspace).stdout
    assert "[FAIL] PEMAT 22: breaks actions into numbered steps" in report


def test_review_dates_and_reviewer(cli, workspace):
    old = (TODAY - dt.timedelta(days=800)).isoformat()
    write(workspace, with_(last_reviewed=old, reviewed_by=""))
    found = {f["message"].split(" ")[0]: f for f in findings(cli, workspace) if f["rule"] == "review"}
    assert found["last"]["severity"] == "warning" and "over 24 months ago" in found["last"]["message"]
    assert found["no"]["severity"] == "warning"
    future = (TODAY + dt.timedelta(days=30)).isoformat()
    write(workspace, with_(last_reviewed=future))
    future_found = [f for f in findings(cli, workspace) if f["rule"] == "review"]
    assert future_found[0]["severity"] == "error" and "in the future" in future_found[0]["message"]


def test_thresholds_come_from_the_workspace_config(cli, workspace):
    write(workspace, with_(reasons=["You will lie on a soft table while the nurse takes a few quick pictures."]))
    assert "long-sentence" not in rules(cli, workspace)
    config = workspace / "handoutgen.yaml"
    config.write_text(config.read_text() + "checks:\n  max_sentence_words: 8\n")
    assert "long-sentence" in rules(cli, workspace)


def test_exit_codes_and_text_output(cli, workspace):
    result = cli("check", "-w", workspace)
    assert result.exit_code == 0  # the samples: warnings only (nobody has reviewed them)
    assert "warning: field 'reviewed_by': no clinician has reviewed this handout" in result.stderr
    assert cli("check", "--strict", "-w", workspace).exit_code == 1
    write(workspace, with_(reasons=["TBD"]))
    result = cli("check", "-w", workspace)
    assert result.exit_code == 1
    assert "handouts/demo/en.yaml:" in result.stderr and ": error: field 'reasons.1': placeholder marker: 'TBD'" in result.stderr


def test_our_samples_pass_at_the_default_thresholds(cli):
    from conftest import REPO

    data = json.loads(cli("check", "--format", "json", "-w", REPO).stdout)
    assert data["errors"] == 0
    # A true finding since the corrected Fernández-Huerta formula (#9): this section names five
    # conditions with their medical terms and scores 69.6; its translator should simplify it.
    known = {("handouts/nephrostomy-ureteral-stent/es.yaml", "reading-level", "reasons")}
    unexpected = [f for f in data["findings"] if f["severity"] == "warning" and f["rule"] != "review"
                  and (f["path"], f["rule"], f["field"]) not in known]
    assert unexpected == []  # otherwise only "not yet reviewed" warnings, which are true
    assert all(score >= 70 for score in data["pemat_scores"].values()), data["pemat_scores"]


def test_today_option_moves_the_review_clock(cli, workspace, monkeypatch):
    monkeypatch.delenv("HANDOUTGEN_TODAY")
    write(workspace, GOOD)
    later = (TODAY + dt.timedelta(days=800)).isoformat()
    late = cli("--today", later, "check", "--format", "json", "-w", workspace)
    assert any("over 24 months ago" in f["message"] for f in json.loads(late.stdout)["findings"]
               if "handouts/demo/" in f["path"])
    bad = cli("--today", "22/11/2026", "check", "-w", workspace)
    assert bad.exit_code == 2 and "not an ISO date" in bad.stderr
