"""A workspace: the folder holding handouts/, templates/, styles/ and handoutgen.yaml.

This module finds files and loads them into models (load + validate). It never writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from handoutgen.errors import ErrorList, HandoutgenError, Location, SourceError, UsageError
from handoutgen.load import Loaded, load_yaml
from handoutgen.logo import logo_problem
from handoutgen.resources import defaults, find, search_path
from handoutgen.model import Brand, Handout, Translation, WorkspaceConfig
from handoutgen.i18n.translations import TranslationStatus, align, fingerprint, localize, segments, status
from handoutgen.validate import validate

CONFIG_FILE = "handoutgen.yaml"
# The only folders a render may read from (see render/pdf.py, the URL fetcher).
RENDER_ROOTS = ("templates", "styles", "handouts")
# Keys whose values never reach a page (so their characters need no glyph).
NOT_PRINTED = {"review_notes", "fingerprint", "source", "logo", "colours"}


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

    def _check_names(self, file: HandoutFile, loaded: Loaded, model) -> None:  # noqa: ANN001
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

    def printed_texts(self, path: Path):  # noqa: ANN202 - iterator of (Location, str)
        """Every string of a loaded file that may be printed, with its line and field."""
        from handoutgen.validate import dotted

        loaded = self.loaded(path)

        def walk(value, data_path):  # noqa: ANN001, ANN202
            if isinstance(value, str):
                yield Location(path, loaded.line_of(data_path), dotted(data_path) or None), value
            elif isinstance(value, dict):
                for key, item in value.items():
                    if key not in NOT_PRINTED:
                        yield from walk(item, (*data_path, key))
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    yield from walk(item, (*data_path, index))

        yield from walk(loaded.data, ())

    def _render_file_errors(self) -> list[HandoutgenError]:
        """Templates and stylesheets that build or packets would miss, and templates with a syntax error."""
        import jinja2

        from handoutgen.render.html import (BLANK_PAGE_CSS_TEMPLATE, BLANK_TEMPLATE, COVER_PAGE_CSS_TEMPLATE, COVER_STYLESHEETS, COVER_TEMPLATE,
                                            HANDOUT_STYLESHEETS, HANDOUT_TEMPLATE, PAGE_CSS_TEMPLATE, environment)

        errors: list[HandoutgenError] = []
        for name in dict.fromkeys((*HANDOUT_STYLESHEETS, *COVER_STYLESHEETS)):
            if not self.find_style(name).is_file():
                errors.append(SourceError("stylesheet is missing (build needs it)", Location(self.find_style(name))))
        env = environment(self.template_path)
        for name in (HANDOUT_TEMPLATE, PAGE_CSS_TEMPLATE, COVER_TEMPLATE, COVER_PAGE_CSS_TEMPLATE, BLANK_TEMPLATE,
                     BLANK_PAGE_CSS_TEMPLATE):
            path = self.find_template(name)
            try:  # parsed, not compiled: a third of the time, and the same syntax errors
                source, filename, _ = env.loader.get_source(env, name)
                env.parse(source, name, filename)
            except jinja2.TemplateNotFound:
                errors.append(SourceError("template is missing (build needs it)", Location(path)))
            except jinja2.TemplateSyntaxError as error:
                errors.append(SourceError(f"template syntax: {error.message}", Location(path, error.lineno)))
        return errors

    def _check_default_brand(self) -> None:
        """build and packets use default_brand when no --brand is given: it must exist."""
        name = self.config.default_brand
        if name is not None and name not in self.brand_names():
            config = self.loaded(self.root / CONFIG_FILE)
            raise SourceError(
                f"default_brand '{name}' has no styles/brands/{name}/brand.yaml; "
                f"available: {', '.join(self.brand_names()) or 'none'}",
                Location(config.path, config.line_of(("default_brand",)), "default_brand"),
            )

    def _check_catalog(self, file: HandoutFile) -> None:
        """Build refuses a language without interface strings (no English headings): so does check."""
        from handoutgen.i18n.catalogs import translations_for

        try:
            translations_for(file.language)
        except UsageError as missing:
            raise SourceError(missing.message,
                              Location(file.path, self.loaded(file.path).line_of(("language",)), "language")) from None

    def collect_errors(self) -> list[HandoutgenError]:
        """Load everything in the workspace and return every problem found (for ``check``)."""
        from handoutgen.checks.glyphs import FONTS_CSS, check_texts, font_stack

        errors: list[HandoutgenError] = []

        def attempt(action) -> None:  # noqa: ANN001
            try:
                action()
            except ErrorList as many:
                errors.extend(many.errors)
            except HandoutgenError as one:
                errors.append(one)

        attempt(lambda: self.config)
        try:
            stack = font_stack(self.find_style(FONTS_CSS))
        except HandoutgenError as unreadable:  # fonts.css itself: no glyph check, the rest goes on
            errors.append(unreadable)
            stack = None
        for family in stack.missing_families if stack else ():
            errors.append(SourceError(
                f"font family '{family}' is not installed (run scripts/install-system-deps.sh)",
                Location(self.find_style(FONTS_CSS)),
            ))
        for font in stack.missing_files if stack else ():
            errors.append(SourceError(f"font file '{font.name}' named in fonts.css is missing",
                                      Location(self.find_style(FONTS_CSS))))
        errors.extend(self._render_file_errors())
        attempt(self._check_default_brand)
        checked = [self.brands_dir / name / "brand.yaml" for name in self.brand_names()]
        for name in self.brand_names():
            attempt(lambda name=name: self.load_brand(name))
        for file in self.handout_files():
            attempt(lambda file=file: self.load_handout(file, draft=True))
            attempt(lambda file=file: self._check_catalog(file))
            checked.append(file.path)
        for path in checked if stack else ():  # glyphs only for files that parsed; the rest have errors
            try:
                errors.extend(check_texts(stack, self.printed_texts(path)))
            except HandoutgenError:
                pass
        for font in sorted(stack.damaged if stack else ()):
            errors.append(SourceError("font file cannot be read (damaged, or not a font)", Location(font)))
        return errors
