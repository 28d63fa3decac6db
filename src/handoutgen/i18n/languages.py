"""Language names as scheduling systems export them, mapped to the tags handouts use.

Exports write ``EN``, ``en_US``, ``Spanish`` or ``español`` where a handout file is
``en.yaml`` or ``es.yaml``. The table maps names (in English and in the language itself)
case-insensitively; anything else is only re-cased (``zh-hans`` → ``zh-Hans``) and left
to the model's tag pattern, which refuses what is not a tag.
"""

from __future__ import annotations

import unicodedata

# name (case-folded, accents kept and dropped both accepted) -> BCP 47 tag
ALIASES: dict[str, str] = {
    "english": "en", "inglés": "en",
    "spanish": "es", "español": "es", "castellano": "es",
    "arabic": "ar", "العربية": "ar", "عربي": "ar",
    "chinese": "zh-Hans", "simplified chinese": "zh-Hans", "chinese (simplified)": "zh-Hans",
    "mandarin": "zh-Hans", "中文": "zh-Hans", "简体中文": "zh-Hans", "zh": "zh-Hans", "zh-cn": "zh-Hans",
    "traditional chinese": "zh-Hant", "chinese (traditional)": "zh-Hant", "繁體中文": "zh-Hant",
    "zh-tw": "zh-Hant", "cantonese": "zh-Hant",
    "french": "fr", "français": "fr",
    "german": "de", "deutsch": "de",
    "portuguese": "pt", "português": "pt", "brazilian portuguese": "pt-BR",
    "russian": "ru", "русский": "ru",
    "vietnamese": "vi", "tiếng việt": "vi",
    "korean": "ko", "한국어": "ko",
    "tagalog": "tl", "filipino": "fil",
    "haitian creole": "ht", "kreyòl ayisyen": "ht",
    "polish": "pl", "polski": "pl",
    "italian": "it", "italiano": "it",
    "hindi": "hi", "हिन्दी": "hi",
    "somali": "so", "soomaali": "so",
    "farsi": "fa", "persian": "fa", "فارسی": "fa",
    "japanese": "ja", "日本語": "ja",
}


def _without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


_FOLDED = {**{_without_accents(k): v for k, v in ALIASES.items()}, **ALIASES}


def normalize_language(value: str) -> str:
    """``'Spanish'`` → ``'es'``, ``'EN'`` → ``'en'``, ``'pt_br'`` → ``'pt-BR'``; unknown text unchanged."""
    key = " ".join(value.split()).casefold()
    if key in _FOLDED or _without_accents(key) in _FOLDED:
        return _FOLDED.get(key) or _FOLDED[_without_accents(key)]
    parts = key.replace("_", "-").split("-")
    if not all(part.isascii() and part.isalnum() for part in parts):
        return value
    cased = [parts[0]]
    for part in parts[1:]:
        cased.append(part.title() if len(part) == 4 else part.upper() if len(part) == 2 else part)
    return "-".join(cased)
