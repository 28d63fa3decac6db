"""handoutgen: structured procedure data to branded, printable patient-handout PDFs.

The public API (see README "Python API"): ``open_workspace``, ``render_pdf``, ``build``,
``check``, ``make_packets``, the models ``Handout``, ``Brand``, ``RosterRow``,
``Translation``, ``WorkspaceConfig``, and the error type ``HandoutgenError``. Names are
imported on first use, so ``import handoutgen`` (and the CLI's start-up) stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "open_workspace": "handoutgen.api", "render_pdf": "handoutgen.api", "build": "handoutgen.api",
    "check": "handoutgen.api", "make_packets": "handoutgen.api", "CheckResult": "handoutgen.api",
    "BuildResult": "handoutgen.builder", "Workspace": "handoutgen.workspace",
    "Handout": "handoutgen.model", "Brand": "handoutgen.model", "RosterRow": "handoutgen.model",
    "Translation": "handoutgen.model", "WorkspaceConfig": "handoutgen.model",
    "HandoutgenError": "handoutgen.errors", "ManifestRow": "handoutgen.packets.manifest", "Finding": "handoutgen.checks", "Problem": "handoutgen.errors",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'handoutgen' has no attribute '{name}'")
