"""Property-based fuzzing: whatever bytes a user feeds in, only our own error type comes out.

Random bytes, random nested data dumped to YAML/JSON/CSV, and mutations of the sample
handouts go through the YAML loader and validator, the workspace `check`, and the roster
reader. Any exception other than ``HandoutgenError`` (and its subclasses) is a bug.

CI runs a small, repeatable campaign (derandomized, a few seconds per test).
``make fuzz`` runs a longer random one: ``HANDOUTGEN_FUZZ_EXAMPLES=N`` sets the examples
per test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from handoutgen.errors import HandoutgenError
from handoutgen.load import load_yaml
from handoutgen.model import Brand, Handout, JargonList, Translation, WorkspaceConfig
from handoutgen.packets.roster import load_roster
from handoutgen.validate import validate

from conftest import REPO, copy_sample_workspace, run_cli

LONG_CAMPAIGN = "HANDOUTGEN_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("HANDOUTGEN_FUZZ_EXAMPLES", "60"))


def fuzz_settings(share: float = 1.0):  # noqa: ANN201 - hypothesis settings
    """Repeatable in CI; random (a new campaign each run) when a human asks for a long one."""
    return settings(
        max_examples=max(1, int(EXAMPLES * share)),
        deadline=None,
        derandomize=not LONG_CAMPAIGN,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


SAMPLES = sorted((REPO / "handouts").glob("*/*.yaml"))
MODELS = (Handout, Translation, Brand, WorkspaceConfig, JargonList)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def load_and_validate(path: Path) -> None:
    """The loader and every model: any outcome but a crash is fine."""
    try:
        loaded = load_yaml(path)
    except HandoutgenError as error:
        assert error.render()  # the message itself renders without raising
        return
    for model in MODELS:
        try:
            validate(loaded, model)
        except HandoutgenError as error:
            assert error.render()


# --- building blocks ------------------------------------------------------------------------

# Text with the characters that break naive code: controls, surrogates are impossible in
# UTF-8 files, but quotes, colons, '#', '&', '*', '!', '%', tabs and line breaks are not.
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["", "~", "null", "yes", "no", "on", "1:30", "0x1F", "0o17", "1_000", ".nan", "-.inf", "2026-02-30",
     "2026-13-01", "0000-01-01", "9" * 5000, "<<", "=", "!!python/object:os.system", "&a", "*a", "---", "..."]
)
scalars = (
    st.none() | st.booleans() | st.integers() | st.floats()
    | st.dates() | st.datetimes() | texts
)
nested = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(texts, children, max_size=5),
    max_leaves=40,
)


def handout_like() -> st.SearchStrategy:
    """Mappings with the handout's own keys, so validation goes past the top level."""
    keys = st.sampled_from([*Handout.model_fields, *Translation.model_fields, "segments", "what", "term"])
    return st.dictionaries(keys, nested, max_size=12)


def dump_yaml(data: object) -> bytes:
    # yaml.dump (not safe_dump) writes tags for sets, tuples and bytes: the loader must refuse them.
    return yaml.dump(data, allow_unicode=True, sort_keys=False).encode("utf-8", "surrogatepass")


@st.composite
def mutated_sample(draw) -> bytes:
    """A sample handout or translation with a few random cuts, insertions and duplications."""
    data = bytearray(draw(st.sampled_from(SAMPLES)).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "insert", "duplicate", "flip"]))
        if kind == "cut":
            del data[at:at + draw(st.integers(1, 200))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(max_size=20) | st.sampled_from(
                [b"[", b"{", b"- ", b": ", b"!!str ", b"&x ", b"*x", b"\t", b"\n  - ", b"\"\\x1b", b"2026-02-30"]))
        elif kind == "duplicate":
            end = min(len(data), at + draw(st.integers(1, 300)))
            data[at:at] = data[at:end]
        elif data:
            index = min(at, len(data) - 1)
            data[index] = draw(st.integers(0, 255))
    return bytes(data)


# --- the YAML loader and the validator ------------------------------------------------------

@fuzz_settings()
@given(content=st.binary(max_size=2000))
def test_random_bytes(scratch, content):
    path = scratch / "random.yaml"
    path.write_bytes(content)
    load_and_validate(path)


@fuzz_settings()
@given(data=nested | handout_like() | st.sets(st.integers(), max_size=3) | st.binary(max_size=10)
       | st.tuples(texts, nested))
def test_random_structures(scratch, data):
    path = scratch / "structure.yaml"
    path.write_bytes(dump_yaml(data))
    load_and_validate(path)


@fuzz_settings()
@given(content=mutated_sample())
def test_mutated_samples(scratch, content):
    path = scratch / "mutated.yaml"
    path.write_bytes(content)
    load_and_validate(path)


# Plain (unquoted) YAML written as text, so the parser itself decides what each token is:
# impossible dates, huge numbers, tags, anchors and odd keys reach the loader unescaped.
raw_scalars = (
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?\Z")
    | st.integers().map(str) | st.integers(4290, 6000).map(lambda digits: "9" * digits) | st.floats().map(repr)
    | st.sampled_from(["~", "null", "yes", "No", "on", "1:30:00", "0x_1F", "0b101", "+.inf", ".NaN", "<<", "=",
                       "!!str x", "!!binary AAA", "!!set {a}", "!foo x", "&a x", "*a", "'q'", '"\\x1b\\u202e"',
                       "0000-01-01", "9999-12-31T23:59:59.9999999+99:99", "2026-02-29", "1e5", "1.0e+400"])
    | st.from_regex(r"\A[a-zA-Z][a-zA-Z0-9 ]{0,15}\Z")
)
raw_flow = st.recursive(
    raw_scalars,
    lambda inner: st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
    | st.lists(st.tuples(raw_scalars, inner), max_size=4).map(
        lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"),
    max_leaves=20,
)


@fuzz_settings()
@given(pairs=st.lists(st.tuples(st.sampled_from([*Handout.model_fields, *Translation.model_fields]) | raw_scalars,
                                raw_flow), max_size=10))
def test_raw_yaml_text(scratch, pairs):
    path = scratch / "raw.yaml"
    path.write_text("".join(f"{key}: {value}\n" for key, value in pairs), encoding="utf-8")
    load_and_validate(path)


@fuzz_settings()
@given(depth=st.integers(0, 3000), shape=st.sampled_from(["[]", "{}", "- ", "block list", "block map"]))
def test_any_nesting_depth(scratch, depth, shape):
    path = scratch / "deep.yaml"
    if shape == "[]":
        text = "a: " + "[" * depth + "]" * depth
    elif shape == "{}":
        text = "{a: " * depth + "}" * depth
    elif shape == "- ":
        text = "- " * depth + "x"
    elif shape == "block list":
        text = "".join("  " * level + "-\n" for level in range(min(depth, 400)))
    else:
        text = "".join("  " * level + "a:\n" for level in range(min(depth, 400)))
    path.write_text(text, encoding="utf-8")
    load_and_validate(path)


# --- the whole `check` on a workspace with one damaged handout ----------------------------------

@pytest.fixture(scope="module")
def fuzz_workspace(tmp_path_factory) -> Path:
    return copy_sample_workspace(tmp_path_factory.mktemp("fuzz-ws") / "ws")


@fuzz_settings(share=0.25)
@given(content=mutated_sample(), target=st.sampled_from(
    [*SAMPLES, REPO / "handoutgen.yaml", REPO / "jargon.yaml", REPO / "styles/brands/riverside/brand.yaml"]))
def test_check_on_a_damaged_workspace(fuzz_workspace, content, target):
    path = fuzz_workspace / target.relative_to(REPO)
    original = path.read_bytes()
    path.write_bytes(content)
    try:
        result = run_cli("check", "--format", "json", "--workspace", fuzz_workspace)  # raises on a crash
    finally:
        path.write_bytes(original)
    assert result.exit_code in (0, 1), result.stderr
    json.loads(result.stdout)


BRAND = Path("styles/brands/riverside/brand.yaml")
# Quoted any text (JSON strings are YAML double-quoted strings: NUL and controls as \\u0000).
raw_values = raw_flow | st.text(max_size=300).map(json.dumps) | st.sampled_from(
    ["../../etc/passwd", "x" * 300, "''", "logo.SVG", "logo.png", "/dev/zero", ".", "~/.ssh/id_rsa"])


@fuzz_settings()
@example(brand_field="logo", brand_value=json.dumps("logo\0.svg"), check_field="jargon_file", check_value="x" * 300)
@given(brand_field=st.just("logo") | st.sampled_from(list(Brand.model_fields)), brand_value=raw_values,
       check_field=st.just("jargon_file") | st.sampled_from(["max_grade", "review_interval_months", "unknown"]),
       check_value=raw_values)
def test_brand_and_config_values(fuzz_workspace, brand_field, brand_value, check_field, check_value):
    """One field of the sample brand and one content-check setting replaced by anything."""
    from handoutgen.checks.jargon import load_jargon
    from handoutgen.workspace import Workspace

    brand_path, config_path = fuzz_workspace / BRAND, fuzz_workspace / "handoutgen.yaml"
    brand_before, config_before = brand_path.read_bytes(), config_path.read_bytes()
    lines = [line for line in brand_before.decode().splitlines() if not line.startswith(f"{brand_field}:")]
    brand_path.write_text("\n".join([*lines, f"{brand_field}: {brand_value}"]) + "\n", encoding="utf-8")
    config_path.write_text(config_before.decode() + f"checks:\n  {check_field}: {check_value}\n", encoding="utf-8")
    try:
        workspace = Workspace(fuzz_workspace)
        for action in (lambda: workspace.load_brand("riverside"), lambda: load_jargon(workspace)):
            try:
                action()
            except HandoutgenError as error:
                assert error.render()
    finally:
        brand_path.write_bytes(brand_before)
        config_path.write_bytes(config_before)


# --- the roster reader ----------------------------------------------------------------------

ROSTER_COLUMNS = ["patient_id", "patient_name", "language", "handouts", "appointment", "arrive_minutes_before",
                  "location", "clinician", "prep", "phone", "PATIENT_ID", "Handouts", "extra", ""]
cells = scalars | st.sampled_from(["retrograde-pyelography", "P1", "p1", "CON", "46357.39", "20261201",
                                   "2026-12-01T09:30", "0001-01-01T00:05", "=HYPERLINK(\"x\")", "\ud800x"])
rows = st.lists(st.dictionaries(st.sampled_from(ROSTER_COLUMNS), cells | nested, max_size=8), max_size=6)


def as_csv(data: list[dict], delimiter: str) -> bytes:
    buffer = io.StringIO()
    headers = list(dict.fromkeys(key for row in data for key in row)) or ["patient_id"]
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    for row in data:
        writer.writerow([row.get(h, "") for h in headers])
    return buffer.getvalue().encode("utf-8", "surrogatepass")


def as_json(data: object) -> bytes:
    return json.dumps(data, default=str, ensure_ascii=False).encode("utf-8", "surrogatepass")


def read_roster(path: Path, encoding: str, column_map: dict[str, str]) -> None:
    try:
        roster = load_roster(path, encoding, column_map)
    except HandoutgenError as error:
        assert error.render()
        return
    for entry in roster.entries:
        assert (entry.row is None) != (entry.error is None)
        if entry.error is not None:
            assert entry.error.render()


encodings = st.sampled_from(["utf-8", "cp1252", "utf-16", "latin-1"])
column_maps = st.dictionaries(st.sampled_from(["MRN", "Name", "Patient Name", "extra"]),
                              st.sampled_from(["patient_id", "patient_name", "handouts"]), max_size=2)


@fuzz_settings()
@given(content=st.binary(max_size=1500), suffix=st.sampled_from([".csv", ".json", ".yaml", ".txt"]),
       encoding=encodings, column_map=column_maps)
def test_roster_random_bytes(scratch, content, suffix, encoding, column_map):
    path = scratch / f"roster{suffix}"
    path.write_bytes(content)
    read_roster(path, encoding, column_map)


@fuzz_settings()
@given(data=rows, kind=st.sampled_from(["csv", "csv;", "json", "yaml"]), encoding=encodings,
       column_map=column_maps)
def test_roster_random_rows(scratch, data, kind, encoding, column_map):
    if kind.startswith("csv"):
        path, content = scratch / "rows.csv", as_csv(data, kind[3:] or ",")
    elif kind == "json":
        path, content = scratch / "rows.json", as_json(data)
    else:
        path, content = scratch / "rows.yaml", dump_yaml(data)
    path.write_bytes(content)
    read_roster(path, encoding, column_map)


def test_fuzz_strategies_produce_what_they_claim():
    """The building blocks really contain the hostile values (the fuzz tests are not vacuous)."""
    assert "!!set" in dump_yaml({1, 2}).decode()
    assert "!!binary" in dump_yaml(b"x").decode()
    assert dt.date(2026, 1, 1).isoformat() in dump_yaml({"d": dt.date(2026, 1, 1)}).decode()
    assert len(SAMPLES) >= 7
