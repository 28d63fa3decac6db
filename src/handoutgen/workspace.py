"""A workspace: the folder holding handouts/, templates/, styles/ and handoutgen.yaml.

This module finds files and loads them into models (load + validate). It never writes.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from handoutgen.errors import ErrorList, Location, SourceError, UsageError
from handoutgen.figures import figure_errors
from handoutgen.load import Loaded, load_yaml
from handoutgen.logo import logo_problem
from handoutgen.resources import defaults, find, search_path
from handoutgen.model import Brand, Handout, PaperSize, Translation, WorkspaceConfig
from handoutgen.prepared import BrandInfo, HandoutFile, Localized
from handoutgen.render.settings import STANDARD, Edition, RenderSettings
from handoutgen.render.typst_cover import uses_typst
from handoutgen.i18n.translations import align, fingerprint, localize, segments, status
from handoutgen.validate import validate

CONFIG_FILE = "handoutgen.yaml"
# The only folders a render may read from (see render/pdf.py, the URL fetcher).
RENDER_ROOTS = ("templates", "styles", "handouts", "figures")


class Workspace:
    def __init__(self, root: Path):
        self.root = root.resolve()
        if not (self.root / "handouts").is_dir():
            raise UsageError(
                f"{self.root} is not a handoutgen workspace (no handouts/ folder); "
                "run from a workspace or pass --workspace DIR"
            )
        self._yaml_cache: dict[tuple[Path, int | None], Loaded] = {}

    @property
    def handouts_dir(self) -> Path:
        return self.root / "handouts"

    @property
    def styles_dir(self) -> Path:
        """The workspace's own styles folder (brands live only here)."""
        return self.root / "styles"

    @cached_property
    def template_path(self) -> tuple[Path, ...]:
        """Where templates are looked up: the workspace's templates/, then the packaged defaults."""
        return search_path(self.root / "templates", defaults().templates)

    @cached_property
    def style_path(self) -> tuple[Path, ...]:
        """Where stylesheets and fonts are looked up: the workspace's styles/, then the defaults."""
        return search_path(self.styles_dir, defaults().styles)

    def find_style(self, name: str | Path) -> Path:
        return find(self.style_path, name)

    def find_template(self, name: str | Path) -> Path:
        return find(self.template_path, name)

    def render_settings(self, brand: str | None = None, paper: PaperSize | None = None,
                        edition: Edition = STANDARD) -> RenderSettings:
        """Brand, paper, edition and folders of one run, resolved once (options, then handoutgen.yaml, then defaults)."""
        engine = self.config.cover_engine
        typst_covers = engine == "typst" or (engine == "auto" and uses_typst(self.style_path, self.template_path))
        return RenderSettings(self.root, self.template_path, self.style_path, tuple(self.render_roots),
                              self.load_brand(brand), paper or self.config.paper, edition, typst_covers)

    @property
    def render_roots(self) -> list[Path]:
        """The only folders a render may read from (see render/pdf.py, the URL fetcher)."""
        return [self.root / name for name in RENDER_ROOTS] + [*self.template_path[1:], *self.style_path[1:]]

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

    def loaded(self, path: Path) -> Loaded:
        """The parsed YAML of ``path``, read once per workspace (until the file changes)."""
        key = (path, path.stat().st_mtime_ns if path.exists() else None)
        if key not in self._yaml_cache:
            self._yaml_cache[key] = load_yaml(path)
        return self._yaml_cache[key]

    def is_translation(self, file: HandoutFile) -> bool:
        data = self.loaded(file.path).data
        return isinstance(data, dict) and "source_language" in data

    def _check_names(self, file: HandoutFile, loaded: Loaded, model: Handout | Translation) -> None:
        problems = []
        if model.id != file.id:
            problems.append(SourceError(
                f"id '{model.id}' does not match its folder '{file.id}'",
                Location(file.path, loaded.line_of(("id",)), "id"),
            ))
        if model.language != file.language:
            problems.append(SourceError(
                f"language '{model.language}' does not match the file name '{file.path.name}'",
                Location(file.path, loaded.line_of(("language",)), "language"),
            ))
        if problems:
            raise ErrorList(problems)

    def load_source(self, file: HandoutFile) -> Handout:
        """A source handout file (not a translation) as written."""
        loaded = self.loaded(file.path)
        handout = validate(loaded, Handout)
        self._check_names(file, loaded, handout)
        if errors := figure_errors(self.root, handout, loaded):
            raise ErrorList(errors)
        return handout

    def source_file(self, handout_id: str, language: str) -> HandoutFile:
        return HandoutFile(handout_id, language, self.handouts_dir / handout_id / f"{language}.yaml")

    def find_source(self, handout_id: str) -> tuple[HandoutFile, Handout]:
        """The one file of ``handout_id`` that is not a translation, loaded."""
        sources = [f for f in self.select([handout_id]) if not self.is_translation(f)]
        if len(sources) != 1:
            raise SourceError(
                f"expected one source handout (a file without source_language), found {len(sources)}",
                Location(self.handouts_dir / handout_id),
            )
        return sources[0], self.load_source(sources[0])

    def translation_languages(self) -> list[str]:
        """Languages every handout should have: config `languages`, else all translations present."""
        if self.config.languages:
            return list(self.config.languages)
        return sorted({f.language for f in self.handout_files() if self.is_translation(f)})

    def load_translation(self, file: HandoutFile) -> tuple[Translation, Handout]:
        """A translation file and the source handout it translates."""
        loaded = self.loaded(file.path)
        translation = validate(loaded, Translation)
        self._check_names(file, loaded, translation)
        source_file = self.source_file(file.id, translation.source_language)
        if not source_file.path.is_file() or self.is_translation(source_file):
            raise SourceError(
                f"source handout {source_file.path.name} not found beside this translation",
                Location(file.path, loaded.line_of(("source_language",)), "source_language"),
            )
        broken = [
            SourceError("fingerprint does not match its source text (edited by hand?)",
                        Location(file.path, loaded.line_of(("segments", seg_id)), f"segments.{seg_id}"))
            for seg_id, segment in translation.segments.items()
            if segment.fingerprint != fingerprint(segment.source)
        ]
        if broken:
            raise ErrorList(broken)
        return translation, self.load_source(source_file)

    def load_handout(self, file: HandoutFile, allow_stale: bool = False, draft: bool = False,
                     offer: tuple[str, ...] = ()) -> Localized:
        """Any handout file, ready to render: a translation is applied to its source.

        A stale segment is an error unless ``allow_stale`` (its previous translation prints,
        with a notice); an untranslated one unless ``draft`` (the source text prints, marked,
        under "DRAFT — not for patients"). The error suggests only the options in ``offer``:
        the ones the calling command has.
        """
        if not self.is_translation(file):
            return Localized(self.load_source(file))
        translation, source = self.load_translation(file)
        state = status(source, translation, translation.language)
        refused_stale = bool(state.stale) and not (allow_stale or draft)
        refused_missing = bool(state.missing) and not draft
        if refused_stale or refused_missing:
            wanted = ("--draft",) if refused_missing else ("--allow-stale", "--draft")
            options = [o for o in wanted if o in offer]
            alternative = f" or build with {' or '.join(options)}" if options else ""
            raise SourceError(
                f"translation is {state.state} ({state.problems()}); update it with "
                f"handoutgen i18n export / import{alternative}",
                Location(file.path),
            )
        handout, untranslated, stale = localize(source, translation, allow_stale, draft)
        if translation.links is not None:  # its own web page or video in this language
            handout = handout.model_copy(update={"links": translation.links})
        # The translation's own pictures (kidney.es.svg) must be as safe as the source's.
        if errors := figure_errors(self.root, handout, self.loaded(self.source_file(file.id, translation.source_language).path)):
            raise ErrorList(errors)
        stored_as = align(segments(source), translation.segments).stored_as
        return Localized(handout, translation, state, tuple(untranslated), tuple(stale), draft, stored_as)

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
            if problem := logo_problem(logo):
                raise SourceError(problem, Location(path, loaded.line_of(("logo",)), "logo"))
        return BrandInfo(name, folder, brand)
