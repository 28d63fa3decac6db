"""Where templates, styles, fonts and the jargon list come from: the workspace, then the defaults.

Like a MkDocs theme, the defaults ship inside the package (the wheel maps the repository's
``templates/``, ``styles/`` and ``jargon.yaml`` into ``handoutgen/defaults/``), and a
workspace overrides any one of them by holding a file with the same relative name. In a
development checkout (an editable install) the repository itself holds the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Defaults:
    templates: Path
    styles: Path  # handout.css, cover.css, fonts/
    jargon: Path
    starter_handout: Path  # copied by `handoutgen init`: a real, cited sample handout
    starter_brand: Path  # a folder with brand.yaml and its logo


@cache
def defaults() -> Defaults:
    packaged = PACKAGE_DIR / "defaults"
    if (packaged / "templates").is_dir():
        starter = packaged / "starter"
        return Defaults(packaged / "templates", packaged / "styles", packaged / "jargon.yaml",
                        starter / "handout.yaml", starter / "brand")
    checkout = PACKAGE_DIR.parent.parent  # src/handoutgen -> the repository
    return Defaults(checkout / "templates", checkout / "styles", checkout / "jargon.yaml",
                    checkout / "handouts" / "retrograde-pyelography" / "en.yaml",
                    checkout / "styles" / "brands" / "riverside")


def search_path(own: Path, default: Path) -> tuple[Path, ...]:
    """The workspace's folder first, then the default (once, if they are the same folder)."""
    folders = [own]
    if default.resolve() != own.resolve():
        folders.append(default)
    return tuple(folders)


def find(path: tuple[Path, ...], name: str | Path) -> Path:
    """The first ``folder / name`` that exists along ``path`` (else the workspace's, for messages)."""
    for folder in path:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return path[0] / name
