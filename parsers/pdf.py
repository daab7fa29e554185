"""PDFs (pdfplumber): pages with a usable text layer are read as lines of label/value text and
ruled tables; pages without one (no text, too little, or unmapped glyphs) go through OCR."""

from __future__ import annotations

import io
import re

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect

from parsers.forms import read_label_lines
from parsers.grids import read_grid
from parsers.kinds import recognise_kind
from parsers.limits import ParseLimits
from parsers.model import ParsedDocument, ParseError

MIN_TEXT_CHARS = 20
GARBAGE = re.compile(r"[\ufffd\ue000-\uf8ff]|\(cid:\d+\)")


def usable(text: str) -> bool:
    """A text layer worth reading: enough characters, and not mostly unmapped glyphs."""
    stripped = text.strip()
    return len(stripped) >= MIN_TEXT_CHARS and len(GARBAGE.findall(stripped)) < len(stripped) / 10


def parse(data: bytes, filename: str, limits: ParseLimits) -> ParsedDocument:
    doc = ParsedDocument(file=filename, format="pdf")
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PDFPasswordIncorrect:
        raise ParseError("password_protected", file=filename) from None
    except Exception as exc:  # pdfminer raises many types for broken files
        inner = (
            " ".join(type(arg).__name__ for arg in exc.args) + " " + type(exc.__context__).__name__
        )
        if any(word in (str(exc) + inner).lower() for word in ("encrypt", "password")):
            raise ParseError("encrypted_pdf", file=filename) from None
        raise ParseError("damaged_pdf", file=filename, detail=type(exc).__name__) from None
    with pdf:
        if len(pdf.pages) > limits.max_pages:
            raise ParseError(
                "too_many_pages", file=filename, pages=len(pdf.pages), limit=limits.max_pages
            )
        texts, scanned = [], []
        try:
            for number, page in enumerate(pdf.pages, start=1):
                text = page.extract_text() or ""
                if not usable(text):
                    scanned.append(number)
                    continue
                texts.append(text)
                lines = text.splitlines()
                tables = page.extract_tables()
                for index, table in enumerate(tables, start=1):
                    read_grid(doc, table, f"page {number} table {index}")
                read_label_lines(doc, lines, f"page {number}")
        except PDFPasswordIncorrect:
            raise ParseError("password_protected", file=filename) from None
    doc.text = "\n".join(texts)
    if scanned and not texts:  # a fax or scan: every page through OCR
        scanned_doc = ParsedDocument(file=filename, format="pdf")
        read_scanned_pages(scanned_doc, data, scanned)
        if scanned_doc.kind == "unknown":
            scanned_doc.fail("scan_no_form", file=filename)
        return scanned_doc
    if scanned:  # text pages read above; the scanned ones through OCR, added to them
        extra = ParsedDocument(file=filename, format="pdf")
        read_scanned_pages(extra, data, scanned)
        for name, found in extra.fields.items():
            doc.fields.setdefault(name, found)
        doc.lines.extend(extra.lines)
        doc.text += "\n" + extra.text
        doc.meta.update(
            {key: value for key, value in extra.meta.items() if key in ("ocr", "fax", "unverified")}
        )
    doc.title = next((line for line in doc.text.splitlines() if line.strip()), "")
    doc.kind = recognise_kind(doc.title, doc.text)
    if doc.lines and doc.kind in ("unknown", "complaint"):
        doc.kind = "return_sheet"
    return doc


def read_scanned_pages(doc: ParsedDocument, data: bytes, numbers: list[int]) -> None:
    """Pages without a text layer read through OCR. Imported here, not at the top: the OCR
    stack (OpenCV, numpy, the engines) takes seconds to load, and most PDFs have text."""
    from parsers import ocr
    from parsers.scan import pdf_pages, read_pages

    read_pages(doc, ocr.recognise(pdf_pages(data, numbers)))
