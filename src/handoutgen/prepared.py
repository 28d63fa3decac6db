"""What the pipeline hands from stage to stage once files are loaded: a handout file's place,
a handout ready to render in its language, a brand with its folder.

The render stage depends on these and the model, never on the file layer (workspace.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from handoutgen.i18n.translations import TranslationStatus
from handoutgen.model import Brand, Handout, Translation


@dataclass(frozen=True)
class HandoutFile:
    """One ``handouts/<id>/<language>.yaml`` file, before it is loaded."""

    id: str
    language: str
    path: Path


@dataclass(frozen=True)
class Localized:
    """A handout ready to render in its file's language."""

    handout: Handout
    translation: Translation | None = None  # None for a source handout
    status: TranslationStatus | None = None
    untranslated: tuple[str, ...] = ()  # segments printed in the source language (only with --draft)
    stale: tuple[str, ...] = ()  # segments printed from their previous translation
    draft: bool = False  # built with --draft: "DRAFT — not for patients" on every page
    stored_as: dict[str, str] | None = None  # segment id -> its key in the translation file (moves)

    @property
    def out_of_date(self) -> bool:
        return self.status is not None and self.status.state != "current"


@dataclass(frozen=True)
class BrandInfo:
    name: str
    folder: Path
    brand: Brand

    @property
    def logo_path(self) -> Path | None:
        return self.folder / self.brand.logo if self.brand.logo else None
