"""The typed record every parser returns: what a document is and the fields read from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ParseError(Exception):
    """A document that cannot be read. The message is for a person: it becomes the quarantine
    reason and the polite note to the sender, so it says what is wrong and what to send."""


@dataclass
class FieldValue:
    value: Any
    source: str  # where it was read: "body", "table 1 row 3", "sheet 调退货明细 C4", "page 1"
    confidence: float = 1.0
    read: Any = None  # what was read, when the value was mended or guessed from it (OCR)


@dataclass
class ParsedDocument:
    file: str
    format: str
    kind: str = "unknown"
    language: str | None = None
    title: str = ""
    text: str = ""
    fields: dict[str, FieldValue] = field(default_factory=dict)
    lines: list[dict[str, Any]] = field(default_factory=list)
    case_ref: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    attachments: list[ParsedDocument] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def put(self, name: str, value: Any, source: str, confidence: float = 1.0) -> None:
        """Keep a field; a value already read with at least the same confidence stays."""
        if value is None:
            return
        current = self.fields.get(name)
        if current is None or confidence > current.confidence:
            self.fields[name] = FieldValue(value, source, confidence)

    def value(self, name: str, default: Any = None) -> Any:
        found = self.fields.get(name)
        return found.value if found else default

    @property
    def field_values(self) -> dict[str, Any]:
        return {name: found.value for name, found in self.fields.items()}

    @property
    def provenance(self) -> dict[str, dict[str, Any]]:
        shown = {
            name: {"source": found.source, "confidence": round(found.confidence, 3),
                   **({"read": found.read} if found.read is not None else {})}
            for name, found in self.fields.items()
        }
        for name, read in self.meta.get("line_readings", {}).items():  # a return line's mended values
            shown[name] = {"source": "line", "read": read}
        return shown
