"""Tables of rows (a worksheet, a PDF or Word table) → header fields and line items.

The header row is found by its labels anywhere in the first rows, the fields above it are
read as label/value pairs, and every row below with enough values becomes a line; totals,
blank rows and signature rows are not lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from parsers import normalise
from parsers.labels import LabelTable, load_table
from parsers.language import to_simplified
from parsers.model import ParsedDocument

HEADER_SEARCH_ROWS = 30
MIN_HEADER_COLUMNS = 3
MIN_LINE_VALUES = 3
TOTAL_MARKS = ("合计", "总计", "小计", "共计", "total", "sum", "subtotal")

Row = Sequence[Any]


def find_header(rows: Sequence[Row], table: LabelTable) -> tuple[int, dict[int, str]] | None:
    """(row index, {column index: line field}) of the row naming the most known columns."""
    best: tuple[int, dict[int, str]] | None = None
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[int, str] = {}
        for position, cell in enumerate(row):
            if isinstance(cell, str) and (column := table.column_for(cell)):
                if column not in columns.values():
                    columns[position] = column
        if len(columns) >= MIN_HEADER_COLUMNS and (best is None or len(columns) > len(best[1])):
            best = (index, columns)
    return best


def row_pairs(row: Row, source: str, table: LabelTable) -> list[tuple[str, Any, str]]:
    """Label/value pairs across a row: `客户单位 | X | 经销商代码 | Y`, or `label：value` cells.
    Merged cells repeat their text in each cell they cover, so repeats count once."""
    from parsers.forms import pairs_in_line  # the line splitter lives with the form engine

    cells = [cell for position, cell in enumerate(row) if position == 0 or cell != row[position - 1]]
    pairs = []
    position = 0
    while position < len(cells):
        cell = cells[position]
        label = cell.strip() if isinstance(cell, str) else None
        is_label = bool(label) and table.field_for(label) is not None
        following = cells[position + 1] if position + 1 < len(cells) else None
        if is_label and not normalise.is_empty(following) and not (
            isinstance(following, str) and table.field_for(following)
        ):
            pairs.append((label, following, f"{source} col {position + 1}"))
            position += 2
            continue
        if isinstance(cell, str):
            pairs.extend((lab, value, source) for lab, value in pairs_in_line(cell))
        position += 1
    return pairs


def is_total_row(row: Row) -> bool:
    first = next((cell for cell in row if not normalise.is_empty(cell)), None)
    text = to_simplified(normalise.clean_text(first)).lower() if isinstance(first, str) else ""
    return any(text.startswith(mark) for mark in TOTAL_MARKS)


def read_grid(doc: ParsedDocument, rows: Sequence[Row], source: str) -> bool:
    """Header fields and lines of one table into `doc`; False when it has no line header
    (then its rows are read as label/value pairs only)."""
    table = load_table()
    header = find_header(rows, table)
    header_index = header[0] if header else len(rows)
    from parsers.forms import read_pairs

    for index, row in enumerate(rows[:header_index]):
        read_pairs(doc, row_pairs(row, f"{source} row {index + 1}", table))
    if header is None:
        return False
    columns = header[1]
    for index, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if is_total_row(row):
            continue
        line = {}
        for position, column in columns.items():
            raw = row[position] if position < len(row) else None
            value = table.normalise_column(column, raw)
            if value is not None:
                line[column] = value
        if len(line) >= MIN_LINE_VALUES:
            if "unit" not in line:  # `12桶` in the quantity column carries the unit
                raw_quantity = next((row[p] for p, c in columns.items() if c == "quantity" and p < len(row)), None)
                if unit := table.enum("unit", normalise.unit_of(raw_quantity)):
                    line["unit"] = unit
            doc.lines.append(line)
            doc.meta.setdefault("line_sources", []).append(f"{source} row {index}")
    return True
