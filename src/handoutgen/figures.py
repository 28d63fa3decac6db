"""Where a handout's figures come from, and whether they are safe to print.

A figure names a file (``src``) in the handout's own folder or in the workspace's shared
``figures/`` folder, never outside them. A translation swaps the picture by file name:
``kidney-stent.es.svg`` beside ``kidney-stent.svg`` is what the Spanish handout shows.
A figure file passes the same checks as a brand's logo (logo.py): no scripts, no
references to other files or URLs, a size and pixel cap.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from handoutgen.errors import HandoutgenError, Location, SourceError
from handoutgen.load import Loaded, dotted
from handoutgen.logo import logo_problem
from handoutgen.model import Handout

SHARED_FOLDER = "figures"


def figure_folders(root: Path, handout_id: str) -> tuple[Path, Path]:
    return root / "handouts" / handout_id, root / SHARED_FOLDER


def localized_name(src: str, language: str) -> str:
    """``kidney.svg`` in Spanish is ``kidney.es.svg``."""
    path = PurePosixPath(src)
    return str(path.with_name(f"{path.stem}.{language}{path.suffix}"))


def figure_file(root: Path, handout_id: str, language: str, src: str) -> Path | None:
    """The file a figure shows in ``language``: its per-language version when there is one,
    in the handout's folder, then in figures/; None when there is none inside them."""
    workspace = root.resolve()
    for folder in figure_folders(root, handout_id):
        for name in (localized_name(src, language), src):
            path = (folder / name).resolve()
            # inside its folder and inside the workspace: a figures/ that links elsewhere is neither
            if path.is_relative_to(folder.resolve()) and path.is_relative_to(workspace) and path.is_file():
                return path
    return None


def figure_errors(root: Path, handout: Handout, loaded: Loaded) -> list[HandoutgenError]:
    """A problem for each figure of ``handout`` (in its language) that cannot be printed,
    at the line of its ``src`` in ``loaded`` (the source file that names it)."""
    errors: list[HandoutgenError] = []
    for path, figure in handout.figures():
        where = Location(loaded.path, loaded.line_of((*path, "src")), dotted((*path, "src")))
        found = figure_file(root, handout.id, handout.language, figure.src)
        if found is None:
            errors.append(SourceError(
                f"figure file '{figure.src}' not found in handouts/{handout.id}/ or {SHARED_FOLDER}/", where))
        elif problem := logo_problem(found):
            errors.append(SourceError(f"figure cannot be printed: {problem}", where))
    return errors
