"""Reading scores point the right way: golden values worked by hand, and shorter sentences help."""

from __future__ import annotations

import pytest

from handoutgen.checks.readability import measure, syllables, words


def test_english_syllables_come_from_the_cmu_dictionary():
    # The vowel-group rule alone said create 1, radiation 3 (issue #9).
    assert [syllables(w, "en") for w in ("create", "radiation", "anesthesia", "X-ray", "kidneys")] == [2, 4, 4, 2, 2]


def test_words_the_dictionary_lacks_fall_back_to_vowels_counting_hiatus():
    assert syllables("hematuria", "en") == 5  # he-ma-tu-ri-a: not in CMU; "ia" is two syllables
    assert syllables("zzyzx", "en") == 1


@pytest.mark.parametrize("word, count", [
    ("día", 2), ("tenía", 3), ("leer", 2), ("baúl", 2),  # hiatus
    ("cuidado", 3), ("aire", 2), ("que", 1), ("pingüino", 3), ("riñones", 3),  # diphthongs, silent u
])
def test_spanish_syllables(word, count):
    assert syllables(word, "es") == count


def test_flesch_kincaid_golden_value():
    # radiation 4 + can 1 + create 2 + problems 2 = 9 syllables, 4 words, 1 sentence:
    # 0.39 · 4 + 11.8 · 9/4 − 15.59 = 1.56 + 26.55 − 15.59 = 12.52
    result = measure(["Radiation can create problems."], "en")
    assert (result.words, result.syllables, result.sentences) == (4, 9, 1)
    assert result.grade == pytest.approx(12.52)


def test_spanish_formulas_golden_values():
    # El(1) ni-ño(2) co-me(2) pan(1) · La(1) ca-sa(2) es(1) gran-de(2): 12 syllables, 8 words, 2 sentences.
    result = measure(["El niño come pan. La casa es grande."], "es")
    assert (result.words, result.syllables, result.sentences) == (8, 12, 2)
    # Fernández-Huerta, corrected: 206.84 − 0.60 · (100 · 12/8) − 1.02 · (8/2) = 206.84 − 90 − 4.08
    assert result.ease_es == pytest.approx(112.76)
    # Szigriszt-Pazos: 206.835 − 62.3 · 12/8 − 8/2 = 206.835 − 93.45 − 4
    assert result.perspicuity_es == pytest.approx(109.385)
    assert result.inflesz == "very easy"


@pytest.mark.parametrize("score, band", [(85, "very easy"), (70, "quite easy"), (60, "normal"),
                                         (45, "somewhat difficult"), (30, "very difficult")])
def test_inflesz_bands(score, band):
    # Solve for a text with the wanted perspicuity: one sentence of n one-syllable words scores
    # 206.835 − 62.3 − n, so n = 144.535 − score.
    n = round(144.535 - score)
    result = measure([" ".join(["pan"] * n) + "."], "es")
    assert result.perspicuity_es == pytest.approx(144.535 - n)
    assert result.inflesz == band


SPANISH = ("Usted necesita que le saquen la orina de inmediato para prevenir una reacción muy grave a una "
           "infección y esto puede ser necesario si hay pus en un riñón bloqueado o si hay una infección "
           "causada por un bloqueo en el uréter que no deja pasar la orina hasta la vejiga")
ENGLISH = ("You need the urine drained right away to prevent a very serious reaction to an infection and "
           "this may be needed if there is pus in a blocked kidney or if there is an infection caused by "
           "a blockage in the ureter that keeps urine from reaching the bladder")


def split_into(text: str, per_sentence: int) -> str:
    tokens = text.split()
    chunks = [" ".join(tokens[i:i + per_sentence]) for i in range(0, len(tokens), per_sentence)]
    return " ".join(chunk + "." for chunk in chunks)


@pytest.mark.parametrize("language, text", [("es", SPANISH), ("en", ENGLISH)])
def test_more_shorter_sentences_never_score_harder(language, text):
    """Same words, cut into ever shorter sentences: ease never falls, grade never rises."""
    lengths = [len(words(text)), 30, 20, 15, 10, 8, 5, 3]
    results = [measure([split_into(text, n)], language) for n in lengths]
    assert len({r.words for r in results}) == 1 and len({r.syllables for r in results}) == 1
    for longer, shorter in zip(results, results[1:]):
        assert shorter.sentences >= longer.sentences
        if language == "es":
            assert shorter.ease_es >= longer.ease_es
            assert shorter.perspicuity_es >= longer.perspicuity_es
        else:
            assert shorter.grade <= longer.grade


def test_run_on_sentences_lower_the_spanish_score():
    """The issue's example: the old formula scored 2 long sentences easier than 10 short ones."""
    two = measure([split_into(SPANISH, 26)], "es")
    ten = measure([split_into(SPANISH, 5)], "es")
    assert two.sentences == 2 and ten.sentences >= 10
    assert ten.ease_es - two.ease_es > 10
