"""The typed record every parser returns: what a document is and the fields read from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vocabulary import Kind


class ParseError(Exception):
    """A document that cannot be read, as a reason code with its values (`encrypted_pdf`,
    file=…): the catalogs word it for a person (the quarantine reason, the polite note to the
    sender, in their language), so it says what is wrong and what to send. str() is the
    English wording, for the log."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, {key: str(value) for key, value in params.items()}

    @property
    def reason(self) -> dict[str, str]:
        return {"code": self.code, **self.params}

    def __str__(self) -> str:
        return reason_text(self.reason)


def reason_text(reason: dict[str, str], language: str = "en") -> str:
    """A coded reason worded from the catalog (English: the log's and `inspect`'s wording)."""
    # imported here for start-up speed (issue 23): Babel costs 40 ms that `aftersales --help` must not pay
    from vocabulary.catalogs import gettext

    return gettext(
        language, f"reason.{reason['code']}", **{k: v for k, v in reason.items() if k != "code"}
    )


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
    kind: str = Kind.UNKNOWN
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
    reasons: list[dict[str, str]] = field(
        default_factory=list
    )  # the errors as codes (ParseError.reason)

    def fail(self, code: str, **params: Any) -> None:
        """An error with its reason code: worded in English in `errors`, kept coded in `reasons`."""
        reason = ParseError(code, **params).reason
        self.errors.append(reason_text(reason))
        self.reasons.append(reason)

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
            name: {
                "source": found.source,
                "confidence": round(found.confidence, 3),
                **({"read": found.read} if found.read is not None else {}),
            }
            for name, found in self.fields.items()
        }
        for name, read in self.meta.get(
            "line_readings", {}
        ).items():  # a return line's mended values
            shown[name] = {"source": "line", "read": read}
        return shown
