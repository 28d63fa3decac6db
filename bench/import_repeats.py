"""`handoutgen import`'s repeat finder: each sentence against every earlier one, or only against
earlier sentences that share one of its rarest words (what importer/clean.py does).

Usage: python bench/import_repeats.py [SENTENCES ...]   (default: 1000 4000; 10000 takes minutes pairwise)

The text is made up, with Zipf-distributed words as real prose has, and one sentence in ten a
near repeat of an earlier one. Both ways must drop the same sentences (checked); the script
prints the seconds of each, side by side in one run, and their ratio.
"""

from __future__ import annotations

import random
import string
import sys
import time

from handoutgen.checks.junk import near_duplicate
from handoutgen.checks.readability import words
from handoutgen.importer.clean import MIN_REPEAT_WORDS, Cleaner
from handoutgen.importer.read import PARAGRAPH, Block


def text(count: int, seed: int = 1) -> list[str]:
    chance = random.Random(seed)
    vocabulary = ["".join(chance.choice(string.ascii_lowercase) for _ in range(6)) for _ in range(5000)]
    weights = [1 / rank for rank in range(1, len(vocabulary) + 1)]
    sentences: list[str] = []
    for _ in range(count):
        if sentences and chance.random() < 0.1:
            tokens = chance.choice(sentences)[:-1].split()
            tokens[chance.randrange(len(tokens))] = chance.choice(vocabulary)
        else:
            tokens = chance.choices(vocabulary, weights, k=chance.randint(8, 20))
        sentences.append(" ".join(tokens) + ".")
    return sentences


def pairwise(sentences: list[str]) -> list[str]:
    kept: list[list[str]] = []
    seen: set[str] = set()
    dropped = []
    for sentence in sentences:
        tokens = [word.lower() for word in words(sentence)]
        if len(tokens) < MIN_REPEAT_WORDS:
            continue
        if " ".join(tokens) in seen or any(near_duplicate(tokens, other) for other in kept):
            dropped.append(sentence)
            continue
        seen.add(" ".join(tokens))
        kept.append(tokens)
    return dropped


def indexed(sentences: list[str]) -> list[str]:
    cleaner = Cleaner()
    return [sentence for sentence in sentences if cleaner(Block(PARAGRAPH, sentence)) is None]


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [1000, 4000]
    print(f"{'sentences':>10} {'pairwise s':>11} {'indexed s':>10} {'ratio':>7} {'dropped':>8}")
    for size in sizes:
        sentences = text(size)
        timings = []
        results = []
        for way in (pairwise, indexed):
            start = time.perf_counter()
            results.append(way(sentences))
            timings.append(time.perf_counter() - start)
        assert results[0] == results[1], "the two ways dropped different sentences"
        print(f"{size:>10} {timings[0]:>11.2f} {timings[1]:>10.2f} {timings[0] / timings[1]:>6.1f}x {len(results[1]):>8}")


if __name__ == "__main__":
    main()
