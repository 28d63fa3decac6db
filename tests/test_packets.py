"""A coordinator turns tomorrow's roster into one packet per patient."""

from __future__ import annotations

import csv
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest

from conftest import pdf_pages_text, pdf_text

RETRO, NEPHRO = "retrograde-pyelography", "nephrostomy-ureteral-stent"
HEADER = ["patient_id", "patient_name", "language", "handouts", "appointment",
          "arrive_minutes_before", "location", "clinician", "prep", "phone"]

# (patient_id, name, language, handouts, appointment, expected outcome)
ROWS = [
    ("P001", "Ann Example", "en", f"{RETRO}", "2026-12-01T09:30", "ok"),
    ("P002", "Bob Example", "en", f"{RETRO};{NEPHRO}", "2026-12-01T10:00", "ok"),
    ("P003", "Carla Example", "en", "kidney-magic", "2026-12-01T10:30", "unknown handout 'kidney-magic'"),
    ("../../etc/x", "Dan Example", "en", RETRO, "2026-12-01T11:00", "field 'patient_id': not valid"),
    ("P005", "Eve Example", "en", NEPHRO, "2026-12-01T11:30", "patient_id is also used in row(s) 6"),
    ("P005", "Fay Example", "en", RETRO, "2026-12-01T12:00", "patient_id is also used in row(s) 5"),
    ("P007", "Gus Example", "en", RETRO, "next tuesday", "field 'appointment': not an ISO date-time"),
    ("P008", '<img src="file:///etc/passwd"> Hal', "en", RETRO, "2026-12-01T13:00", "ok"),
    ("P009", "Иван Петров", "en", RETRO, "2026-12-01T13:30", "ok"),
    ("P010", "陈伟", "en", RETRO, "2026-12-01T14:00", "ok"),
    ("P011", "محمد علي", "en", RETRO, "2026-12-01T14:30", "ok"),
    ("P012", "Nguyễn Thị Hồng", "en", RETRO, "2026-12-01T15:00", "ok"),
    ("P013", "Ines Example", "fr", RETRO, "2026-12-01T15:30", "handout 'retrograde-pyelography' has no 'fr' version"),
    ("", "Jo Example", "en", RETRO, "2026-12-01T16:00", "field 'patient_id': required column is empty"),
    ("P015", "Kim Example", "en", "", "2026-12-01T16:30", "field 'handouts': required column is empty"),
    ("P016", "Lee Example", "xx-bad", RETRO, "2026-12-01T17:00", "field 'language': not valid"),
    ("P017", "Max Example", "en", NEPHRO, "2026-12-02T08:00", "ok"),
    ("P018", "Ned Example", "en", f"{NEPHRO};{RETRO}", "2026-12-02T08:30", "ok"),
    ("P019", "Olu Example", "en", RETRO, "2026-12-02", "ok"),
    ("P020", "Pia Example", "en", RETRO, "", "ok"),
]
NAMES = [row[1] for row in ROWS]


def write_roster(path: Path, rows=ROWS, header=HEADER, encoding="utf-8", delimiter=","):
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        for patient_id, name, language, handouts, appointment, _ in rows:
            writer.writerow([patient_id, name, language, handouts, appointment, "30", "Clinic B, room 2",
                             "Dr. Example", "Nothing to eat or drink after midnight.", ""])
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The 20-row roster, made once for this module: (result, out folder, combined file)."""
    from conftest import REPO, run_cli

    folder = tmp_path_factory.mktemp("batch")
    roster = write_roster(folder / "roster.csv")
    out, combined = folder / "packets", folder / "print.pdf"
    result = run_cli("packets", roster, "--out", out, "--combined", combined, "--jobs", "2", "-w", REPO)
    return result, out, combined


def manifest(out: Path) -> list[dict]:
    return json.loads((out / "manifest.json").read_text())["rows"]


def test_each_row_has_its_exact_outcome(batch):
    result, out, _ = batch
    assert result.exit_code == 1  # some rows failed
    rows = manifest(out)
    assert [r["row"] for r in rows] == list(range(1, 21))
    for record, (patient_id, *_, expected) in zip(rows, ROWS):
        if expected == "ok":
            assert record["status"] == "ok", record
            assert record["output"] == f"{patient_id}.pdf"
            assert (out / record["output"]).is_file()
        else:
            assert record["status"] == "failed", record
            assert expected in record["error"], record
            assert record["output"] == ""
    assert sorted(p.name for p in out.glob("*.pdf")) == sorted(
        f"{r[0]}.pdf" for r in ROWS if r[-1] == "ok"
    )
    assert not (out.parent / "etc").exists()


def test_manifest_csv_matches_json_and_hashes_match_files(batch):
    _, out, _ = batch
    import hashlib

    with (out / "manifest.csv").open(encoding="utf-8") as handle:
        csv_rows = list(csv.DictReader(handle))
    for csv_row, record in zip(csv_rows, manifest(out), strict=True):
        assert csv_row["status"] == record["status"]
        assert csv_row["patient_id"] == record["patient_id"]
        if record["status"] == "ok":
            data = (out / record["output"]).read_bytes()
            assert record["sha256"] == hashlib.sha256(data).hexdigest()
            assert record["bytes"] == len(data) == (out / record["output"]).stat().st_size
            assert csv_row["bytes"] == str(len(data))
            with pikepdf.open(out / record["output"]) as pdf:
                assert record["pages"] == len(pdf.pages)
        else:  # no file, no size
            assert record["bytes"] is None and csv_row["bytes"] == ""


def test_cover_and_handouts_read_back(batch):
    _, out, _ = batch
    pages = pdf_pages_text(out / "P002.pdf")
    cover = " ".join(pages[0].split())
    assert "Dear Bob Example," in cover
    assert "Tuesday, December 1, 2026" in cover and "10:00" in cover
    assert "Please arrive by 9:30" in cover
    assert "Clinic B, room 2" in cover and "Dr. Example" in cover
    assert "Nothing to eat or drink after midnight." in cover
    assert "Retrograde Pyelography" in cover and "Nephrostomy Tube and Ureteral Stent" in cover
    assert "(555) 010-0142" in cover
    text = pdf_text(out / "P002.pdf")
    # each handout keeps its own page numbering
    assert "Page 1 of 3" in text and "Page 1 of 5" in text
    assert len(pages) == 1 + 3 + 5


@pytest.mark.parametrize("patient_id, name", [("P008", '<img src="file:///etc/passwd"> Hal'),
                                               ("P009", "Иван Петров"), ("P010", "陈伟"),
                                               ("P011", "محمد علي"), ("P012", "Nguyễn Thị Hồng")])
def test_names_print_literally_in_any_script(batch, patient_id, name):
    _, out, _ = batch
    cover = " ".join(pdf_pages_text(out / f"{patient_id}.pdf")[0].split())
    if patient_id == "P011":  # PDFium gives right-to-left text in visual order
        assert "محمد" in cover or "دمحم" in cover
    else:
        assert f"Dear {name}," in cover


def test_no_patient_name_leaves_the_cover(batch):
    result, out, combined = batch
    texts = [result.stdout, result.stderr, (out / "manifest.csv").read_text(), (out / "manifest.json").read_text()]
    texts += [p.name for p in out.iterdir()]
    for path in [*out.glob("*.pdf"), combined]:
        with pikepdf.open(path) as pdf:
            texts += [str(v) for v in pdf.docinfo.values()]
            texts.append(pdf.Root.Metadata.read_bytes().decode() if "/Metadata" in pdf.Root else "")
            assert str(pdf.docinfo["/Title"]) in ("Patient packet", "Patient packets")
    for name in NAMES:
        for word in name.split():
            if len(word) > 3 and word not in ("Example", "<img"):
                assert all(word not in text for text in texts), word


def test_outputs_are_private(batch):
    _, out, _ = batch
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_combined_has_every_packet_in_roster_order(batch):
    _, out, combined = batch
    ok = [r for r in manifest(out) if r["status"] == "ok"]
    with pikepdf.open(combined) as pdf:
        assert len(pdf.pages) == sum(r["pages"] for r in ok)
    text = pdf_text(combined)
    positions = [text.index(f"Dear {r[1]},") for r in ROWS if r[-1] == "ok" and r[0] not in ("P011",)]
    assert positions == sorted(positions)


def test_packets_are_reproducible(batch, cli, tmp_path):
    from conftest import REPO

    _, out, _ = batch
    roster = write_roster(tmp_path / "roster.csv")
    again = tmp_path / "again"
    cli("packets", roster, "--out", again, "--jobs", "1", "-w", REPO)
    for record in manifest(out):
        if record["status"] == "ok":
            assert (again / record["output"]).read_bytes() == (out / record["output"]).read_bytes()
    # Same manifest but for input_hmac, which each folder keys with its own secret (#8): a name
    # guessed from outside cannot be checked against it.
    def unkeyed(folder):
        return [{k: v for k, v in r.items() if k != "input_hmac"} for r in manifest(folder)]

    assert unkeyed(again) == unkeyed(out)
    hmacs = [(a["input_hmac"], b["input_hmac"]) for a, b in zip(manifest(again), manifest(out)) if a["status"] == "ok"]
    assert hmacs and all(a != b for a, b in hmacs)


def test_duplicate_ids_overwrite_nothing(cli, workspace, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "P005.pdf").write_bytes(b"an earlier packet")
    roster = write_roster(tmp_path / "roster.csv", [r for r in ROWS if r[0] == "P005"])
    assert cli("packets", roster, "--out", out, "-j", "1", "-w", workspace).exit_code == 1
    assert (out / "P005.pdf").read_bytes() == b"an earlier packet"


def test_duplex_starts_every_handout_on_a_right_hand_page(cli, workspace, tmp_path):
    roster = write_roster(tmp_path / "roster.csv", [ROWS[1]])
    out = tmp_path / "out"
    assert cli("packets", roster, "--out", out, "--duplex", "-j", "1", "-w", workspace).exit_code == 0
    pages = [" ".join(p.split()) for p in pdf_pages_text(out / "P002.pdf")]
    # cover(1) + blank, retrograde(3) + blank, nephrostomy(5) + blank
    assert len(pages) == 12
    assert "Page 1 of 3" in pages[2] and "Page 1 of 5" in pages[6]
    # the backs say so, in the patient's language (#10), so no one thinks a page is missing
    assert pages[1] == pages[5] == pages[11] == "This page is intentionally blank"


def test_fallback_language_notes_it_on_the_cover(cli, workspace, tmp_path):
    roster = write_roster(tmp_path / "roster.csv", [ROWS[12]])
    out = tmp_path / "out"
    result = cli("packets", roster, "--out", out, "--fallback-language", "en", "-j", "1", "-w", workspace)
    assert result.exit_code == 0, result.stderr
    record = manifest(out)[0]
    assert record["warnings"] == ["'retrograde-pyelography' has no 'fr' version; used 'en'"]
    cover = " ".join(pdf_pages_text(out / "P013.pdf")[0].split())
    from handoutgen.i18n.catalogs import translations_for

    note = translations_for("fr").gettext(
        "Some handouts in this packet are in English because a translation is not available yet:")
    assert " ".join(note.split()) in cover and "Retrograde Pyelography" in cover
    assert "mardi 1 décembre 2026" in cover  # the date in the patient's language


def test_packet_in_the_patients_language(cli, workspace, tmp_path):
    rows = [("P300", "Ines Example", "es", f"{RETRO};{NEPHRO}", "2026-12-01T15:30", "ok")]
    roster = write_roster(tmp_path / "roster.csv", rows)
    out = tmp_path / "out"
    assert cli("packets", roster, "--out", out, "-j", "1", "-w", workspace).exit_code == 0
    pages = [" ".join(p.split()) for p in pdf_pages_text(out / "P300.pdf")]
    assert "Estimado(a) Ines Example:" in pages[0] or "Ines Example" in pages[0]
    assert "martes, 1 de diciembre de 2026" in pages[0]
    assert "Pielografía retrógrada" in pages[0]  # the enclosed list uses the Spanish titles
    assert "Pielografía retrógrada" in pages[1]
    with pikepdf.open(out / "P300.pdf") as pdf:
        assert str(pdf.Root.Lang) == "es"


def test_stale_translation_fails_the_row(cli, workspace, tmp_path):
    english = workspace / f"handouts/{RETRO}/en.yaml"
    english.write_text(english.read_text().replace("To check for an injury to your kidneys or ureters.",
                                                   "To check for an injury to your kidneys or to your ureters."))
    rows = [("P301", "Ines Example", "es", RETRO, "2026-12-01T15:30", "ok")]
    roster = write_roster(tmp_path / "roster.csv", rows)
    result = cli("packets", roster, "--out", tmp_path / "out", "-j", "1", "-w", workspace)
    assert result.exit_code == 1
    record = manifest(tmp_path / "out")[0]
    assert record["status"] == "failed" and "translation is stale (stale: reasons.4)" in record["error"]


def test_bom_semicolon_and_cp1252_exports(cli, workspace, tmp_path):
    rows = [("P100", "José Müller", "en", RETRO, "2026-12-01T09:30", "ok")]
    bom = write_roster(tmp_path / "bom.csv", rows, encoding="utf-8-sig", delimiter=";")
    out = tmp_path / "bom"
    assert cli("packets", bom, "--out", out, "-j", "1", "-w", workspace).exit_code == 0
    assert "Dear José Müller," in pdf_text(out / "P100.pdf")

    old = write_roster(tmp_path / "old.csv", rows, encoding="cp1252")
    refused = cli("packets", old, "--out", tmp_path / "refused", "-j", "1", "-w", workspace)
    assert refused.exit_code == 1 and "--encoding cp1252" in refused.stderr
    out = tmp_path / "cp1252"
    assert cli("packets", old, "--out", out, "--encoding", "cp1252", "-j", "1", "-w", workspace).exit_code == 0
    assert "Dear José Müller," in pdf_text(out / "P100.pdf")


def test_map_renames_export_headers(cli, workspace, tmp_path):
    header = ["MRN", "Patient Name", "Lang", "Handouts", "Appt", "Arrive", "Loc", "Doc", "Prep", "Phone"]
    roster = write_roster(tmp_path / "export.csv", [ROWS[0]], header=header)
    out = tmp_path / "out"
    result = cli("packets", roster, "--out", out, "-j", "1", "-w", workspace,
                 "--map", "MRN=patient_id", "--map", "Patient Name=patient_name", "--map", "Lang=language",
                 "--map", "Appt=appointment", "--map", "Arrive=arrive_minutes_before")
    assert result.exit_code == 0, result.stderr
    assert "Ignored roster columns: Loc, Doc\n" in result.stderr  # Handouts, Prep, Phone match by name
    assert "Dear Ann Example," in pdf_text(out / "P001.pdf")
    bad = cli("packets", roster, "--out", out, "-w", workspace, "--map", "MRN=mrn")
    assert bad.exit_code == 2 and "--map 'MRN=mrn'" in bad.stderr


def test_yaml_and_json_rosters(cli, workspace, tmp_path):
    record = {"patient_id": "P200", "patient_name": "Quinn Example", "handouts": [RETRO], "phone": "(555) 010-0199"}
    (tmp_path / "roster.json").write_text(json.dumps([record]))
    (tmp_path / "roster.yaml").write_text(f"- patient_id: P201\n  patient_name: Quinn Example\n  handouts: [{RETRO}]\n")
    for name, patient_id in (("roster.json", "P200"), ("roster.yaml", "P201")):
        out = tmp_path / name.replace(".", "-")
        assert cli("packets", tmp_path / name, "--out", out, "-j", "1", "-w", workspace).exit_code == 0
        text = pdf_text(out / f"{patient_id}.pdf")
        assert "Dear Quinn Example," in text
    assert "(555) 010-0199" in pdf_text(tmp_path / "roster-json" / "P200.pdf")  # row phone wins


def test_resume_skips_unchanged_and_redoes_changed(cli, workspace, tmp_path):
    rows = [ROWS[0], ROWS[1]]
    roster = write_roster(tmp_path / "roster.csv", rows)
    out = tmp_path / "out"
    assert cli("packets", roster, "--out", out, "-j", "1", "-w", workspace).exit_code == 0
    first = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.glob("*.pdf")}
    changed = [rows[0], ("P002", "Bob Example", "en", RETRO, "2026-12-01T10:00", "ok")]
    write_roster(roster, changed)
    assert cli("packets", roster, "--out", out, "--resume", "-j", "1", "-w", workspace).exit_code == 0
    assert (out / "P001.pdf").stat().st_mtime_ns == first["P001.pdf"][1]  # untouched
    assert (out / "P002.pdf").read_bytes() != first["P002.pdf"][0]  # redone: fewer handouts now
    assert manifest(out)[1]["handouts"] == [f"{RETRO}.en"]


def _session_processes(session: int) -> list[int]:
    """Pids of live (not zombie) processes in ``session`` (a run started with start_new_session)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat_fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat_fields[3]) == session and stat_fields[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_kill_9_then_resume_gives_the_clean_set(workspace, tmp_path):
    """A batch whose parent is killed mid-way: workers leave, the manifest tells the truth, and
    --resume ends byte-identical to an uninterrupted run."""
    rows = [(f"K{i:03d}", f"Kay {i}", "en", f"{RETRO};{NEPHRO}", "2026-12-03T09:00", "ok") for i in range(60)]
    roster = write_roster(tmp_path / "roster.csv", rows)
    command = [sys.executable, "-m", "handoutgen", "packets", str(roster), "-w", str(workspace), "--jobs", "2"]

    clean = tmp_path / "clean"
    subprocess.run([*command, "--out", str(clean), "--combined", str(tmp_path / "clean.pdf")], check=True,
                   capture_output=True)

    out = tmp_path / "killed"
    process = subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(out.glob("K*.pdf"))) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)  # the parent only: its workers must notice and leave
    process.wait()
    deadline = time.monotonic() + 15
    while _session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _session_processes(process.pid) == [], "workers outlived the killed run"

    written = sorted(out.glob("K*.pdf"))
    assert 10 <= len(written) < 60, "the kill should land mid-batch"
    for path in written:  # every file that exists is a whole PDF
        with pikepdf.open(path):
            pass
    import hashlib

    listed = manifest(out)
    for record in listed:  # the manifest never claims a packet that is not there, whole
        if record["status"] == "ok":
            assert hashlib.sha256((out / record["output"]).read_bytes()).hexdigest() == record["sha256"]
        else:
            assert record["status"] == "not started"
    assert any(r["status"] == "not started" for r in listed)

    subprocess.run([*command, "--out", str(out), "--resume", "--combined", str(tmp_path / "resumed.pdf")],
                   check=True, capture_output=True)
    ours = {".handoutgen-key", ".handoutgen.lock"}  # per folder by design
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in clean.iterdir())
    for path in clean.iterdir():
        if path.name not in ours | {"manifest.json", "manifest.csv"}:
            assert (out / path.name).read_bytes() == path.read_bytes(), path.name
    assert [{k: v for k, v in r.items() if k != "input_hmac"} for r in manifest(out)] == \
        [{k: v for k, v in r.items() if k != "input_hmac"} for r in manifest(clean)]
    assert (tmp_path / "resumed.pdf").read_bytes() == (tmp_path / "clean.pdf").read_bytes()
