"""The form engine: (label, value) pairs, label lines and running text → canonical fields.

Every format module reduces its document to pairs and lines and hands them here, so that one
synonym table (labels.toml) and one set of prose patterns (prose.toml) serve all formats.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from parsers import normalise
from parsers.labels import LabelTable, label_key, load_table
from parsers.language import to_simplified
from parsers.model import ParsedDocument

PROSE = Path(__file__).with_name("prose.toml")
_LABEL_BEFORE_COLON = re.compile(r"([^\s:：|｜]{1,16})\s*[:：]")
PROSE_CONFIDENCE = 0.8


def read_pairs(doc: ParsedDocument, pairs: Iterable[tuple[str, Any, str]]) -> None:
    """Fields from (label, raw value, source) pairs; unknown labels are passed over."""
    table = load_table()
    for label, raw, source in pairs:
        field = table.field_for(label)
        if field is None:
            continue
        put_field(doc, table, field, raw, source)


def put_field(
    doc: ParsedDocument,
    table: LabelTable,
    field: str,
    raw: Any,
    source: str,
    confidence: float = 1.0,
) -> None:
    value = table.normalise(field, raw)
    doc.put(field, value, source, confidence)
    if field in ("quantity", "defect_quantity") and value is not None and isinstance(raw, str):
        doc.put("unit", table.enum("unit", normalise.unit_of(raw)), source, confidence)


def known_label_at_end(candidate: str, table: LabelTable) -> str | None:
    """The longest known label that ends `candidate` (text glued before a label is common)."""
    for start in range(len(candidate)):
        if table.field_for(candidate[start:]):
            return candidate[start:]
    return None


def pairs_in_line(line: str) -> list[tuple[str, str]]:
    """`经销商名称：X 客户编号：Y` → [(经销商名称, X), (客户编号, Y)]; [] without known labels."""
    table = load_table()
    marks: list[tuple[int, int, str]] = []  # (label start, value start, label)
    for match in _LABEL_BEFORE_COLON.finditer(line):
        label = known_label_at_end(match.group(1), table)
        if label:
            marks.append((match.end(1) - len(label), match.end(), label))
    pairs = []
    for index, (_, value_start, label) in enumerate(marks):
        value_end = marks[index + 1][0] if index + 1 < len(marks) else len(line)
        pairs.append((label, line[value_start:value_end].strip()))
    return pairs


def read_label_lines(doc: ParsedDocument, lines: Iterable[str], source: str) -> None:
    """Fields from lines of `label: value` text; a line with no label continues a long value
    that wrapped (a description broken over two lines of a PDF)."""
    table = load_table()
    last: tuple[str, str] | None = None
    collected: list[tuple[str, str, str]] = []
    for number, line in enumerate(lines, start=1):
        found = pairs_in_line(line)
        if found:
            for label, value in found:
                collected.append((label, value, f"{source} line {number}"))
            last = collected[-1][:2]
        elif last and collected and table.types.get(table.field_for(last[0]) or "") == "longtext":
            label, value, where = collected[-1]
            joiner = (
                "" if re.match(r"^[\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]", line.strip()) else " "
            )
            collected[-1] = (label, (value + joiner + line.strip()).strip(), where)
    read_pairs(doc, collected)


@dataclass(frozen=True)
class ProsePatterns:
    patterns: list[re.Pattern[str]]
    reject: dict[str, set[str]]


@lru_cache(maxsize=2)
def load_prose(path: Path = PROSE) -> ProsePatterns:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    placeholders = data.get("placeholders", {})
    compiled = []
    for spec in data["patterns"]:
        regex = spec["regex"]
        for name, pattern in placeholders.items():
            regex = regex.replace("{" + name + "}", pattern)
        compiled.append(re.compile(regex))
    reject = {field: set(words) for field, words in data.get("reject", {}).items()}
    return ProsePatterns(compiled, reject)


def read_prose(doc: ParsedDocument, text: str, source: str) -> None:
    """Fields from running text, by the patterns of prose.toml. Patterns match the simplified
    text; values are cut from the original where the two line up, so names keep their script."""
    table = load_table()
    prose = load_prose()
    simplified = to_simplified(text)
    aligned = len(simplified) == len(text)
    for pattern in prose.patterns:
        for match in pattern.finditer(simplified):
            for field, raw in match.groupdict().items():
                if raw is None:
                    continue
                if aligned:
                    raw = text[match.start(field) : match.end(field)]
                if label_key(raw) in prose.reject.get(field, ()):
                    continue
                put_field(doc, table, field, raw, source, PROSE_CONFIDENCE)
