"""Glyph coverage: which characters the font stack in styles/fonts/fonts.css cannot draw.

Run by ``handoutgen check`` before any render, so an author learns that a character
would print as an empty box (or in a stray system font) with its file, field and the
characters themselves. Fonts are read with fontTools (only their cmap), lazily and in
stack order: Latin text never opens the large CJK font.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from array import array
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from handoutgen.errors import Location, SourceError
from handoutgen.load import read_text

FONTS_CSS = Path("fonts") / "fonts.css"
_FACE = re.compile(r"@font-face\s*\{(?P<body>[^}]*)\}", re.S)
_FAMILY = re.compile(r"font-family:\s*(?P<value>[^;}]+)")
_URL = re.compile(r"url\(\s*['\"]?(?P<url>[^'\")]+)['\"]?\s*\)")
# Characters that draw nothing and need no glyph: controls, format marks (bidi, ZWJ), separators.
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}


def _names(value: str) -> list[str]:
    return [name.strip().strip("'\"") for name in value.split(",") if name.strip()]


def _cache_dir() -> Path | None:
    try:
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "handoutgen" / "cmaps"
    except RuntimeError:  # no home folder (some CI and service accounts): no cache
        return None


# Cached cmaps kept at most; the least recently used go first.
CACHE_ENTRIES = 64


def _prune(folder: Path, keep: int = CACHE_ENTRIES) -> None:
    entries = sorted(folder.glob("*.u32"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[keep:]:
        stale.unlink(missing_ok=True)


@lru_cache(maxsize=64)
def _cmap(path: Path, mtime: int) -> frozenset[int]:
    """The code points ``path`` maps to glyphs.

    Reading a large CJK font's cmap takes ~0.1 s, so the result is cached in the user's
    cache folder, keyed by the font file's content (a moved or re-installed font with the
    same bytes hits the cache; a changed one never does), at most CACHE_ENTRIES of them.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    folder = _cache_dir()
    cached = folder / f"{digest.hexdigest()[:32]}.u32" if folder else None
    if cached is not None and cached.is_file():
        points = array("I")
        points.frombytes(cached.read_bytes())
        try:
            os.utime(cached)  # recently used: kept by the pruning
        except OSError:
            pass
        return frozenset(points)
    from fontTools.ttLib import TTFont

    with path.open("rb") as handle:  # ours to close, even when fontTools gives up half way
        covered = frozenset(TTFont(handle, fontNumber=0, lazy=True).getBestCmap() or {})
    if cached is not None and folder is not None:
        try:  # a cache only: a read-only home just means the next check reads the font again
            from handoutgen.write import write_atomic

            write_atomic(cached, array("I", sorted(covered)).tobytes())
            _prune(folder)
        except OSError:
            pass
    return covered


@lru_cache(maxsize=32)
def _system_font(family: str) -> Path | None:
    """The file fontconfig uses for ``family``, or None when that family is not installed."""
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{family}\n%{file}", family], capture_output=True, text=True, timeout=10,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(found) < 2 or family.casefold() not in (f.strip().casefold() for f in found[0].split(",")):
        return None
    return Path(found[1])


@dataclass
class FontStack:
    families: list[str]
    files: dict[str, list[Path]]  # family -> font files (vendored @font-face, or installed)
    missing_families: list[str]
    missing_files: list[Path]  # @font-face files that do not exist (the render would fail)
    damaged: set[Path] = field(default_factory=set)  # font files fontTools could not read

    def cannot_draw(self, text: str) -> list[str]:
        """Characters of ``text`` that no font of the stack has, in order of first use."""
        todo = {ord(c) for c in text if unicodedata.category(c) not in _INVISIBLE and c != " "}
        for family in self.families:
            if not todo:
                break
            for path in self.files.get(family, []):
                if path in self.damaged:
                    continue
                try:
                    todo -= _cmap(path, path.stat().st_mtime_ns)
                except Exception:  # noqa: BLE001 - a damaged font raises whatever fontTools meets first
                    self.damaged.add(path)
        return [c for c in dict.fromkeys(text) if ord(c) in todo]


def font_stack(css_path: Path) -> FontStack:
    """The font stack ``fonts.css`` (``css_path``) declares, with each family's font files."""
    css = read_text(css_path) if css_path.is_file() else ""
    files: dict[str, list[Path]] = {}
    for face in _FACE.finditer(css):
        family = _FAMILY.search(face["body"])
        if family:
            name = _names(family["value"])[0]
            files.setdefault(name, []).extend(css_path.parent / u["url"] for u in _URL.finditer(face["body"]))
    missing_files = sorted({path for paths in files.values() for path in paths if not path.is_file()})
    files = {family: [path for path in paths if path not in missing_files] for family, paths in files.items()}
    without_faces = _FACE.sub("", css)
    families = list(dict.fromkeys(n for m in _FAMILY.finditer(without_faces) for n in _names(m["value"])))
    missing = []
    for name in families:
        if name not in files:
            installed = _system_font(name)
            if installed is None:
                missing.append(name)
            else:
                files[name] = [installed]
    return FontStack(families, files, missing, missing_files)


def describe(chars: list[str]) -> str:
    """``'é' (U+00E9)``; invisible characters by code point only, so none reaches the terminal."""
    return ", ".join(f"U+{ord(c):04X}" if unicodedata.category(c) in _INVISIBLE | {"Cs"} else f"'{c}' (U+{ord(c):04X})"
                     for c in chars)


# Bidirectional embeddings, overrides and isolates reorder how text prints: a dose or a phone
# number can read differently on paper than in the file a reviewer signed off. The template
# already sets each language's direction (and isolates phone numbers), so text never needs them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def control_characters(text: str) -> list[str]:
    """Control characters (C0, C1, DEL, lone surrogates) that cannot print; newline and tab can."""
    return [c for c in dict.fromkeys(text) if unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t"]


def check_texts(stack: FontStack, texts: Iterable[tuple[Location, str]]) -> list[SourceError]:
    """One error per field and problem: control characters, bidi controls, characters no font draws."""
    errors = []
    for location, text in texts:
        if controls := control_characters(text):
            errors.append(SourceError(f"control characters cannot be printed: {describe(controls)}", location))
        if bidi := [c for c in dict.fromkeys(text) if c in BIDI_CONTROLS]:
            errors.append(SourceError(
                f"bidirectional control characters {describe(bidi)} can make the page read differently "
                "from this file; remove them (each language's direction is set by the template)", location))
        if missing := stack.cannot_draw(text):
            errors.append(SourceError(f"characters the font stack cannot draw: {describe(missing)}", location))
    return errors
