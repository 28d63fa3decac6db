"""A coordinator hands handoutgen the EHR's schedule as a FHIR R4 Bundle instead of a CSV.

Every bundle here is synthetic, made in the test: no real people.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import REPO, pdf_pages_text
from test_fuzz import fuzz_settings
from handoutgen.errors import HandoutgenError
from handoutgen.model import FhirSettings
from handoutgen.packets.roster import load_roster

RETRO, NEPHRO = "retrograde-pyelography", "nephrostomy-ureteral-stent"
MRN = "https://clinic.example.org/fhir/sid/mrn"
PROCEDURES = "https://clinic.example.org/fhir/CodeSystem/procedures"
V2_0276 = "http://terminology.hl7.org/CodeSystem/v2-0276"
SETTINGS = FhirSettings(
    patient_id_system=MRN, time_zone="America/New_York",
    handouts_by_code={f"{PROCEDURES}|retro": [RETRO], "neph": [NEPHRO], f"{V2_0276}|ROUTINE": []},
)
README = REPO / "README.md"


def patient(pid: str, mrn: str | None, family: str, language: str | None = None, **extra) -> dict:
    resource = {"resourceType": "Patient", "id": pid,
                "name": [{"use": "usual", "given": ["Nick"]}, {"use": "official", "family": family, "given": ["Test", "Patient"]}]}
    if mrn is not None:
        resource["identifier"] = [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "000-00-0000"},
                                  {"system": MRN, "value": mrn}]
    if language:
        resource["communication"] = [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "en"}]}},
                                     {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": language}]},
                                      "preferred": True}]
    return resource | extra


def appointment(aid: str, patient_ref: str, start: str = "2026-12-01T14:30:00Z", code: str = "retro",
                system: str | None = PROCEDURES, **extra) -> dict:
    coding = {"code": code} | ({"system": system} if system else {})
    return {
        "resourceType": "Appointment", "id": aid, "status": "booked", "start": start,
        "serviceType": [{"coding": [coding]}],
        "participant": [{"actor": {"reference": patient_ref}, "status": "accepted"},
                        {"actor": {"reference": "Practitioner/prac-1"}, "status": "accepted"},
                        {"actor": {"reference": "urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7"}, "status": "accepted"}],
    } | extra


def bundle(*appointments: dict, included: tuple[dict, ...] = (), kind: str = "searchset") -> dict:
    entries = [{"fullUrl": f"https://ehr.example.org/fhir/Appointment/{a.get('id')}",
                "search": {"mode": "match"}, "resource": a} for a in appointments]
    context = [
        {"resourceType": "Practitioner", "id": "prac-1", "name": [{"prefix": ["Dr."], "given": ["Test"], "family": "Clinician"}]},
        *included,
    ]
    for resource in context:
        entries.append({"fullUrl": f"https://ehr.example.org/fhir/{resource['resourceType']}/{resource['id']}",
                        "search": {"mode": "include"}, "resource": resource})
    entries.append({"fullUrl": "urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7", "search": {"mode": "include"},
                    "resource": {"resourceType": "Location", "id": "loc-1", "name": "Urology Clinic B, room 2"}})
    data = {"resourceType": "Bundle", "type": kind, "entry": entries}
    if kind == "collection":
        for entry in entries:
            entry.pop("search")
    return data


def save(folder: Path, data: dict, name: str = "schedule.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def readme_fhir_settings() -> str:
    """The handoutgen.yaml `fhir:` block as the README documents it."""
    block = re.search(r"```yaml\n(fhir:\n.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert block, "README shows the fhir: settings"
    return block[1]


def with_fhir_settings(workspace: Path, settings: str) -> None:
    config = workspace / "handoutgen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\n" + settings, encoding="utf-8")


def manifest(out: Path) -> list[dict]:
    return json.loads((out / "manifest.json").read_text())["rows"]


def test_schedule_bundle_becomes_packets_with_names_and_local_times(workspace, cli, tmp_path):
    """Contained, included and fullUrl references; offsets shown in the clinic's zone; resume keeps them."""
    with_fhir_settings(workspace, readme_fhir_settings())
    contained = appointment("a-1", "#p", start="2026-12-01T14:30:00Z", code="retro-pyelogram",
                            contained=[patient("p", "MRN-0001", "One", "es")],
                            patientInstruction="Nothing to eat or drink after midnight.")
    included = appointment("a-2", "https://ehr.example.org/fhir/Patient/p-2", start="2026-12-01T16:00:00+01:00",
                           code="neph-stent",
                           appointmentType={"coding": [{"system": V2_0276, "code": "ROUTINE"}]})
    missing = appointment("a-3", "Patient/p-404", code="neph-stent")
    # the same patient's earlier, cancelled booking: its row fails, but not as a duplicate of a-2
    cancelled = appointment("a-4", "Patient/p-2", code="neph-stent", status="cancelled")
    data = bundle(contained, included, missing, cancelled, included=(patient("p-2", "MRN-0002", "Two"),))
    roster = save(tmp_path, data)
    out = tmp_path / "packets"

    result = cli("packets", roster, "--out", out, "--jobs", "1", "-w", workspace)

    assert result.exit_code == 1  # two appointments failed
    rows = manifest(out)
    assert [(r["row"], r["patient_id"], r["status"]) for r in rows] == [
        (1, "MRN-0001", "ok"), (2, "MRN-0002", "ok"), (3, "", "failed"), (4, "", "failed")]
    assert rows[2]["error"].startswith("Appointment/a-3: participant[0] refers to Patient/p-404")
    assert rows[3]["error"].startswith("Appointment/a-4: status is 'cancelled'")
    assert "row 3 (no valid patient_id): Appointment/a-3:" in result.stderr
    assert "Test Patient" not in result.stderr + (out / "manifest.csv").read_text()
    spanish = " ".join(pdf_pages_text(out / "MRN-0001.pdf")[0].split())
    assert "Test Patient One" in spanish
    assert "martes, 1 de diciembre de 2026" in spanish and "9:30" in spanish  # 14:30Z in New York
    assert "Urology Clinic B, room 2" in spanish and "Dr. Test Clinician" in spanish
    assert "Nothing to eat or drink after midnight." in spanish
    english = " ".join(pdf_pages_text(out / "MRN-0002.pdf")[0].split())
    assert "Dear Test Patient Two," in english  # the official name, not the usual one
    assert "Tuesday, December 1, 2026" in english and "10:00" in english  # 16:00+01:00 in New York
    assert "Nephrostomy Tube and Ureteral Stent" in english and "Retrograde" not in english

    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")}
    again = cli("packets", roster, "--out", out, "--jobs", "1", "--resume", "-w", workspace)
    assert again.exit_code == 1
    assert manifest(out) == rows
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")} == before


def test_the_documented_example_bundle_reads_as_documented(tmp_path):
    import yaml

    settings = FhirSettings.model_validate(yaml.safe_load(readme_fhir_settings())["fhir"])
    roster = load_roster(REPO / "docs/examples/fhir-schedule.json", fhir=settings)
    first, second, third = roster.entries
    assert first.row is not None and first.row.language == "es" and first.row.handouts == [RETRO]
    assert first.row.appointment == dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert second.row is not None and second.row.patient_id == "MRN-0002" and second.row.handouts == [NEPHRO]
    assert third.row is None and "Appointment/appt-1003: status is 'cancelled'" in third.error.message


@pytest.mark.parametrize("start, expected", [
    ("2026-12-01T14:30:00Z", (9, 30, -5)),  # winter: EST
    ("2026-07-01T13:30:00Z", (9, 30, -4)),  # summer: EDT
    ("2026-12-01T09:30:00-05:00", (9, 30, -5)),
    ("2026-12-02T00:15:00+09:00", (10, 15, -5)),  # the day before in New York
])
def test_start_offsets_are_shown_in_the_clinic_zone(tmp_path, start, expected):
    data = bundle(appointment("a-1", "Patient/p-1", start=start), included=(patient("p-1", "MRN-1", "One"),))
    row = load_roster(save(tmp_path, data), fhir=SETTINGS).entries[0].row
    assert row is not None and row.appointment is not None
    hour, minute, offset = expected
    assert (row.appointment.hour, row.appointment.minute) == (hour, minute)
    assert row.appointment.utcoffset() == dt.timedelta(hours=offset)


def test_codes_map_by_system_and_code_or_by_code_alone(tmp_path):
    data = bundle(
        appointment("a-1", "Patient/p-1", code="retro"),
        appointment("a-2", "Patient/p-2", code="neph", system="http://other.example.org/codes",
                    serviceType=[{"coding": [{"system": "http://snomed.info/sct", "code": "000000"},
                                             {"code": "neph"}]},
                                 {"coding": [{"system": PROCEDURES, "code": "retro"}]}],
                    appointmentType={"coding": [{"system": V2_0276, "code": "ROUTINE"}]}),
        included=(patient("p-1", "MRN-1", "One"), patient("p-2", "MRN-2", "Two")), kind="collection",
    )
    first, second = load_roster(save(tmp_path, data), fhir=SETTINGS).entries
    assert first.row is not None and first.row.handouts == [RETRO]
    # one coding of a concept is enough; ROUTINE maps to no handout
    assert second.row is not None and second.row.handouts == [NEPHRO, RETRO]
    assert first.row.clinician == "Dr. Test Clinician" and first.row.location == "Urology Clinic B, room 2"


def _broken(kind: str, good: dict, included: list[dict]) -> None:
    """Break appointment ``good`` (id a-bad) in one way."""
    if kind == "invalid resource":
        good["start"] = "Test Patient Bad"  # not an instant; the value must not be echoed
    elif kind == "missing reference":
        good["participant"][0]["actor"]["reference"] = "Patient/nobody"
    elif kind == "missing contained":
        good["participant"][0]["actor"]["reference"] = "#nobody"
    elif kind == "no MRN identifier":
        del included[0]["identifier"]
    elif kind == "two MRNs":
        included[0]["identifier"].append({"system": MRN, "value": "MRN-OTHER"})
    elif kind == "unmapped code":
        good["serviceType"][0]["coding"][0]["code"] = "unmapped-procedure"
    elif kind == "code without coding":
        good["serviceType"] = [{"text": "Test Patient Bad's procedure"}]
    elif kind == "only no-handout codes":
        good.pop("serviceType")
        good["appointmentType"] = {"coding": [{"system": V2_0276, "code": "ROUTINE"}]}
    elif kind == "cancelled":
        good["status"] = "cancelled"
    elif kind == "no patient":
        good["participant"].pop(0)
    elif kind == "patient by display only":
        good["participant"][0]["actor"] = {"type": "Patient", "display": "Test Patient Bad"}
    elif kind == "invalid patient":
        included[0]["birthDate"] = "Test Patient Bad"
    elif kind == "patient twice in bundle":
        included.append(copy.deepcopy(included[0]))
    elif kind == "bad language":
        included[0]["communication"] = [{"language": {"text": "Test Patient Bad!"}}]
    elif kind == "name too long":
        included[0]["name"] = [{"text": "Test Patient Bad " * 20}]
    elif kind == "bad MRN":
        included[0]["identifier"] = [{"system": MRN, "value": "../Test Patient Bad"}]
    elif kind == "unknown key":  # an export that put a name where a key goes
        included[0]["Test Patient Bad"] = "x"
    elif kind == "code that is text":
        good["serviceType"][0]["coding"][0]["code"] = "Test Patient Bad"


ERROR_KINDS = {
    "invalid resource": "is not a valid FHIR R4 resource: field 'start'",
    "missing reference": "participant[0] refers to Patient/nobody, which is neither contained",
    "missing contained": "participant[0] refers to #nobody",
    "no MRN identifier": f"Patient/p-bad has no identifier of the MRN system {MRN}",
    "two MRNs": "Patient/p-bad has 2 different identifiers of the MRN system",
    "unmapped code": f"code(s) {PROCEDURES}|unmapped-procedure not in fhir.handouts_by_code",
    "code without coding": "serviceType[0] has no code",
    "only no-handout codes": "no handout:",
    "cancelled": "status is 'cancelled'",
    "no patient": "has no Patient participant(s)",
    "patient by display only": "participant[0] names its Patient by display only",
    "invalid patient": "Patient/p-bad is not a valid FHIR R4 resource: field 'birthDate'",
    "patient twice in bundle": "Patient/p-bad appears more than once in the bundle",
    "bad language": "language: not valid",
    "name too long": "patient_name: longer than 200 characters",
    "bad MRN": "patient_id: not valid",
    "unknown key": "Patient/p-bad is not a valid FHIR R4 resource: field '(the resource)': has a key FHIR R4 does not define",
    "code that is text": "code(s) (a code with spaces or symbols) not in fhir.handouts_by_code",
}


@pytest.mark.parametrize("kind", ERROR_KINDS)
def test_each_problem_fails_only_its_appointment_and_names_it(tmp_path, kind):
    good_patient, bad_patient = patient("p-ok", "MRN-OK", "One"), patient("p-bad", "MRN-BAD", "Bad")
    bad = appointment("a-bad", "Patient/p-bad")
    included = [bad_patient]
    _broken(kind, bad, included)
    data = bundle(appointment("a-ok", "Patient/p-ok"), bad, included=(good_patient, *included))

    entries = load_roster(save(tmp_path, data), fhir=SETTINGS).entries

    assert entries[0].row is not None and entries[0].row.patient_id == "MRN-OK"
    assert entries[1].row is None
    message = entries[1].error.render()
    assert "schedule.json: row 2: Appointment/a-bad: " in message
    assert ERROR_KINDS[kind] in message
    assert "Test Patient Bad" not in message


def test_a_key_given_twice_fails_its_appointment(tmp_path):
    text = json.dumps(bundle(appointment("a-ok", "Patient/p-ok"), appointment("a-bad", "Patient/p-ok", status="booked"),
                             included=(patient("p-ok", "MRN-OK", "One"),)))
    # the second appointment's status twice: JSON readers keep the last one silently
    text = text.replace('"id": "a-bad", "status": "booked"', '"id": "a-bad", "status": "booked", "status": "cancelled"')
    path = tmp_path / "schedule.json"
    path.write_text(text, encoding="utf-8")
    first, second = load_roster(path, fhir=SETTINGS).entries
    assert first.row is not None
    assert "Appointment/a-bad: the Appointment gives a key twice" in second.error.message


@pytest.mark.parametrize("data, message", [
    ({"resourceType": "Bundle", "type": "transaction", "entry": []}, "Bundle type must be searchset or collection"),
    ({"resourceType": "Bundle", "type": "searchset", "entry": []}, "the Bundle holds no Appointment"),
    ({"resourceType": "Bundle", "type": "searchset", "total": "many"}, "the Bundle is not a valid FHIR R4 resource"),
])
def test_a_bundle_that_is_no_schedule_is_refused_whole(tmp_path, data, message):
    with pytest.raises(HandoutgenError, match=message):
        load_roster(save(tmp_path, data), fhir=SETTINGS)


def test_settings_are_required_and_checked(workspace, cli, tmp_path):
    roster = save(tmp_path, bundle(appointment("a-1", "Patient/p-1"), included=(patient("p-1", "MRN-1", "One"),)))
    result = cli("packets", roster, "--out", tmp_path / "out", "-w", workspace)
    assert result.exit_code != 0 and "set fhir: patient_id_system, time_zone and handouts_by_code" in result.stderr

    with_fhir_settings(workspace, f"fhir:\n  patient_id_system: {MRN}\n  time_zone: Mars/Olympus_Mons\n")
    result = cli("packets", roster, "--out", tmp_path / "out", "-w", workspace)
    assert result.exit_code != 0
    assert "handoutgen.yaml" in result.stderr and "not a known IANA time zone" in result.stderr
    assert not (tmp_path / "out").exists()


def test_map_options_do_not_apply_to_a_bundle(tmp_path):
    roster = save(tmp_path, bundle(appointment("a-1", "Patient/p-1"), included=(patient("p-1", "MRN-1", "One"),)))
    with pytest.raises(HandoutgenError, match="not to a FHIR bundle"):
        load_roster(roster, column_map={"MRN": "patient_id"}, fhir=SETTINGS)


def test_an_entry_without_a_resource_is_a_failed_row(tmp_path):
    data = bundle(appointment("a-ok", "Patient/p-ok"), included=(patient("p-ok", "MRN-OK", "One"),))
    data["entry"].insert(1, {"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000000"})
    first, second = load_roster(save(tmp_path, data), fhir=SETTINGS).entries
    assert first.row is not None
    assert second.row is None and "bundle entry 2 holds no resource" in second.error.message


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.sampled_from(
        ["Patient/p-ok", "#p", "Appointment", "Patient", "Bundle", "include", "cancelled", "2026-12-01T09:30:00Z"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths(value, here=()):
    """Every place in a JSON value where a value can be replaced."""
    yield here
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, (*here, key))


@fuzz_settings()
@given(data=st.data())
def test_a_mangled_bundle_never_crashes_the_reader(tmp_path_factory, data):
    """Any value anywhere in a bundle replaced by any JSON: a roster, or one HandoutgenError."""
    bundle_data = bundle(appointment("a-ok", "Patient/p-ok", contained=[patient("p", "MRN-C", "Three", "es")]),
                         appointment("a-2", "#p"), included=(patient("p-ok", "MRN-OK", "One", "es"),))
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(list(_paths(bundle_data))))
        if not where:
            continue
        parent = bundle_data
        for key in where[:-1]:
            parent = parent[key]
        parent[where[-1]] = data.draw(JSON_VALUES)
    path = tmp_path_factory.mktemp("fuzz") / "schedule.json"
    path.write_text(json.dumps(bundle_data), encoding="utf-8")
    try:
        roster = load_roster(path, fhir=SETTINGS)
    except HandoutgenError:
        return
    assert roster.entries and all((e.row is None) != (e.error is None) for e in roster.entries)


@pytest.mark.parametrize("communication, expected", [
    ([{"language": {"text": "Spanish"}}], "es"),  # text only: read like the roster's language column
    ([{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "zh-CN"}]}}], "zh-Hans"),
    ([{"language": {"coding": [{"code": "ar"}]}}, {"language": {"coding": [{"code": "es"}]}}], "ar"),  # the first
    ([], "en"),
])
def test_language_comes_from_the_preferred_communication(tmp_path, communication, expected):
    data = bundle(appointment("a-1", "Patient/p-1"),
                  included=(patient("p-1", "MRN-1", "One", communication=communication),))
    row = load_roster(save(tmp_path, data), fhir=SETTINGS).entries[0].row
    assert row is not None and row.language == expected
