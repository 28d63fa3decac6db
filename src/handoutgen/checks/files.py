"""What `build` would refuse, found without rendering: every file loaded, every printed
character drawable, every template and stylesheet present and parseable.

A clean ``file_errors`` means the build can run; the content rules then judge the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handoutgen.errors import ErrorList, HandoutgenError, Location, SourceError, UsageError
from handoutgen.load import Loaded

if TYPE_CHECKING:
    from handoutgen.prepared import HandoutFile
    from handoutgen.workspace import Workspace

# Keys whose values never reach a page (so their characters need no glyph).
NOT_PRINTED = {"review_notes", "fingerprint", "source", "logo", "colours", "src"}  # src: a figure's file name


def printed_texts(loaded: Loaded) -> Iterator[tuple[Location, str]]:
    """Every string of a loaded file that may be printed, with its line and field."""
    from handoutgen.load import dotted

    def walk(value: Any, data_path: tuple[str | int, ...]) -> Iterator[tuple[Location, str]]:  # noqa: ANN401 - parsed YAML
        if isinstance(value, str):
            yield Location(loaded.path, loaded.line_of(data_path), dotted(data_path) or None), value
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in NOT_PRINTED:
                    yield from walk(item, (*data_path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, (*data_path, index))

    yield from walk(loaded.data, ())


def render_file_errors(workspace: Workspace) -> list[HandoutgenError]:
    """Templates and stylesheets that build or packets would miss, and templates with a syntax error."""
    import jinja2

    from handoutgen.render.html import (BLANK_PAGE_CSS_TEMPLATE, BLANK_TEMPLATE, COVER_PAGE_CSS_TEMPLATE, COVER_STYLESHEETS, COVER_TEMPLATE,
                                        HANDOUT_STYLESHEETS, HANDOUT_TEMPLATE, PAGE_CSS_TEMPLATE, environment)

    errors: list[HandoutgenError] = []
    for name in dict.fromkeys((*HANDOUT_STYLESHEETS, *COVER_STYLESHEETS)):
        if not workspace.find_style(name).is_file():
            errors.append(SourceError("stylesheet is missing (build needs it)", Location(workspace.find_style(name))))
    env = environment(workspace.template_path)
    for name in (HANDOUT_TEMPLATE, PAGE_CSS_TEMPLATE, COVER_TEMPLATE, COVER_PAGE_CSS_TEMPLATE, BLANK_TEMPLATE,
                 BLANK_PAGE_CSS_TEMPLATE):
        path = workspace.find_template(name)
        try:  # parsed, not compiled: a third of the time, and the same syntax errors
            assert env.loader is not None  # environment() always sets the search-path loader
            source, filename, _ = env.loader.get_source(env, name)
            env.parse(source, name, filename)
        except jinja2.TemplateNotFound:
            errors.append(SourceError("template is missing (build needs it)", Location(path)))
        except jinja2.TemplateSyntaxError as error:
            errors.append(SourceError(f"template syntax: {error.message}", Location(path, error.lineno)))
    return errors


def check_default_brand(workspace: Workspace) -> None:
    """build and packets use default_brand when no --brand is given: it must exist."""
    from handoutgen.workspace import CONFIG_FILE

    name = workspace.config.default_brand
    if name is not None and name not in workspace.brand_names():
        config = workspace.loaded(workspace.root / CONFIG_FILE)
        raise SourceError(
            f"default_brand '{name}' has no styles/brands/{name}/brand.yaml; "
            f"available: {', '.join(workspace.brand_names()) or 'none'}",
            Location(config.path, config.line_of(("default_brand",)), "default_brand"),
        )


def check_catalog(workspace: Workspace, file: HandoutFile) -> None:
    """Build refuses a language without interface strings (no English headings): so does check."""
    from handoutgen.i18n.catalogs import translations_for

    try:
        translations_for(file.language)
    except UsageError as missing:
        raise SourceError(missing.message,
                          Location(file.path, workspace.loaded(file.path).line_of(("language",)), "language")) from None


def file_errors(workspace: Workspace) -> list[HandoutgenError]:
    """Load everything in the workspace and return every problem `build` would refuse."""
    from handoutgen.checks.glyphs import FONTS_CSS, check_texts, font_stack

    errors: list[HandoutgenError] = []

    def attempt(action: Callable[[], object]) -> None:
        try:
            action()
        except ErrorList as many:
            errors.extend(many.errors)
        except HandoutgenError as one:
            errors.append(one)

    attempt(lambda: workspace.config)
    try:
        stack = font_stack(workspace.find_style(FONTS_CSS))
    except HandoutgenError as unreadable:  # fonts.css itself: no glyph check, the rest goes on
        errors.append(unreadable)
        stack = None
    for family in stack.missing_families if stack else ():
        errors.append(SourceError(
            f"font family '{family}' is not installed (run scripts/install-system-deps.sh)",
            Location(workspace.find_style(FONTS_CSS)),
        ))
    for font in stack.missing_files if stack else ():
        errors.append(SourceError(f"font file '{font.name}' named in fonts.css is missing",
                                  Location(workspace.find_style(FONTS_CSS))))
    errors.extend(render_file_errors(workspace))
    attempt(partial(check_default_brand, workspace))
    checked: list[Path] = [workspace.brands_dir / name / "brand.yaml" for name in workspace.brand_names()]
    for name in workspace.brand_names():
        attempt(partial(workspace.load_brand, name))
    for file in workspace.handout_files():
        attempt(partial(workspace.load_handout, file, draft=True))
        attempt(partial(check_catalog, workspace, file))
        checked.append(file.path)
    if stack is None:
        return errors
    for path in checked:  # glyphs only for files that parsed; the rest have errors
        try:
            errors.extend(check_texts(stack, printed_texts(workspace.loaded(path))))
        except HandoutgenError:
            pass
    for font in sorted(stack.damaged):
        errors.append(SourceError("font file cannot be read (damaged, or not a font)", Location(font)))
    return errors
