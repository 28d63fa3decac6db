"""Reading-level formulas, computed here so `check` stays fast and needs no downloads.

Syllables are counted with the usual vowel-group rule (silent final "e" dropped for
English); the formulas are the published ones:
- Flesch–Kincaid grade = 0.39 · words/sentences + 11.8 · syllables/words − 15.59
- SMOG grade = 1.043 · √(polysyllables · 30 / sentences) + 3.1291 (meant for 30+ sentences)
- Fernández-Huerta ease (Spanish) = 206.84 − 0.60 · syllables per 100 words − 1.02 · sentences per 100 words
Other languages are "not measured" rather than given a number that means nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\s])")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_VOWELS = {"en": re.compile(r"[aeiouy]+"), "es": re.compile(r"[aeiouáéíóúü]+")}
MEASURED = ("en", "es")


def base_language(language: str) -> str:
    return language.split("-")[0].lower()


def sentences(text: str) -> list[str]:
    """Sentences of a text; a list item without end punctuation is one sentence."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def syllables(word: str, language: str) -> int:
    word = word.lower()
    vowels = _VOWELS.get(base_language(language), _VOWELS["en"])
    count = len(vowels.findall(word))
    if base_language(language) == "en" and word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    return max(1, count)


@dataclass(frozen=True)
class Readability:
    language: str
    sentences: int
    words: int
    syllables: int
    polysyllables: int  # words of three or more syllables
    longest_sentence: int

    @property
    def measured(self) -> bool:
        return base_language(self.language) in MEASURED and self.words > 0 and self.sentences > 0

    @property
    def grade(self) -> float | None:
        """Flesch–Kincaid grade (English only)."""
        if not self.measured or base_language(self.language) != "en":
            return None
        return 0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59

    @property
    def smog(self) -> float | None:
        if not self.measured or base_language(self.language) != "en" or self.sentences < 3:
            return None
        return 1.043 * math.sqrt(self.polysyllables * 30 / self.sentences) + 3.1291

    @property
    def ease_es(self) -> float | None:
        """Fernández-Huerta reading ease (Spanish only): 80–90 is easy, 60–70 is standard."""
        if not self.measured or base_language(self.language) != "es":
            return None
        return 206.84 - 0.60 * 100 * self.syllables / self.words - 1.02 * 100 * self.sentences / self.words

    @property
    def long_word_share(self) -> float:
        return self.polysyllables / self.words if self.words else 0.0


def measure(texts: list[str], language: str) -> Readability:
    all_sentences = [s for text in texts for s in sentences(text)]
    counts = [[syllables(w, language) for w in words(s)] for s in all_sentences]
    return Readability(
        language=language,
        sentences=sum(1 for c in counts if c),
        words=sum(len(c) for c in counts),
        syllables=sum(sum(c) for c in counts),
        polysyllables=sum(1 for c in counts for n in c if n >= 3),
        longest_sentence=max((len(c) for c in counts), default=0),
    )
