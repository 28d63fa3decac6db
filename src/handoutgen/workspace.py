"""A workspace: the folder holding handouts/, templates/, styles/ and handoutgen.yaml.

This module finds files and loads them into models (load + validate). It never writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from handoutgen.errors import ErrorList, HandoutgenError, Location, SourceError, UsageError
from handoutgen.load import load_yaml
from handoutgen.model import Brand, Handout, WorkspaceConfig
from handoutgen.validate import validate

CONFIG_FILE = "handoutgen.yaml"
# The only folders a render may read from (see render_pdf's URL fetcher).
RENDER_ROOTS = ("templates", "styles", "handouts")


@dataclass(frozen=True)
class HandoutFile:
    """One ``handouts/<id>/<language>.yaml`` file, before it is loaded."""

    id: str
    language: str
    path: Path


@dataclass(frozen=True)
class BrandInfo:
    name: str
    folder: Path
    brand: Brand

    @property
    def logo_path(self) -> Path | None:
        return self.folder / self.brand.logo if self.brand.logo else None


class Workspace:
    def __init__(self, root: Path):
        self.root = root.resolve()
        if not (self.root / "handouts").is_dir():
            raise UsageError(
                f"{self.root} is not a handoutgen workspace (no handouts/ folder); "
                "run from a workspace or pass --workspace DIR"
            )

    @property
    def handouts_dir(self) -> Path:
        return self.root / "handouts"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def styles_dir(self) -> Path:
        return self.root / "styles"

    @property
    def brands_dir(self) -> Path:
        return self.styles_dir / "brands"

    @cached_property
    def config(self) -> WorkspaceConfig:
        path = self.root / CONFIG_FILE
        if not path.exists():
            return WorkspaceConfig()
        return validate(load_yaml(path), WorkspaceConfig)

    def handout_files(self) -> list[HandoutFile]:
        """Every handout file, sorted by id then language."""
        found = []
        for path in sorted(self.handouts_dir.glob("*/*.yaml")):
            found.append(HandoutFile(path.parent.name, path.stem, path))
        return found

    def select(self, ids: list[str] | None = None, languages: list[str] | None = None) -> list[HandoutFile]:
        """Handout files matching ``ids`` and ``languages`` (all when empty); unknown ones are errors."""
        files = self.handout_files()
        known_ids = {f.id for f in files}
        unknown = [i for i in ids or [] if i not in known_ids]
        if unknown:
            raise UsageError(
                f"unknown handout id(s): {', '.join(unknown)}; known: {', '.join(sorted(known_ids)) or 'none'}"
            )
        chosen = [f for f in files if (not ids or f.id in ids) and (not languages or f.language in languages)]
        if languages and not chosen:
            raise UsageError(f"no handout in language(s) {', '.join(languages)}")
        return chosen

    def load_handout(self, file: HandoutFile) -> Handout:
        loaded = load_yaml(file.path)
        handout = validate(loaded, Handout)
        problems = []
        if handout.id != file.id:
            problems.append(
                SourceError(
                    f"id '{handout.id}' does not match its folder '{file.id}'",
                    Location(file.path, loaded.line_of(("id",)), "id"),
                )
            )
        if handout.language != file.language:
            problems.append(
                SourceError(
                    f"language '{handout.language}' does not match the file name '{file.path.name}'",
                    Location(file.path, loaded.line_of(("language",)), "language"),
                )
            )
        if problems:
            raise ErrorList(problems)
        return handout

    def brand_names(self) -> list[str]:
        return sorted(p.parent.name for p in self.brands_dir.glob("*/brand.yaml"))

    def load_brand(self, name: str | None = None) -> BrandInfo:
        name = name or self.config.default_brand
        if name is None:
            names = self.brand_names()
            if len(names) != 1:
                raise UsageError(
                    "choose a brand with --brand (or default_brand in handoutgen.yaml); "
                    f"available: {', '.join(names) or 'none'}"
                )
            name = names[0]
        folder = self.brands_dir / name
        path = folder / "brand.yaml"
        if not path.is_file():
            raise UsageError(f"unknown brand '{name}'; available: {', '.join(self.brand_names()) or 'none'}")
        loaded = load_yaml(path)
        brand = validate(loaded, Brand)
        if brand.logo:
            logo = (folder / brand.logo).resolve()
            if logo.parent != folder.resolve() or logo.suffix.lower() not in {".svg", ".png"}:
                raise SourceError(
                    "logo must be an .svg or .png file in the brand's own folder",
                    Location(path, loaded.line_of(("logo",)), "logo"),
                )
            if not logo.is_file():
                raise SourceError(
                    f"logo file '{brand.logo}' not found beside brand.yaml",
                    Location(path, loaded.line_of(("logo",)), "logo"),
                )
        return BrandInfo(name, folder, brand)

    def collect_errors(self) -> list[HandoutgenError]:
        """Load everything in the workspace and return every problem found (for ``check``)."""
        errors: list[HandoutgenError] = []

        def attempt(action) -> None:  # noqa: ANN001
            try:
                action()
            except ErrorList as many:
                errors.extend(many.errors)
            except HandoutgenError as one:
                errors.append(one)

        attempt(lambda: self.config)
        for name in self.brand_names():
            attempt(lambda name=name: self.load_brand(name))
        for file in self.handout_files():
            attempt(lambda file=file: self.load_handout(file))
        return errors
