"""Third-party tools judge our exchange files: GNU msgfmt, polib, the OASIS XLIFF 1.2 schema.

Every state a translator meets is in one file: current, stale (fuzzy, with a long previous
source), untranslated, and obsolete segments, in Latin, Arabic and Chinese targets.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
import yaml
from lxml import etree

from handoutgen.i18n.translations import fingerprint

RETRO = "retrograde-pyelography"
SCHEMAS = Path(__file__).parent / "data" / "xliff"
XLIFF = "{urn:oasis:names:tc:xliff:document:1.2}"
LONG_OLD = ("Retrograde pyelography is a test that takes X-ray pictures. It shows the upper part of your "
            "urinary tract. This means your kidneys and your ureters. The ureters are tubes that carry "
            "urine to your bladder.")
LONG_NEW = LONG_OLD.replace("takes X-ray pictures", 'takes "X-ray" pictures \\ images')


class LocalSchemas(etree.Resolver):
    """The XLIFF schema imports xml.xsd from the web: serve the vendored copy instead."""

    def resolve(self, url, pubid, context):  # noqa: ANN001, ANN201
        if url == "http://www.w3.org/2001/xml.xsd":
            return self.resolve_filename(str(SCHEMAS / "xml.xsd"), context)
        return None  # local files as usual; the parser refuses the network


def xliff_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(LocalSchemas())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "xliff-core-1.2-strict.xsd"), parser))


def every_state(workspace: Path, language: str) -> None:
    """Make overview.1 stale (long old source), drop reasons.1, add an obsolete segment."""
    english = workspace / f"handouts/{RETRO}/en.yaml"
    text = english.read_text()
    old_yaml = yaml.safe_load(text)["overview"][0]
    assert " ".join(old_yaml.split()) == LONG_OLD
    data = yaml.safe_load(text)
    data["overview"][0] = LONG_NEW
    english.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    path = workspace / f"handouts/{RETRO}/{language}.yaml"
    translation = yaml.safe_load(path.read_text())
    kept = translation["segments"].pop("reasons.1")
    gone = "Old sentence that the English no longer has."
    translation["segments"]["risks.99"] = {"source": gone, "fingerprint": fingerprint(gone), "text": kept["text"]}
    path.write_text(yaml.safe_dump(translation, allow_unicode=True, sort_keys=False))


@pytest.mark.parametrize("language", ["es", "ar", "zh-Hans"])
def test_po_in_every_state_passes_msgfmt_and_polib(cli, workspace, tmp_path, language):
    every_state(workspace, language)
    result = cli("i18n", "export", "--lang", language, "-o", tmp_path, "-w", workspace, RETRO)
    assert result.exit_code == 0, result.stderr
    po_path = tmp_path / f"{RETRO}.{language}.po"
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext missing: run scripts/install-system-deps.sh"
    checked = subprocess.run([msgfmt, "--check", "--check-header", "-o", "/dev/null", str(po_path)],
                             capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
    po = polib.pofile(str(po_path))
    by_id = {e.msgctxt: e for e in po}
    stale = by_id["overview.1"]
    assert stale.fuzzy and " ".join(stale.msgid.split()) == " ".join(LONG_NEW.split())
    assert " ".join(stale.previous_msgid.split()) == LONG_OLD
    assert by_id["reasons.1"].msgstr == "" and not by_id["reasons.1"].fuzzy
    assert by_id["title"].msgstr and not by_id["title"].fuzzy
    assert [e.msgctxt for e in po.obsolete_entries()] == ["risks.99"]
    assert po.metadata["Language"] == language.replace("-", "_")


@pytest.mark.parametrize("language", ["es", "ar", "zh-Hans"])
def test_xliff_in_every_state_validates_against_the_strict_schema(cli, workspace, tmp_path, language):
    every_state(workspace, language)
    result = cli("i18n", "export", "--lang", language, "--format", "xliff", "-o", tmp_path, "-w", workspace, RETRO)
    assert result.exit_code == 0, result.stderr
    document = etree.parse(str(tmp_path / f"{RETRO}.{language}.xlf"))
    schema = xliff_schema()
    assert schema.validate(document), schema.error_log
    units = {u.get("id"): u for u in document.iter(f"{XLIFF}trans-unit")}
    assert units["title"].get("approved") == "yes"
    assert units["title"].find(f"{XLIFF}target").get("state") == "translated"
    assert units["overview.1"].get("approved") is None
    assert units["overview.1"].find(f"{XLIFF}target").get("state") == "needs-review-translation"
    assert units["reasons.1"].get("approved") is None
    assert units["reasons.1"].find(f"{XLIFF}target").get("state") == "new"


def test_the_schema_rejects_a_broken_file(tmp_path):
    """The schema check can fail: a unit without its required id is refused."""
    broken = tmp_path / "broken.xlf"
    broken.write_text(
        '<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"><file original="x" '
        'source-language="en" datatype="plaintext"><body><trans-unit><source>a</source></trans-unit>'
        "</body></file></xliff>")
    assert not xliff_schema().validate(etree.parse(str(broken)))


def toolkit_program(tool: str) -> str:
    """A translate-toolkit command (installed with the test extra, beside this Python)."""
    command = Path(sys.executable).parent / tool
    program = str(command) if command.exists() else shutil.which(tool)
    assert program, f"{tool} missing: pip install -e '.[test]'"
    return program


def toolkit(tool: str, source: Path, target: Path) -> Path:
    """Run a translate-toolkit converter."""
    done = subprocess.run([toolkit_program(tool), "-i", str(source), "-o", str(target)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return target


@pytest.mark.parametrize("file_format, chain", [
    ("po", ["po2xliff"]),
    ("po", ["po2xliff", "xliff2po"]),
    ("xliff", ["xliff2po"]),
    ("xliff", ["xliff2po", "po2xliff"]),
])
def test_tool_converted_and_renamed_files_import_by_their_own_identity(cli, workspace, tmp_path, file_format, chain):
    result = cli("i18n", "export", "--lang", "es", "--format", file_format, "-o", tmp_path, "-w", workspace, RETRO)
    assert result.exit_code == 0, result.stderr
    current = tmp_path / f"{RETRO}.es.{'po' if file_format == 'po' else 'xlf'}"
    for step, tool in enumerate(chain):  # names that say nothing about the handout
        current = toolkit(tool, current, tmp_path / f"step{step}.{'xlf' if tool == 'po2xliff' else 'po'}")
    set_target(current, "Retrograde Pyelography", "Pielografía retrógrada (revisada)")
    imported = cli("i18n", "import", current, "-w", workspace)
    assert imported.exit_code == 0, imported.stderr
    assert f"{RETRO} [es]: 1 updated, 39 unchanged" in imported.stdout
    data = yaml.safe_load((workspace / f"handouts/{RETRO}/es.yaml").read_text())
    assert data["segments"]["title"]["text"] == "Pielografía retrógrada (revisada)"


def set_target(path: Path, source: str, target: str) -> None:
    """What a translator does in any tool: change the translation of one source text."""
    if path.suffix == ".po":
        po = polib.pofile(str(path))
        entry = next(e for e in po if e.msgid == source)
        entry.msgstr = target
        po.save()
    else:
        tree = etree.parse(str(path))
        unit = next(u for u in tree.iter("{*}trans-unit") if u.find("{*}source").text == source)
        unit.find("{*}target").text = target
        tree.write(str(path), encoding="utf-8", xml_declaration=True)


@pytest.mark.parametrize("style", ["xxx", "unicode", "bracket", "flipped"])
def test_podebug_pseudo_translations_are_refused(cli, workspace, tmp_path, style):
    exported = tmp_path / f"{RETRO}.es.po"
    assert cli("i18n", "export", "--lang", "es", "-o", tmp_path, "-w", workspace, RETRO).exit_code == 0
    pseudo = tmp_path / "pseudo.po"
    done = subprocess.run([toolkit_program("podebug"), f"--rewrite={style}",
                           "-i", str(exported), "-o", str(pseudo)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    before = (workspace / f"handouts/{RETRO}/es.yaml").read_bytes()
    result = cli("i18n", "import", pseudo, "-w", workspace)
    assert result.exit_code == 1
    assert "0 updated, 0 unchanged, 0 left untranslated or unconfirmed, 40 refused" in result.stdout
    assert "pseudo-translation" in result.stderr
    assert (workspace / f"handouts/{RETRO}/es.yaml").read_bytes() == before


def test_review_states_export_valid_to_both_formats(cli, workspace, tmp_path):
    path = workspace / f"handouts/{RETRO}/es.yaml"
    data = yaml.safe_load(path.read_text())
    data["segments"]["title"].update(state="reviewed", reviewed_by="Ana Ruiz", reviewed_on="2026-11-20")
    data["segments"]["summary"].update(state="approved", reviewed_by="Ana Ruiz", reviewed_on="2026-11-20")
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    for file_format in ("xliff", "po"):
        assert cli("i18n", "export", "--lang", "es", "--format", file_format, "-o", tmp_path, "-w", workspace,
                   RETRO).exit_code == 0
    document = etree.parse(str(tmp_path / f"{RETRO}.es.xlf"))
    assert xliff_schema().validate(document), xliff_schema().error_log
    states = {u.get("id"): u.find(f"{XLIFF}target").get("state") for u in document.iter(f"{XLIFF}trans-unit")}
    assert (states["title"], states["summary"], states["overview.1"]) == ("signed-off", "final", "translated")
    po_path = tmp_path / f"{RETRO}.es.po"
    checked = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po_path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    flags = {e.msgctxt: e.flags for e in polib.pofile(str(po_path))}
    assert (flags["title"], flags["summary"], flags["overview.1"]) == (["reviewed"], ["approved"], [])
