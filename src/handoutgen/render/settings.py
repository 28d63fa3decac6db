"""The render settings of one run: resolved once, then the same for every handout and cover.

Brand, paper, edition and the folders a render reads from are decided once per run (from
the command's options, handoutgen.yaml and the packaged defaults) and sent, as this one
picklable object, to every worker: no stage looks the brand or the paper up again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from handoutgen.model import PaperSize
from handoutgen.prepared import BrandInfo
from handoutgen.resources import find

# Layered after handout.css and cover.css respectively (names under styles/).
LARGE_PRINT_STYLESHEET = "large-print.css"
LARGE_PRINT_COVER_STYLESHEET = "large-print-cover.css"
BILINGUAL_STYLESHEET = "bilingual.css"


@dataclass(frozen=True)
class Edition:
    """Which printing of a handout: standard, large print, bilingual, or large-print bilingual.

    Every edition renders from the same source file; only the styles and, for a bilingual
    edition, the interleaved second language differ.
    """

    large_print: bool = False
    second_language: str | None = None  # bilingual: every section followed by this language

    @property
    def suffix(self) -> str:
        """What the output's file name adds after ``<id>.<language>``: '', '.large-print', '.bilingual-en'."""
        parts = [f".bilingual-{self.second_language}"] if self.second_language else []
        return "".join(parts + [".large-print"] if self.large_print else parts)

    @property
    def stylesheets(self) -> tuple[str, ...]:
        """Stylesheets this edition layers after a handout's standard ones."""
        return ((BILINGUAL_STYLESHEET,) if self.second_language else ()) + (
            (LARGE_PRINT_STYLESHEET,) if self.large_print else ())

    @property
    def cover_stylesheets(self) -> tuple[str, ...]:
        """Stylesheets this edition layers after a packet cover's standard ones."""
        return (LARGE_PRINT_COVER_STYLESHEET,) if self.large_print else ()

    def describe(self) -> str:
        """'standard', 'large-print', 'bilingual (en)', 'large-print bilingual (en)'."""
        words = (["large-print"] if self.large_print else []) + (
            [f"bilingual ({self.second_language})"] if self.second_language else [])
        return " ".join(words) or "standard"


STANDARD = Edition()


@dataclass(frozen=True)
class RenderSettings:
    base: Path  # relative URLs in a document (the logo) start here: the workspace's root
    template_path: tuple[Path, ...]  # the workspace's templates/, then the packaged defaults
    style_path: tuple[Path, ...]  # the workspace's styles/, then the packaged defaults
    render_roots: tuple[Path, ...]  # the only folders a render may read from
    brand: BrandInfo
    paper: PaperSize
    edition: Edition = STANDARD
    typst_covers: bool = False  # packet covers from templates/cover.typ (render/typst_cover.py), else cover.html.j2

    def find_template(self, name: str) -> Path:
        return find(self.template_path, name)
