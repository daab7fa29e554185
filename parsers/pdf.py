"""PDFs with a text layer (pdfplumber): lines of label/value text and ruled tables.
A page without usable text is left for OCR (its own issue) and said in the warnings."""

from __future__ import annotations

import io

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect

from parsers.forms import read_label_lines
from parsers.grids import read_grid
from parsers.kinds import recognise_kind
from parsers.limits import ParseLimits
from parsers.model import ParsedDocument, ParseError

MIN_TEXT_CHARS = 20


def parse(data: bytes, filename: str, limits: ParseLimits) -> ParsedDocument:
    doc = ParsedDocument(file=filename, format="pdf")
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PDFPasswordIncorrect:
        raise ParseError(f"{filename} is password-protected: please send it without a password") from None
    except Exception as exc:  # pdfminer raises many types for broken files
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise ParseError(f"{filename} is encrypted: please send it without a password") from None
        raise ParseError(f"{filename} is damaged and could not be read ({type(exc).__name__}): please send it again") from None
    with pdf:
        if len(pdf.pages) > limits.max_pages:
            raise ParseError(f"{filename} has {len(pdf.pages)} pages, over the limit of {limits.max_pages}: please send the form pages only")
        texts, scanned = [], []
        try:
            for number, page in enumerate(pdf.pages, start=1):
                text = page.extract_text() or ""
                if len(text.strip()) < MIN_TEXT_CHARS:
                    scanned.append(number)
                    continue
                texts.append(text)
                lines = text.splitlines()
                tables = page.extract_tables()
                for index, table in enumerate(tables, start=1):
                    read_grid(doc, table, f"page {number} table {index}")
                read_label_lines(doc, lines, f"page {number}")
        except PDFPasswordIncorrect:
            raise ParseError(f"{filename} is password-protected: please send it without a password") from None
    doc.text = "\n".join(texts)
    if scanned and not texts:
        doc.meta["needs_ocr"] = scanned
        raise ParseError(
            f"{filename} is a scanned image without a text layer; reading scans (OCR) is not "
            "available yet: please send the form as .docx, .xlsx or a PDF with text"
        )
    if scanned:
        doc.warnings.append(f"pages {scanned} of {filename} are scanned images and were not read")
    doc.title = next((line for line in doc.text.splitlines() if line.strip()), "")
    doc.kind = recognise_kind(doc.title, doc.text)
    if doc.lines and doc.kind in ("unknown", "complaint"):
        doc.kind = "return_sheet"
    return doc

