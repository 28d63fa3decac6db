"""Split and drop: each block as sentences, without filler and repeats, each drop named for the reviewer.

Filler is what the `placeholder` check finds (lorem ipsum, TODO, "[insert …]"); a repeat is what
the `repeated-sentence` check finds (the same words, or 90% of them alike). Both come from
checks/junk.py, so `import` drops exactly what `check` would complain about.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace

from handoutgen.checks.junk import NEAR_DUPLICATE, near_duplicate, placeholder_kind
from handoutgen.checks.readability import sentences, words
from handoutgen.importer.read import HEADING, Block

MIN_REPEAT_WORDS = 5  # as the repeated-sentence check: short phrases ("Rest.") may rightly recur
# A near repeat of n words matches at least NEAR_DUPLICATE·(n+m)/2 of them, and m ≥ NEAR_DUPLICATE·n,
# so at most this share of its words can be missing from the sentence it repeats.
_UNMATCHED_SHARE = 1 - NEAR_DUPLICATE * (1 + NEAR_DUPLICATE) / 2


class Cleaner:
    """Drops junk sentences block by block; a sentence repeats any kept earlier in the document."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._kept: dict[str, str] = {}  # normalised words -> the sentence kept
        self._earlier: list[tuple[list[str], str]] = []
        self._with_word: defaultdict[str, list[int]] = defaultdict(list)  # word -> indices into _earlier

    def __call__(self, block: Block) -> Block | None:
        """``block`` without its junk sentences, or None when nothing is left."""
        if block.kind == HEADING:
            return None if self._filler(block.text) else block
        kept = [sentence for sentence in sentences(block.text)
                if not self._filler(sentence) and not self._repeat(sentence)]
        return replace(block, text=" ".join(kept)) if kept else None

    def _filler(self, sentence: str) -> bool:
        what = placeholder_kind(sentence)
        if what is not None:
            self.notes.append(f'Dropped filler, {what}: "{sentence}"')
        return what is not None

    def _repeat(self, sentence: str) -> bool:
        tokens = [word.lower() for word in words(sentence)]
        if len(tokens) < MIN_REPEAT_WORDS:
            return False
        normal = " ".join(tokens)
        if normal in self._kept:
            self.notes.append(f'Dropped repeated sentence: "{sentence}"')
            return True
        similar = next((self._earlier[i][1] for i in self._candidates(tokens)
                        if near_duplicate(tokens, self._earlier[i][0])), None)
        if similar is not None:
            self.notes.append(f'Dropped near-repeated sentence: "{sentence}" (kept: "{similar}")')
            return True
        self._kept[normal] = sentence
        for word in set(tokens):
            self._with_word[word].append(len(self._earlier))
        self._earlier.append((tokens, sentence))
        return False

    def _candidates(self, tokens: list[str]) -> list[int]:
        """Earlier sentences that could be near repeats: a near repeat holds at least one of any
        ``_UNMATCHED_SHARE``·n + 1 words of the sentence, so look up only the rarest ones
        (comparing with every earlier sentence took minutes on long documents)."""
        rarest = sorted(set(tokens), key=lambda word: len(self._with_word.get(word, ())))
        needed = math.floor(_UNMATCHED_SHARE * len(tokens)) + 1
        return sorted({i for word in rarest[:needed] for i in self._with_word.get(word, ())})
