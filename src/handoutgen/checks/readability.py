"""Reading-level formulas, computed here so `check` stays fast and needs no downloads.

English syllables come from the CMU Pronouncing Dictionary (a word → syllables table derived
from it ships in data/, read once per run), with the vowel-group rule for words it lacks.
Spanish syllables are vowel groups (diphthongs count once). The formulas:
- Flesch–Kincaid grade = 0.39 · words/sentences + 11.8 · syllables/words − 15.59
- SMOG grade = 1.043 · √(polysyllables · 30 / sentences) + 3.1291 (meant for 30+ sentences)
- Fernández-Huerta ease (Spanish), in its corrected form (Law 2011; as textstat computes it):
  206.84 − 0.60 · syllables per 100 words − 1.02 · words per sentence. The original printed
  "sentences per 100 words" with a minus sign, which scores long sentences as easier.
- Szigriszt-Pazos perspicuity (Spanish) = 206.835 − 62.3 · syllables/words − words/sentences,
  read on the INFLESZ scale (Barrio-Cantalejo et al. 2008), used for Spanish patient materials.
Other languages are "not measured" rather than given a number that means nothing.
"""

from __future__ import annotations

import gzip
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\s])")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_VOWELS = {"en": re.compile(r"[aeiouy]+"), "es": re.compile(r"[aeiouáéíóúü]+")}
MEASURED = ("en", "es")
# INFLESZ: lowest score of each band, best first.
INFLESZ_BANDS = ((80, "very easy"), (65, "quite easy"), (55, "normal"), (40, "somewhat difficult"),
                 (float("-inf"), "very difficult"))


def base_language(language: str) -> str:
    return language.split("-")[0].lower()


def sentences(text: str) -> list[str]:
    """Sentences of a text; a list item without end punctuation is one sentence."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


# English vowel pairs that are usually two syllables (hemat-u-r-i-a, vi-o-lent, ure-o): the
# vowel-group rule alone under-counts medical words, and under-counting errs lenient.
_EN_HIATUS = re.compile(r"(?<![cstgx])i[aou]|eo|uo|ua(?!r)")


_ES_STRONG = set("aeoáéó")
_ES_STRESSED_WEAK = set("íú")


def _spanish_syllables(word: str) -> int:
    """Vowel nuclei: a diphthong (cui-da-do, ai-re) is one; two strong vowels (le-er) or an
    accented í/ú (dí-a, ba-úl) are two (hiatus)."""
    count = 0
    for group in _VOWELS["es"].findall(word):
        count += 1 + sum(1 for a, b in zip(group, group[1:])
                         if (a in _ES_STRONG and b in _ES_STRONG) or a in _ES_STRESSED_WEAK or b in _ES_STRESSED_WEAK)
    return max(1, count)


def _vowel_groups(word: str, language: str) -> int:
    vowels = _VOWELS.get(base_language(language), _VOWELS["en"])
    count = len(vowels.findall(word))
    if base_language(language) == "en":
        count += len(_EN_HIATUS.findall(word))
        if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
            count -= 1
    return max(1, count)


SYLLABLE_TABLE = Path(__file__).resolve().parent / "data" / "cmudict-syllables.txt.gz"


@lru_cache(maxsize=1)
def _syllable_table() -> dict[str, int]:
    """English word -> syllables, derived from the CMU Pronouncing Dictionary (see
    scripts/make-syllable-table.py; BSD-style licence in data/CMUDICT-LICENSE.txt)."""
    text = gzip.decompress(SYLLABLE_TABLE.read_bytes()).decode("utf-8")
    return {word: int(count) for word, count in (line.split(" ") for line in text.splitlines())}


def english_syllables(word: str) -> int | None:
    """Syllables of ``word`` in its first CMU pronunciation (one per stress digit), or None."""
    return _syllable_table().get(word)


@lru_cache(maxsize=50000)  # check measures the same words per section, per handout and for PEMAT
def syllables(word: str, language: str) -> int:
    word = word.lower().replace("’", "'")
    if base_language(language) == "en":
        parts = [p for p in word.split("-") if p]  # "x-ray": each part is a word of the dictionary
        known = [english_syllables(p) for p in parts]
        if parts and all(n is not None for n in known):
            return max(1, sum(known))  # type: ignore[arg-type]
    if base_language(language) == "es":
        return _spanish_syllables(word)
    return _vowel_groups(word, language)


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
        """Fernández-Huerta reading ease, corrected form (Spanish only): 80–90 easy, 60–70 standard."""
        if not self.measured or base_language(self.language) != "es":
            return None
        return 206.84 - 0.60 * 100 * self.syllables / self.words - 1.02 * self.words / self.sentences

    @property
    def perspicuity_es(self) -> float | None:
        """Szigriszt-Pazos perspicuity (Spanish only), read on the INFLESZ scale (``inflesz``)."""
        if not self.measured or base_language(self.language) != "es":
            return None
        return 206.835 - 62.3 * self.syllables / self.words - self.words / self.sentences

    @property
    def inflesz(self) -> str | None:
        """The INFLESZ band of the Szigriszt-Pazos score (Barrio-Cantalejo et al. 2008)."""
        score = self.perspicuity_es
        if score is None:
            return None
        for floor, band in INFLESZ_BANDS:
            if score >= floor:
                return band
        return INFLESZ_BANDS[-1][1]

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
