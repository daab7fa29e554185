"""Bytes in, labelled fields out. The registry below (`FORMATS`) is every format the desk reads:
its parser, and what it reads — magic bytes, or a score of its own (parsers/sniff.py) — so the
pipeline picks a parser by what a file is, never by an if-chain on its name. A new format is
its parser's module and one line here. A parser's module is imported the first time a file of
its format comes (the xlsx, PDF and scan parsers bring openpyxl, pdfplumber, OpenCV and the
OCR stack: seconds that a plain mail must not pay)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import cache

from parsers.kinds import apply_renames
from parsers.language import detect_language
from parsers.limits import ParseLimits, check_size, time_limit
from parsers.model import FieldValue, ParsedDocument, ParseError
from parsers.sniff import Format, best_format, office_zip, ole
from parsers.sniff import mail as mail_headers
from parsers.sniff import pdf as pdf_header
from parsers.sniff import text as readable_text
from vocabulary import Kind

__all__ = [
    "FORMATS",
    "FieldValue",
    "Format",
    "ParseError",
    "ParseLimits",
    "ParsedDocument",
    "parse_document",
    "sniff",
]

log = logging.getLogger(__name__)

Parser = Callable[[bytes, str, ParseLimits], ParsedDocument]

# every format the desk reads; the highest score takes a file, the order breaks ties
FORMATS: tuple[Format, ...] = (
    Format("pdf", "parsers.pdf:parse", score=pdf_header, suffixes=("pdf",), asked_as="PDF"),
    Format(
        "docx",
        "parsers.docx:parse",
        score=office_zip("word/document.xml", ("docx", "doc")),
        suffixes=("docx",),
        asked_as=".docx",
    ),
    Format(
        "xlsx",
        "parsers.xlsx:parse",
        score=office_zip("xl/workbook.xml", ("xlsx",)),
        suffixes=("xlsx",),
        asked_as=".xlsx",
    ),
    Format(
        "doc",
        "parsers.doc:parse",
        score=ole(("WordDocument",), lambda suffix: suffix != "xls"),
        suffixes=("doc",),
    ),
    Format(
        "xls",
        "parsers.xls:parse",
        score=ole(("Workbook", "Book\0"), lambda suffix: suffix == "xls"),
        suffixes=("xls",),
        asked_as=".xls",
    ),
    Format(
        "image",
        "parsers.scan:parse_image",
        magic=(b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF8", b"BM"),
    ),
    Format("eml", "parsers.mail:parse", score=mail_headers),
    Format("text", "parsers.text:parse", score=readable_text),
)
BY_NAME = {found.name: found for found in FORMATS}


def sniff(data: bytes, filename: str) -> str | None:
    """The name of the format a file is (`pdf`, `eml`, …); None for what no parser reads."""
    found = best_format(FORMATS, data, filename)
    return found.name if found else None


def unknown_type(filename: str) -> ParseError:
    """The refusal of a file no format reads, naming the types we ask for (the registry's)."""
    return ParseError(
        "unknown_type", file=filename, formats=", ".join(f.asked_as for f in FORMATS if f.asked_as)
    )


def parse_document(data: bytes, filename: str, limits: ParseLimits | None = None) -> ParsedDocument:
    """Parse one file. Never raises for bad input: a document that cannot be read comes back
    with kind `unknown` and the reason in `errors`."""
    limits = limits or ParseLimits()
    fmt = sniff(data, filename)
    if fmt is None:
        return _failed(filename, Kind.UNKNOWN, unknown_type(filename))
    try:
        if (
            fmt != "eml"
        ):  # a mail has the message limit (mail.parse), each of its attachments the file limit
            check_size(data, filename, limits)
        parse = parser_for(
            fmt
        )  # before the clock starts: the first file of a format pays its import
        with time_limit(limits.max_seconds, filename):
            doc = parse(data, filename, limits)
    except ParseError as exc:
        return _failed(filename, fmt, exc)
    except MemoryError:
        return _failed(
            filename, fmt, ParseError("out_of_memory", file=filename, limit=limits.max_memory_mb)
        )
    except RecursionError:
        return _failed(filename, fmt, ParseError("nested_too_deep", file=filename))
    except Exception as exc:  # a parser bug must not stop the desk; the file is quarantined
        log.exception("parser %s failed on %s", fmt, filename)
        return _failed(
            filename, fmt, ParseError("unreadable", file=filename, detail=type(exc).__name__)
        )
    apply_renames(doc)
    if doc.language is None:
        doc.language = detect_language(doc.title + "\n" + doc.text)
    return doc


@cache
def parser_for(fmt: str) -> Parser:
    """The parse function of a format, its module imported the first time."""
    module, function = BY_NAME[fmt].parser.split(":")
    return getattr(importlib.import_module(module), function)


def _failed(filename: str, fmt: str, error: ParseError) -> ParsedDocument:
    doc = ParsedDocument(file=filename, format=fmt, kind=Kind.UNKNOWN)
    doc.fail(error.code, **error.params)
    return doc
