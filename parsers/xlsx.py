"""Excel .xlsx sheets (openpyxl, read-only): the sheet with a line header wins; merged cells
and the header fields above the table are read like any other grid."""

from __future__ import annotations

import io

import openpyxl

from parsers.grids import read_grid
from parsers.kinds import recognise_kind
from parsers.limits import ParseLimits, open_zip
from parsers.model import ParsedDocument, ParseError


def parse(data: bytes, filename: str, limits: ParseLimits) -> ParsedDocument:
    open_zip(data, filename, limits)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise ParseError("broken_xlsx", file=filename, detail=type(exc).__name__) from None
    sheets = []
    for sheet in workbook.worksheets:
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) >= limits.max_rows:
                break
        sheets.append((sheet.title, rows))
    workbook.close()
    return read_sheets(filename, "xlsx", sheets)


def read_sheets(filename: str, fmt: str, sheets: list[tuple[str, list[list]]]) -> ParsedDocument:
    """The document of a workbook's sheets: lines from every sheet with a line header."""
    doc = ParsedDocument(file=filename, format=fmt)
    texts = []
    for title, rows in sheets:
        texts.append("\n".join(" ".join(str(c) for c in row if c is not None) for row in rows))
        read_grid(doc, rows, f"sheet {title}")
    doc.text = "\n".join(texts)
    first_cells = [str(c) for _, rows in sheets for row in rows[:3] for c in row if c]
    doc.title = " ".join(first_cells[:3])
    doc.kind = recognise_kind(doc.title + " " + " ".join(title for title, _ in sheets), doc.text)
    if doc.lines and doc.kind in ("unknown", "complaint"):
        doc.kind = "return_sheet"
    return doc
