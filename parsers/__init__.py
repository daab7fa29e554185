"""Bytes in, labelled fields out. The registry below maps each format to its parser, so the
pipeline picks a parser by what a file is, never by an if-chain on its name. A parser's module
is imported the first time a file of its format comes (the xlsx, PDF and scan parsers bring
openpyxl, pdfplumber, OpenCV and the OCR stack: seconds that a plain mail must not pay)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import cache

from parsers.kinds import apply_renames
from parsers.language import detect_language
from parsers.limits import ParseLimits, check_size, time_limit
from parsers.model import FieldValue, ParsedDocument, ParseError
from parsers.sniff import sniff
from vocabulary import Kind

__all__ = ["FieldValue", "ParseError", "ParseLimits", "ParsedDocument", "parse_document", "sniff"]

log = logging.getLogger(__name__)

Parser = Callable[[bytes, str, ParseLimits], ParsedDocument]

# format → "module:function", imported on first use
PARSERS: dict[str, str] = {
    "eml": "parsers.mail:parse",
    "docx": "parsers.docx:parse",
    "doc": "parsers.doc:parse",
    "xlsx": "parsers.xlsx:parse",
    "xls": "parsers.xls:parse",
    "pdf": "parsers.pdf:parse",
    "text": "parsers.text:parse",
    "image": "parsers.scan:parse_image",
}

def parse_document(data: bytes, filename: str, limits: ParseLimits | None = None) -> ParsedDocument:
    """Parse one file. Never raises for bad input: a document that cannot be read comes back
    with kind `unknown` and the reason in `errors`."""
    limits = limits or ParseLimits()
    fmt = sniff(data, filename)
    if fmt is None:
        return _failed(filename, Kind.UNKNOWN, ParseError("unknown_type", file=filename))
    try:
        if fmt != "eml":  # a mail has the message limit (mail.parse), each of its attachments the file limit
            check_size(data, filename, limits)
        parse = parser_for(fmt)  # before the clock starts: the first file of a format pays its import
        with time_limit(limits.max_seconds, filename):
            doc = parse(data, filename, limits)
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


@cache
def parser_for(fmt: str) -> Parser:
    """The parse function of a format, its module imported the first time."""
    module, function = PARSERS[fmt].split(":")
    return getattr(importlib.import_module(module), function)


def _failed(filename: str, fmt: str, error: ParseError) -> ParsedDocument:
    doc = ParsedDocument(file=filename, format=fmt, kind=Kind.UNKNOWN)
    doc.fail(error.code, **error.params)
    return doc
