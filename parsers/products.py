"""Which product a plain mail is about, when no label or prose pattern named it: the first
product word of prose.toml's [products] in the text, kept as the writer wrote it."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache

from parsers.forms import PROSE
from parsers.language import to_simplified
from parsers.model import ParsedDocument

PRODUCT_CONFIDENCE = 0.5


@lru_cache(maxsize=1)
def _product_pattern() -> re.Pattern[str]:
    words = tomllib.loads(PROSE.read_text(encoding="utf-8")).get("products", {}).get("words", [])
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![a-z])(?:{alternatives})(?![a-z])", re.IGNORECASE)


def read_product(doc: ParsedDocument, text: str) -> None:
    if doc.value("product_name") is not None or not text:
        return
    simplified = to_simplified(text)
    if match := _product_pattern().search(simplified):
        aligned = len(simplified) == len(text)
        word = text[match.start():match.end()] if aligned else match.group(0)
        doc.put("product_name", word, "body", PRODUCT_CONFIDENCE)
