"""A FHIR R4 schedule bundle as a roster: one row per Appointment.

A searchset or collection Bundle of Appointments, with the Patient, Location and
Practitioner each refers to (contained in the Appointment as ``#id``, or entries of the
bundle named by ``Patient/123`` or by their fullUrl), becomes the same roster rows a CSV
gives (roster.RosterEntry), so planning, the manifest and --resume see no difference.
Each resource is validated with the FHIR R4 models of ``fhir.resources`` (its R4B
package: R4B changed nothing in these four resources).

Every problem fails its Appointment's row only, and names the Appointment by its id;
like any roster error it never echoes a value (a name may sit where a code belongs).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.humanname import HumanName
from pydantic import ValidationError

from handoutgen.errors import ErrorList, HandoutgenError, Location, SourceError
from handoutgen.load import dotted
from handoutgen.model import FhirSettings
from handoutgen.packets.roster import COLUMNS, DUPLICATE_KEYS, RawRow, Roster, RosterEntry, _entry, _valid_id

BUNDLE_TYPES = ("searchset", "collection")
# No packet for an appointment that will not happen.
NO_PACKET_STATUSES = ("cancelled", "noshow", "entered-in-error")
BCP47_SYSTEM = "urn:ietf:bcp:47"
CLINICIAN_TYPES = ("Practitioner", "PractitionerRole")
# Type/id, optionally versioned, at the end of a relative or absolute reference.
_TYPED_ID = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")
_SAME_NAMES: dict[str, str | None] = {column: column for column in COLUMNS}


class RowProblem(Exception):
    """A problem of one Appointment: its row fails with this message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _has_duplicate_keys(value: Any) -> bool:
    if isinstance(value, dict):
        return DUPLICATE_KEYS in value or any(_has_duplicate_keys(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_duplicate_keys(v) for v in value)
    return False


def _validation_message(name: str, error: ValidationError) -> str:
    """Which fields of a resource are invalid, in the FHIR library's words (never the value)."""
    details = error.errors(include_url=False)
    shown = "; ".join(_field_problem(d) for d in details[:3])
    more = f" (and {len(details) - 3} more)" if len(details) > 3 else ""
    return f"{name} is not a valid FHIR R4 resource: {shown}{more}"


def _field_problem(detail: Any) -> str:
    # A key FHIR does not define is the bundle's own text (it could be anything, a name even):
    # say where it is, not what it is.
    if detail["type"] == "extra_forbidden":
        return f"field '{dotted(tuple(detail['loc'][:-1])) or '(the resource)'}': has a key FHIR R4 does not define"
    return f"field '{dotted(tuple(detail['loc']))}': {detail['msg'].removeprefix('Value error, ')}"


# What a code looks like ("system|code", SNOMED digits, local codes); anything else is not echoed.
_SHOWN_CODE = re.compile(r"^[A-Za-z0-9.\-_|:/]{1,80}$")


def _validated(name: str, resource: dict[str, Any]) -> Any:
    """The typed FHIR model of a resource dict (raise RowProblem when it is not valid R4)."""
    if _has_duplicate_keys(resource):
        raise RowProblem(f"{name} gives a key twice")
    try:
        model_class = get_fhir_model_class(str(resource.get("resourceType")))
    except (KeyError, ValueError):  # "not a valid FHIR Model"
        raise RowProblem(f"{name} has no known resourceType") from None
    try:
        return model_class.model_validate(resource)
    except ValidationError as error:
        raise RowProblem(_validation_message(name, error)) from None
    except (TypeError, ValueError, KeyError, AttributeError) as error:  # the library tripped on odd input
        raise RowProblem(f"{name} is not a valid FHIR R4 resource (the FHIR library cannot read it: "
                         f"{type(error).__name__})") from None


class BundleIndex:
    """The bundle's resources by fullUrl and by Type/id, validated on first use."""

    def __init__(self, resources: list[tuple[str | None, dict[str, Any]]]):
        self.by_url: dict[str, list[dict[str, Any]]] = {}
        self.by_type_id: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for full_url, resource in resources:
            if full_url:
                self.by_url.setdefault(full_url, []).append(resource)
            if isinstance(resource.get("id"), str):
                self.by_type_id.setdefault((str(resource.get("resourceType")), resource["id"]), []).append(resource)
        self._models: dict[int, Any] = {}

    def find(self, reference: str) -> dict[str, Any] | None:
        found = self.by_url.get(reference)
        if found is None and (match := _TYPED_ID.search(reference)):
            found = self.by_type_id.get((match[1], match[2]))
        if found and len(found) > 1:
            raise RowProblem(f"{_shown(reference)} appears more than once in the bundle")
        return found[0] if found else None

    def model(self, reference: str, resource: dict[str, Any]) -> Any:
        key = id(resource)
        if key not in self._models:
            try:
                self._models[key] = _validated(_shown(reference), resource)
            except RowProblem as problem:
                self._models[key] = problem
        if isinstance(self._models[key], RowProblem):
            raise self._models[key]
        return self._models[key]


def _shown(reference: str) -> str:
    """A reference as an error may show it: Type/id, #id or urn:uuid (ids are not names)."""
    if match := _TYPED_ID.search(reference):
        return f"{match[1]}/{match[2]}"
    if re.fullmatch(r"#[A-Za-z0-9\-.]{1,64}|urn:uuid:[0-9a-fA-F\-]{36}|urn:oid:[0-9.]{1,64}", reference):
        return reference
    return "a reference"


def _resolve(reference: str, appointment: Any, index: BundleIndex) -> Any | None:
    """The typed resource a reference names: contained (#id) or in the bundle; None if absent."""
    if reference.startswith("#"):
        return next((r for r in appointment.contained or [] if r.id == reference[1:]), None)
    resource = index.find(reference)
    return None if resource is None else index.model(reference, resource)


def _type_of(reference: str | None) -> str | None:
    match = _TYPED_ID.search(reference or "")
    return match[1] if match else None


def human_name(names: list[HumanName] | None) -> str:
    """The official name (else the first) as text: its ``text``, else its parts in order."""
    if not names:
        return ""
    name = next((n for n in names if n.use == "official"), names[0])
    if name.text:
        return name.text
    parts = [*(name.prefix or []), *(name.given or []), name.family, *(name.suffix or [])]
    return " ".join(part for part in parts if part)


def _language(patient: Any) -> str | None:
    """Patient.communication: the preferred language, else the first; a BCP 47 code, else text."""
    communications = patient.communication or []
    if not communications:
        return None
    chosen = next((c for c in communications if c.preferred), communications[0])
    concept: CodeableConcept = chosen.language
    codings = concept.coding or []
    coding = next((c for c in codings if c.system == BCP47_SYSTEM and c.code), None) or \
        next((c for c in codings if c.code), None)
    if coding is not None:
        return coding.code
    return concept.text or next((c.display for c in codings if c.display), None)


def _patient_id(patient: Any, reference: str, system: str) -> str:
    values: set[str] = {i.value for i in patient.identifier or [] if i.system == system and i.value and i.use != "old"}
    if not values:
        raise RowProblem(f"{reference} has no identifier of the MRN system {system} (fhir.patient_id_system)")
    if len(values) > 1:
        raise RowProblem(f"{reference} has {len(values)} different identifiers of the MRN system {system}")
    return values.pop()


def _codes(concept: CodeableConcept) -> list[str]:
    return [f"{c.system}|{c.code}" if c.system else c.code for c in concept.coding or [] if c.code]


def _handouts(appointment: Any, by_code: dict[str, list[str]]) -> list[str]:
    """Handout ids of the serviceType and appointmentType codes; every coded concept must be mapped."""
    concepts = [(f"serviceType[{i}]", c) for i, c in enumerate(appointment.serviceType or [])]
    if appointment.appointmentType is not None:
        concepts.append(("appointmentType", appointment.appointmentType))
    handouts: list[str] = []
    unmapped: list[str] = []
    for field, concept in concepts:
        codes = _codes(concept)
        if not codes:
            raise RowProblem(f"{field} has no code to look up in fhir.handouts_by_code")
        # A concept is mapped when one of its codings is (a SNOMED code and a local code, say).
        mapped = [by_code[key] for code in codes
                  for key in (code, code.rpartition("|")[2]) if key in by_code]
        if not mapped:
            unmapped += codes
            continue
        handouts += mapped[0]
    if unmapped:
        shown = [code if _SHOWN_CODE.match(code) else "(a code with spaces or symbols)" for code in unmapped]
        raise RowProblem(f"code(s) {', '.join(shown)} not in fhir.handouts_by_code (map a code to [] "
                         "when it needs no handout)")
    if not handouts:
        raise RowProblem("no handout: the Appointment has no serviceType or appointmentType code that "
                         "fhir.handouts_by_code maps to a handout")
    return list(dict.fromkeys(handouts))


def _values(appointment: Any, index: BundleIndex, settings: FhirSettings) -> tuple[dict[str, Any], str]:
    """The roster columns of one Appointment, and its patient_id as soon as it is known."""
    status = appointment.status
    if status in NO_PACKET_STATUSES:
        raise RowProblem(f"status is '{status}': no packet for an appointment that will not take place")
    patients, clinicians, locations = [], [], []
    for number, participant in enumerate(appointment.participant or []):
        actor = participant.actor
        if actor is None or not (actor.reference or actor.display):
            continue
        resource = _resolve(actor.reference, appointment, index) if actor.reference else None
        kind = resource.get_resource_type() if resource is not None else actor.type or _type_of(actor.reference)
        if actor.reference and resource is None and (kind == "Patient" or not actor.display):
            raise RowProblem(f"participant[{number}] refers to {_shown(actor.reference)}, which is neither "
                             "contained in the Appointment nor an entry of the bundle")
        reference = _shown(actor.reference) if actor.reference else f"participant[{number}]"
        if kind == "Patient":
            if resource is None:
                raise RowProblem(f"participant[{number}] names its Patient by display only; a packet needs "
                                 "the Patient resource (for its MRN)")
            patients.append((reference, resource))
        elif kind == "Location":
            locations.append((resource.name if resource is not None else None) or actor.display or "")
        elif kind in CLINICIAN_TYPES:
            named = human_name(resource.name) if kind == "Practitioner" and resource is not None else ""
            clinicians.append(named or actor.display or "")
    if len(patients) != 1:
        raise RowProblem(f"has {len(patients) or 'no'} Patient participant(s); a packet needs exactly one")
    reference, patient = patients[0]
    patient_id = _patient_id(patient, reference, settings.patient_id_system)
    values: dict[str, Any] = {
        "patient_id": patient_id,
        "patient_name": human_name(patient.name),
        "language": _language(patient),
        "handouts": _handouts(appointment, settings.handouts_by_code),
        "appointment": appointment.start.astimezone(zoneinfo.ZoneInfo(settings.time_zone))
        if appointment.start else None,
        "location": ", ".join(filter(None, locations)),
        "clinician": ", ".join(filter(None, clinicians)),
        "prep": appointment.patientInstruction,
    }
    return {column: value for column, value in values.items() if value not in (None, "")}, patient_id


def _naming(name: str, error: HandoutgenError) -> SourceError:
    """A row's validation error as one message that starts with the Appointment."""
    errors = error.errors if isinstance(error, ErrorList) else [error]
    messages = [f"{e.location.field}: {e.message}" if e.location.field else e.message for e in errors]
    return SourceError(f"{name}: {'; '.join(messages)}", Location(error.location.path, None, None, error.location.row))


def _appointment_entry(path: Path, number: int, entry: Any, index: BundleIndex,
                       settings: FhirSettings) -> RosterEntry:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    given_id = resource.get("id") if isinstance(resource, dict) else None
    name = f"Appointment/{given_id}" if isinstance(given_id, str) and _TYPED_ID.search(f"Appointment/{given_id}") \
        else f"Appointment (bundle entry {number}, no valid id)"
    patient_id = ""
    try:
        if not isinstance(resource, dict):
            raise RowProblem(f"bundle entry {number} holds no resource")
        if DUPLICATE_KEYS in entry:
            raise RowProblem("its bundle entry gives a key twice")
        appointment: Appointment = _validated("the Appointment", resource)
        values, patient_id = _values(appointment, index, settings)
    except RowProblem as problem:
        return RosterEntry(number, None, SourceError(f"{name}: {problem.message}", Location(path, None, None, number)),
                           _valid_id(patient_id))
    validated = _entry(path, RawRow(number, None, values), _SAME_NAMES, ())
    if validated.error is not None:
        return RosterEntry(number, None, _naming(name, validated.error), validated.patient_id)
    return validated


def _entries(bundle: dict[str, Any]) -> Iterator[tuple[str | None, Any]]:
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        yield (entry.get("fullUrl") if isinstance(entry, dict) else None), (entry, resource)


def _is_row(entry: Any, resource: Any) -> bool:
    """Appointments the search matched (an included one is context) and entries too broken to tell."""
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return True
    search = entry.get("search") if isinstance(entry.get("search"), dict) else {}
    return resource["resourceType"] == "Appointment" and search.get("mode") != "include"


def load_bundle(path: Path, bundle: dict[str, Any], settings: FhirSettings | None) -> Roster:
    """A FHIR R4 schedule Bundle as a Roster: one entry per Appointment, in bundle order."""
    if settings is None:
        raise SourceError("this is a FHIR Bundle: set fhir: patient_id_system, time_zone and handouts_by_code "
                          "in handoutgen.yaml to read it as a roster", Location(path))
    if DUPLICATE_KEYS in bundle:
        raise SourceError("the Bundle gives a key twice", Location(path))
    try:
        _validated("the Bundle", {k: v for k, v in bundle.items() if k != "entry"})
    except RowProblem as problem:
        raise SourceError(problem.message, Location(path)) from None
    if bundle.get("type") not in BUNDLE_TYPES:
        raise SourceError(f"Bundle type must be {' or '.join(BUNDLE_TYPES)} (a schedule search or collection)",
                          Location(path, None, "type"))
    if not isinstance(bundle.get("entry", []), list):
        raise SourceError("Bundle entry must be a list", Location(path, None, "entry"))
    listed = list(_entries(bundle))
    index = BundleIndex([(url if isinstance(url, str) else None, resource) for url, (_, resource) in listed
                         if isinstance(resource, dict)])
    rows = [(entry, resource) for _, (entry, resource) in listed if _is_row(entry, resource)]
    if not rows:
        raise SourceError("the Bundle holds no Appointment", Location(path))
    entries = [_appointment_entry(path, number, entry, index, settings)
               for number, (entry, _) in enumerate(rows, start=1)]
    return Roster(path, entries, [])
