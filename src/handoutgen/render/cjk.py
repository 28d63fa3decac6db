"""A small Chinese face for covers: the common Han characters of the installed Noto Sans CJK SC.

WeasyPrint subsets every font a document uses but keeps the glyph ids of the file it came
from, so a cover naming one patient in Chinese carried the empty glyph slots of the whole
65,000-glyph Noto CJK collection (~250 KB and about three times an English cover's CPU). The
face written here holds only the characters of GB 2312 (6,763 Han characters, punctuation,
full-width forms: everyday Simplified Chinese, including every interface string) with low
glyph ids, so a cover's subset stays small. A character outside it (a rare name character)
falls back to the full Noto Sans CJK SC, which prints it correctly at the old size.

The faces are cut with HarfBuzz (uharfbuzz) once per batch in a fraction of a second, and
are byte-identical for the same installed font.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.pofile import read_po

from handoutgen.i18n.catalogs import catalog_for, catalog_path
from handoutgen.write import write_atomic

FULL_FAMILY = "Noto Sans CJK SC"
FACES_CSS = "cjk-faces.css"
_ASCII = frozenset(range(0x20, 0x7F))  # every tier: spaces and digits between Han characters


def _gb2312(first_row: int, last_row: int) -> frozenset[int]:
    """The GB 2312 characters of rows ``first_row``..``last_row`` (0xA1–0xF7)."""
    found = set()
    for row in range(first_row, last_row + 1):
        for cell in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return frozenset(found)


@lru_cache(maxsize=1)
def _interface_characters() -> frozenset[int]:
    """What a zh-Hans cover prints whoever the patient is: the interface strings, dates, times."""
    locale = Locale.parse("zh_Hans")
    found = catalog_for("zh-Hans")
    with catalog_path(found).open("rb") if found else open(os.devnull, "rb") as po:
        texts = [str(message.string) for message in read_po(po) if message.string]
    first = dt.datetime(2028, 1, 1)  # a leap year: every month, day of month and weekday
    texts += [format_date(first + dt.timedelta(days=day), "full", locale=locale) for day in range(366)]
    texts += [format_time(first + dt.timedelta(hours=hour), "short", locale=locale) for hour in range(24)]
    return frozenset(ord(c) for text in texts for c in text if ord(c) > 0x7F)


def _tiers() -> list[tuple[str, tuple[int, ...], frozenset[int]]]:
    """(name, weights, characters), in the order the font stack tries them."""
    return [
        # Low glyph ids for what every cover prints, in both weights (headings and values are bold).
        ("interface", (400, 700), _interface_characters()),
        # Patient name, place, preparation, titles: symbols and the 3,755 everyday characters,
        # then the 3,008 less frequent ones (GB 2312 levels 1 and 2) in a face of their own.
        ("common", (400, 700), _gb2312(0xA1, 0xA9) | _gb2312(0xB0, 0xD7)),
        ("rare", (400, 700), _gb2312(0xD8, 0xF7)),
    ]


def _installed(weight: int) -> tuple[Path, int] | None:
    """(file, index in the collection) fontconfig uses for Noto Sans CJK SC at ``weight``."""
    pattern = f"{FULL_FAMILY}:weight={'bold' if weight >= 700 else 'regular'}"
    try:
        found = subprocess.run(["fc-match", "-f", "%{family}\t%{file}\t%{index}", pattern],
                               capture_output=True, text=True, timeout=10).stdout.split("\t")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(found) != 3 or FULL_FAMILY not in (f.strip() for f in found[0].split(",")):
        return None
    return Path(found[1]), int(found[2] or 0)


def _ranges(codes: set[int]) -> str:
    """``U+4E00-4E01,U+4E03,…`` for a set of code points (exactly those, none more)."""
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return ",".join(f"U+{a:04X}" if a == b else f"U+{a:04X}-{b:04X}" for a, b in ranges)


def write_cjk_faces(folder: Path, fonts_css: Path) -> Path | None:
    """Write the small Chinese faces and a stylesheet using them into ``folder``; None if there is
    no Noto Sans CJK SC to cut them from, or the font stack in ``fonts_css`` does not use it."""
    import uharfbuzz

    tiers = _tiers()
    stack = _stack_with(fonts_css.read_text(encoding="utf-8"), [_family(name) for name, _, _ in tiers])
    if stack is None:
        return None
    rules = []
    for weight in (400, 700):
        installed = _installed(weight)
        if installed is None:
            return None
        path, index = installed
        face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(path)), index)
        available = set(face.unicodes)
        for name, weights, characters in tiers:
            if weight not in weights:
                continue
            wanted = uharfbuzz.SubsetInput()
            wanted.unicode_set.update((characters | _ASCII) & available)
            # No layout closure: the alternates GSUB reaches (vertical, Japanese, Korean forms)
            # would double the glyph count. Covers are set horizontally: no vertical metrics.
            wanted.flags = uharfbuzz.SubsetFlags.NOTDEF_OUTLINE | uharfbuzz.SubsetFlags.NO_LAYOUT_CLOSURE
            wanted.drop_table_tag_set.update(int.from_bytes(tag, "big") for tag in (b"vmtx", b"vhea", b"VORG"))
            subset = uharfbuzz.subset(face, wanted)
            target = folder / f"noto-sans-cjk-sc-{name}-{weight}.otf"
            write_atomic(target, subset.blob.data)
            # The range lists exactly what the cut face draws: a character claimed by a face that
            # lacks it would print as .notdef instead of falling back to the next face.
            rules.append(f'@font-face {{ font-family: "{_family(name)}"; font-weight: {weight}; '
                         f"src: url({target.name}) format('opentype'); unicode-range: {_ranges(set(subset.unicodes))}; }}")
    css = folder / FACES_CSS
    write_atomic(css, ("\n".join(rules) + "\n" + stack).encode())
    return css


def _family(tier: str) -> str:
    return f"{FULL_FAMILY} {tier.capitalize()}"


def _stack_with(fonts_css: str, families: list[str]) -> str | None:
    """fonts.css's default font stack with ``families`` just before the full CJK font."""
    found = re.search(r"^html\s*\{\s*font-family:\s*([^;}]+);", fonts_css, re.MULTILINE)
    if found is None or f'"{FULL_FAMILY}"' not in found[1]:
        return None
    stack = found[1].replace(f'"{FULL_FAMILY}"', ", ".join(f'"{f}"' for f in [*families, FULL_FAMILY]))
    return f"html {{ font-family: {stack}; }}\n@page {{ font-family: {stack}; }}\n"
