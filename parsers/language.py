"""Which language a text is written in (zh-Hans, zh-Hant, en), and traditional → simplified."""

from __future__ import annotations

import re
from functools import lru_cache

import opencc

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters turned simplified; simplified and Latin text pass unchanged."""
    return _t2s().convert(text) if _CJK.search(text) else text


def detect_language(text: str) -> str | None:
    """zh-Hant when a fair share of the Chinese characters are traditional-only, zh-Hans when
    the text is mostly Chinese, en when it is mostly Latin words; None for no text at all."""
    cjk = _CJK.findall(text)
    latin_words = _LATIN_WORD.findall(text)
    if not cjk and not latin_words:
        return None
    # A mail in English often carries a Chinese name or model: count words against characters.
    if len(latin_words) > 2 * len(cjk) / 2.5 + 3:
        return "en"
    cjk_text = "".join(cjk)
    changed = sum(a != b for a, b in zip(cjk_text, to_simplified(cjk_text), strict=False))
    return "zh-Hant" if changed >= max(2, 0.04 * len(cjk_text)) else "zh-Hans"
