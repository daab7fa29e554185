"""Which product a plain mail is about, when no label or prose pattern named it: a product of
the desk's master data that the text names (by part number or by name), else the first product
word of prose.toml's [products] in the text, kept as the writer wrote it. The master data
comes as plain data (parsers know no store)."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache

from parsers.forms import PROSE
from parsers.language import to_simplified
from parsers.model import ParsedDocument

PRODUCT_CONFIDENCE = 0.5
KNOWN_PRODUCT_CONFIDENCE = 0.8  # named as the master data names it: more than a product word


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
        word = text[match.start() : match.end()] if aligned else match.group(0)
        doc.put("product_name", word, "body", PRODUCT_CONFIDENCE)


def name_known_product(
    doc: ParsedDocument, text: str, products: list[dict[str, str | None]]
) -> None:
    """The master data's product that the text names: its part number as a word of its own
    first (`PB-52708`), else the longest product name in it (`朗逸`, `10W-40 全合成机油`).
    A product already read from a label stays; one read from a prose word gives way."""
    current = doc.fields.get("product_name")
    if (
        (current is not None and current.confidence >= KNOWN_PRODUCT_CONFIDENCE)
        or not text
        or not products
    ):
        return
    folded = to_simplified(text).casefold()
    found = _by_part_number(folded, products) or _by_name(folded, products)
    if found is None:
        return
    doc.put(
        "product_name",
        found.get("name") or found["part_no"],
        "master data",
        KNOWN_PRODUCT_CONFIDENCE,
    )
    if doc.value("product_model") is None and found.get("part_no"):
        doc.put("product_model", found["part_no"], "master data", KNOWN_PRODUCT_CONFIDENCE)


def _by_part_number(
    folded: str, products: list[dict[str, str | None]]
) -> dict[str, str | None] | None:
    for product in products:
        part_no = (product.get("part_no") or "").casefold()
        if len(part_no) >= 4 and re.search(
            rf"(?<![0-9a-z]){re.escape(part_no)}(?![0-9a-z])", folded
        ):
            return product
    return None


def _by_name(folded: str, products: list[dict[str, str | None]]) -> dict[str, str | None] | None:
    named = [
        p for p in products if len(p.get("name") or "") >= 2 and _folded(p["name"] or "") in folded
    ]
    return max(named, key=lambda p: len(p["name"] or ""), default=None)


@lru_cache(maxsize=65536)
def _folded(name: str) -> str:
    """A product name as prose is compared with it, converted once per name (OpenCC is not
    free, and every complaint is compared with every product on record)."""
    return to_simplified(name).casefold()
