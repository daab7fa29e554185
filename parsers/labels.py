"""The label synonym table (labels.toml) and the mapping of a (label, raw value) to a field."""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from parsers import normalise
from parsers.language import to_simplified

TABLE = Path(__file__).with_name("labels.toml")


@dataclass(frozen=True)
class LabelTable:
    by_label: dict[str, str]  # normalised label → canonical field
    types: dict[str, str]  # field → normaliser name
    values: dict[str, dict[str, list[str]]]  # enum field → token → words
    columns: dict[str, str]  # normalised column header → line field
    column_types: dict[str, str]  # line field → normaliser name (or enum name)

    def field_for(self, label: str) -> str | None:
        return self.by_label.get(label_key(label))

    def closest_label(self, text: str, cutoff: float = 0.6) -> str | None:
        """The known label a misread one most resembles (`顺客姓名` → `顾客姓名`), for OCR: same
        length give or take one character, and at least `cutoff` alike."""
        key = label_key(text)
        if not key or key in self.by_label:
            return key or None
        candidates = [
            label for label in self.by_label if abs(len(label) - len(key)) <= 1 and len(label) >= 2
        ]
        found = difflib.get_close_matches(key, candidates, n=1, cutoff=cutoff)
        return found[0] if found else None

    def closest_value(self, field: str, text: str, cutoff: float = 0.7) -> str | None:
        """The word of an enumerated field a misread value most resembles (`书面道鞭` → `书面道歉`),
        for OCR: None when the value already reads as one, or nothing is alike enough."""
        vocabulary = self.vocabulary_of(field)
        key = re.sub(r"[^\w]", "", to_simplified(normalise.clean_text(text or ""))).lower()
        if vocabulary is None or len(key) < 2 or self.enum(vocabulary, key):
            return None
        words = [
            word.lower()
            for words in self.values[vocabulary].values()
            for word in words
            if len(word) >= 2
        ]
        found = difflib.get_close_matches(key, words, n=1, cutoff=cutoff)
        return found[0] if found else None

    def vocabulary_of(self, field: str, kind: str | None = None) -> str | None:
        """The [values.*] table a field's value is read against, if it is enumerated: its
        type's (`yesno`, `unit`, …), else its own."""
        kind = kind or self.types.get(field, self.column_types.get(field, "text"))
        return kind if kind in self.values else field if field in self.values else None

    def labels_of(self, field: str) -> list[str]:
        return [label for label, name in self.by_label.items() if name == field]

    def column_for(self, header: str) -> str | None:
        return self.columns.get(label_key(header))

    def normalise(self, field: str, raw: Any) -> Any:
        """The canonical value of `field` for a raw value, or None when it is none."""
        return self.normalise_as(self.types.get(field, "text"), field, raw)

    def normalise_column(self, column: str, raw: Any) -> Any:
        return self.normalise_as(self.column_types.get(column, "text"), column, raw)

    def normalise_as(self, kind: str, field: str, raw: Any) -> Any:
        """Enumerations and yes/no questions read the ticked boxes of a value, if it has any."""
        if vocabulary := self.vocabulary_of(field, kind):
            token = self.enum(vocabulary, normalise.checked_text(raw))
            if kind == "yesno":
                return None if token is None else token == "yes"
            return token
        return normalise.NORMALISERS[kind](raw)

    def enum(self, field: str, raw: Any) -> str | None:
        """The token whose words appear first in the text (`书面道歉` → apology)."""
        if normalise.is_empty(raw):
            return None
        text = to_simplified(normalise.clean_text(raw)).lower()
        best: tuple[int, int, str] | None = None
        for token, words in self.values[field].items():
            for word in words:
                position = text.find(word.lower())
                if position >= 0:
                    candidate = (position, -len(word), token)
                    best = candidate if best is None or candidate < best else best
        return best[2] if best else None


@lru_cache(maxsize=1)
def _display_labels(path: Path = TABLE) -> dict[str, tuple[str, str]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    shown = {}
    for field, spec in [
        *data["fields"].items(),
        *data.get("columns", {}).items(),
    ]:  # a field's name wins
        if field in shown:
            continue
        chinese = next((label for label in spec["labels"] if not label.isascii()), field)
        english = next(
            (label for label in spec["labels"] if label.isascii()), field.replace("_", " ")
        )
        shown[field] = (chinese, english)
    return shown


def display_label(field: str, language: str) -> str:
    """How a field is named to a person: the table's first Chinese or English label."""
    chinese, english = _display_labels().get(field, (field, field.replace("_", " ")))
    return english if language == "en" else chinese


def label_key(label: str) -> str:
    """The comparable form of a label: NFKC, simplified, lower case, no spaces, colons,
    asterisks, numbering (`1.`, `一、`) or a trailing note in brackets."""
    key = unicodedata.normalize("NFKC", label).strip()
    key = re.sub(r"^(?:\d+[.、)]|[一二三四五六七八九十]+、|\(\d+\))\s*", "", key)
    key = re.sub(r"[(\[（【][^)\]）】]*[)\]）】]\s*$", "", key)
    key = re.sub(r"[\s:：*＊_.。]+", "", key)
    return to_simplified(key).lower()


@lru_cache(maxsize=4)
def load_table(path: Path = TABLE) -> LabelTable:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    by_label: dict[str, str] = {}
    types: dict[str, str] = {}
    for field, spec in data["fields"].items():
        types[field] = spec.get("type", "text")
        for label in spec["labels"]:
            by_label.setdefault(label_key(label), field)
    columns: dict[str, str] = {}
    column_types: dict[str, str] = {}
    for column, spec in data.get("columns", {}).items():
        column_types[column] = spec.get("type", "text")
        for label in spec["labels"]:
            columns.setdefault(label_key(label), column)
    return LabelTable(by_label, types, data.get("values", {}), columns, column_types)
