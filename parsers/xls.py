"""Old Excel .xls workbooks through xlrd, read like .xlsx (dates from their serials)."""

from __future__ import annotations

import xlrd

from parsers.limits import ParseLimits
from parsers.model import ParsedDocument, ParseError
from parsers.xlsx import read_sheets


def parse(data: bytes, filename: str, limits: ParseLimits) -> ParsedDocument:
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, struct.error, …
        raise ParseError("broken_xls", file=filename, detail=exc) from None
    sheets = []
    for sheet in book.sheets():
        rows = []
        for index in range(min(sheet.nrows, limits.max_rows)):
            rows.append([_value(cell, book.datemode) for cell in sheet.row(index)])
        sheets.append((sheet.name, rows))
    return read_sheets(filename, "xls", sheets)


def _value(cell: xlrd.sheet.Cell, datemode: int):  # noqa: ANN202
    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    return cell.value
