"""Bytes in, labelled fields out. The registry below maps each format to its parser, so the
pipeline picks a parser by what a file is, never by an if-chain on its name."""

from __future__ import annotations

import logging
from collections.abc import Callable

from parsers import doc, docx, mail, pdf, scan, text, xls, xlsx
from parsers.kinds import apply_renames
from parsers.language import detect_language
from parsers.limits import ParseLimits, check_size, time_limit
from parsers.model import FieldValue, ParsedDocument, ParseError
from parsers.sniff import sniff

__all__ = ["FieldValue", "ParseError", "ParseLimits", "ParsedDocument", "parse_document", "sniff"]

log = logging.getLogger(__name__)

Parser = Callable[[bytes, str, ParseLimits], ParsedDocument]

PARSERS: dict[str, Parser] = {
    "eml": mail.parse,
    "docx": docx.parse,
    "doc": doc.parse,
    "xlsx": xlsx.parse,
    "xls": xls.parse,
    "pdf": pdf.parse,
    "text": text.parse,
    "image": scan.parse_image,
}

def parse_document(data: bytes, filename: str, limits: ParseLimits | None = None) -> ParsedDocument:
    """Parse one file. Never raises for bad input: a document that cannot be read comes back
    with kind `unknown` and the reason in `errors`."""
    limits = limits or ParseLimits()
    fmt = sniff(data, filename)
    if fmt is None:
        return _failed(filename, "unknown", ParseError("unknown_type", file=filename))
    try:
        if fmt != "eml":  # a mail has the message limit (mail.parse), each of its attachments the file limit
            check_size(data, filename, limits)
        with time_limit(limits.max_seconds, filename):
            doc = PARSERS[fmt](data, filename, limits)
    except ParseError as exc:
        return _failed(filename, fmt, exc)
    except MemoryError:
        return _failed(filename, fmt, ParseError("out_of_memory", file=filename, limit=limits.max_memory_mb))
    except RecursionError:
        return _failed(filename, fmt, ParseError("nested_too_deep", file=filename))
    except Exception as exc:  # a parser bug must not stop the desk; the file is quarantined
        log.exception("parser %s failed on %s", fmt, filename)
        return _failed(filename, fmt, ParseError("unreadable", file=filename, detail=type(exc).__name__))
    apply_renames(doc)
    if doc.language is None:
        doc.language = detect_language(doc.title + "\n" + doc.text)
    return doc


def _failed(filename: str, fmt: str, error: ParseError) -> ParsedDocument:
    doc = ParsedDocument(file=filename, format=fmt, kind="unknown")
    doc.fail(error.code, **error.params)
    return doc
