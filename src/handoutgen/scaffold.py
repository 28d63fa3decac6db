"""Start and grow a workspace: ``init`` a folder, add a ``new`` handout, ``eject`` a default.

``init`` writes a workspace that `check` and `build` accept at once: settings, a brand to
make the clinic's own, and one real sample handout (cited, marked as not reviewed) to
learn the format from. Templates, styles and fonts are not copied: the packaged defaults
serve until a clinic ejects one to change it. Nothing here overwrites an existing file.
"""

from __future__ import annotations

import re
from pathlib import Path

from handoutgen import clock
from handoutgen.errors import UsageError
from handoutgen.model import LANGUAGE_PATTERN, SLUG_PATTERN
from handoutgen.resources import defaults
from handoutgen.write import write_atomic

STARTER_BRAND = "my-clinic"
WORKSPACE_FILE_MODE = 0o644  # sources a team edits and reviews, not patient data

CONFIG = f"""\
# handoutgen settings (all optional). `handoutgen schema config` lists every key.
default_brand: {STARTER_BRAND}
paper: letter          # or a4
# Languages every handout should be translated into; `handoutgen i18n status` lists the gaps.
languages: []
"""

README = """\
# Our patient handouts

This folder is a handoutgen workspace.

- `handouts/<id>/<language>.yaml`: one handout in one language. `handoutgen new ID` adds one.
- `styles/brands/{brand}/brand.yaml`: the clinic's name, colours, phone number and logo.
- `handoutgen.yaml`: settings.

Templates, styles and fonts come with handoutgen. To change one, copy it here first,
e.g. `handoutgen eject styles/handout.css`, and edit the copy.

    handoutgen check        # every problem, with file and line
    handoutgen build        # PDFs into out/
""".format(brand=STARTER_BRAND)

NEW_HANDOUT = """\
# A new handout. Replace every [fill in ...] with text from your source; `handoutgen check`
# lists the ones left. Write only what your source says: never add clinical facts.
# Optional sections are commented out: remove the "# " to use one. `handoutgen schema`
# lists every field.
id: {id}
language: {language}
title: "[fill in: the procedure's name]"
summary: "[fill in: one or two sentences on what this handout is about]"
version: "0.1"
last_reviewed: {today}   # the date a clinician last reviewed this content
reviewed_by: ""          # empty prints "Not yet reviewed by a clinician"
sources:                 # where the content comes from (printed as a citation)
  - title: "[fill in: the source document]"
    # publisher: ""
    # url: ""
# review_notes:          # notes for the reviewing clinician; never printed
#   - ""

overview:                # What is it? One paragraph per item.
  - "[fill in: what the procedure is]"
# reasons:               # Why is it done? One reason per item.
#   - ""
# preparation:           # How to prepare: numbered steps. Any list may also be written as
#   - ""                 # {{intro: "a lead-in line", items: [...], checklist: true}} (README)
# what_to_expect:        # What to expect: numbered steps before, during and right after.
#   before:
#     - ""
#   during:
#     - ""
#   after:
#     - ""
# benefits:
#   - ""
# risks:
#   - ""
# aftercare:
#   normal:              # what is normal afterwards, how long it lasts, what helps
#     - what: ""
#       how_long: ""
#       what_helps:
#         - ""
#   instructions:        # tick boxes: instructions: {{checklist: true, items: [...]}}
#     - ""
# when_to_call:          # the box with the clinic's phone number always prints; only signs the source names
#   emergency:           # call 911 (the brand's emergency number) or go to the emergency room
#     - ""
#   call_now:            # call the clinic the same day
#     - ""
#   call_soon:           # call the clinic during office hours
#     - ""
# questions:             # questions to ask your care team
#   - ""
# words_to_know:
#   - term: ""
#     meaning: ""
"""


def _write_new(path: Path, data: bytes) -> None:
    if path.exists():
        raise UsageError(f"{path} already exists; nothing was overwritten")
    write_atomic(path, data)
    path.chmod(WORKSPACE_FILE_MODE)


def _copy_new(source: Path, target: Path) -> None:
    if source.is_dir():
        for item in sorted(source.rglob("*")):
            if item.is_file():
                _copy_new(item, target / item.relative_to(source))
    else:
        _write_new(target, source.read_bytes())


def init_workspace(folder: Path) -> list[Path]:
    """Make ``folder`` a workspace; return the files written."""
    if (folder / "handouts").exists() or (folder / "handoutgen.yaml").exists():
        raise UsageError(f"{folder} is already a handoutgen workspace")
    starter = defaults()
    brand_folder = folder / "styles" / "brands" / STARTER_BRAND
    sample = folder / "handouts" / "retrograde-pyelography" / "en.yaml"
    brand_text = starter.starter_brand.joinpath("brand.yaml").read_text(encoding="utf-8")
    writes = {
        folder / "handoutgen.yaml": CONFIG.encode(),
        folder / "README.md": README.encode(),
        brand_folder / "brand.yaml": ("# Make this your clinic's: name, colours, phone, logo, footer.\n"
                                      + brand_text).encode(),
        sample: starter.starter_handout.read_bytes(),
    }
    for path, data in writes.items():
        _write_new(path, data)
    for item in starter.starter_brand.iterdir():
        if item.is_file() and item.name != "brand.yaml":
            _copy_new(item, brand_folder / item.name)
    return sorted(p for p in folder.rglob("*") if p.is_file())


def handout_path(workspace_root: Path, handout_id: str, language: str) -> Path:
    """Where a new handout goes, ``handouts/<id>/<language>.yaml``, once id and language are valid."""
    if not re.match(SLUG_PATTERN, handout_id):
        raise UsageError(f"'{handout_id}' is not a handout id: use lower-case letters, digits and hyphens")
    if not re.match(LANGUAGE_PATTERN, language):
        raise UsageError(f"'{language}' is not a language tag such as en, es or zh-Hans")
    return workspace_root / "handouts" / handout_id / f"{language}.yaml"


def new_handout(workspace_root: Path, handout_id: str, language: str = "en") -> Path:
    """A skeleton ``handouts/<id>/<language>.yaml`` with every section and what goes where."""
    path = handout_path(workspace_root, handout_id, language)
    _write_new(path, NEW_HANDOUT.format(id=handout_id, language=language, today=clock.today()).encode())
    return path


def ejectable() -> dict[str, Path]:
    """What ``eject`` can copy, by workspace-relative name."""
    found = defaults()
    names: dict[str, Path] = {"jargon.yaml": found.jargon, "styles/fonts": found.styles / "fonts"}
    for folder, prefix in ((found.templates, "templates"), (found.styles, "styles")):
        for item in sorted(folder.glob("*")):
            if item.is_file():
                names[f"{prefix}/{item.name}"] = item
    return names


def eject(workspace_root: Path, name: str) -> list[Path]:
    """Copy the default ``name`` into the workspace, where it now overrides the default."""
    available = ejectable()
    key = name.strip("/")
    if key not in available:
        raise UsageError(f"no default named '{name}'; these can be ejected: {', '.join(available)}")
    source, target = available[key], workspace_root / key
    _copy_new(source, target)
    return [target] if source.is_file() else sorted(p for p in target.rglob("*") if p.is_file())
