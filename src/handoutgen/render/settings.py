"""The render settings of one run: resolved once, then the same for every handout and cover.

Brand, paper and the folders a render reads from are decided once per run (from the
command's options, handoutgen.yaml and the packaged defaults) and sent, as this one
picklable object, to every worker: no stage looks the brand or the paper up again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from handoutgen.model import PaperSize
from handoutgen.prepared import BrandInfo
from handoutgen.resources import find


@dataclass(frozen=True)
class RenderSettings:
    base: Path  # relative URLs in a document (the logo) start here: the workspace's root
    template_path: tuple[Path, ...]  # the workspace's templates/, then the packaged defaults
    style_path: tuple[Path, ...]  # the workspace's styles/, then the packaged defaults
    render_roots: tuple[Path, ...]  # the only folders a render may read from
    brand: BrandInfo
    paper: PaperSize

    def find_template(self, name: str) -> Path:
        return find(self.template_path, name)
