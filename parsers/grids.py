"""Tables of rows (a worksheet, a PDF or Word table) → header fields and line items.

The header row is found by its labels anywhere in the first rows, the fields above it are
read as label/value pairs, and every row below with enough values becomes a line; totals,
blank rows and signature rows are not lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from parsers import normalise
from parsers.forms import pairs_in_line, read_pairs  # the line splitter lives with the form engine
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
    cells = [
        cell for position, cell in enumerate(row) if position == 0 or cell != row[position - 1]
    ]
    pairs = []
    position = 0
    while position < len(cells):
        cell = cells[position]
        label = cell.strip() if isinstance(cell, str) else None
        is_label = bool(label) and table.field_for(label) is not None
        following = cells[position + 1] if position + 1 < len(cells) else None
        if (
            is_label
            and not normalise.is_empty(following)
            and not (isinstance(following, str) and table.field_for(following))
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
                raw_quantity = next(
                    (row[p] for p, c in columns.items() if c == "quantity" and p < len(row)), None
                )
                if unit := table.enum("unit", normalise.unit_of(raw_quantity)):
                    line["unit"] = unit
            doc.lines.append(line)
            doc.meta.setdefault("line_sources", []).append(f"{source} row {index}")
    return True


LINE_ROW_LABEL = re.compile(
    r"^(?:第\s*\d+\s*[行项条]|[行项]\s*\d+|明细\s*\d+|line\s*\d+|item\s*\d+|no\.?\s*\d+)$",
    re.IGNORECASE,
)
CODE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9\-_/.·]*$")  # holds a digit
NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
HAN = re.compile(r"^[\u4e00-\u9fff]+$")
CODE_COLUMNS = 3  # order, part and spec come before the quantity
STRAY = ".·•:：,，;；'\"`"  # marks a recogniser reads into the edges of a token


def line_tokens(text: str) -> list[str]:
    """The values of a run, split on spaces, colons and middle dots, stray marks trimmed from each."""
    cleaned = re.sub(
        r"(?<=\d),(?=\d{3}(?:\.\d+)?(?!\d))", "", normalise.clean_text(text)
    )  # 19,338.00
    cleaned = re.sub(
        r"(?<=[A-Za-z0-9])-\s+(?=[A-Za-z0-9])", "-", cleaned
    )  # `OB- 5Z18`: a code broken after its hyphen
    cleaned = re.sub(r"(?<=\d)[)）,，;；:]|[(（]", " ", cleaned)
    return [token.strip(STRAY) for token in re.split(r"[\s·•:：]+", cleaned) if token.strip(STRAY)]


def join_split_codes(codes: list[str]) -> list[str]:
    """More codes than code columns: a code the recogniser broke at its hyphen
    (`SO2609 0209`) is joined again — a run of digits after a code is its second half."""
    codes = list(codes)
    index = 1
    while len(codes) > CODE_COLUMNS and index < len(codes):
        if codes[index].isdigit() and codes[index - 1][-1:].isdigit():
            codes[index - 1 : index + 1] = [f"{codes[index - 1]}-{codes[index]}"]
        else:
            index += 1
    return codes


def price_and_amount(
    quantity: int, rest: list[str]
) -> tuple[float | None, float | None, list[str]]:
    """Unit price and amount from the values after the quantity, and what is left. The pair
    with quantity × price = amount wins; it may need a dropped decimal point put back (`88 0`)
    or the amount cut from a date it ran into (`1760.02026年11月09日`)."""
    prices = []
    if rest and NUMBER.match(rest[0]):
        prices.append((normalise.number(rest[0]), 1))
        if len(rest) > 1 and rest[1].isdigit() and "." not in rest[0]:
            prices.append((normalise.number(f"{rest[0]}.{rest[1]}"), 2))
    for price, used in prices:
        if price is None or len(rest) <= used:
            continue
        expected = round(
            quantity * float(price), 2
        )  # 6 × 129.9 is 779.4000000000001 in floating point
        for pieces in (1, 2):  # the amount may be broken in two (`8, ,592.00`)
            following = "".join(rest[used : used + pieces])
            after = rest[used + pieces :]
            for written in (f"{expected:.2f}", f"{expected:.1f}", f"{expected:.0f}"):
                if following == written:
                    return float(price), expected, after
                if following.startswith(written) and pieces == 1:
                    return float(price), expected, [following[len(written) :], *after]
            if (
                NUMBER.match(following)
                and abs(float(normalise.number(following)) - expected) < 0.01
            ):
                return float(price), expected, after
    numbers = []
    while rest and NUMBER.match(rest[0]) and len(numbers) < 2:
        numbers.append(float(normalise.number(rest.pop(0))))
    return (numbers[0] if numbers else None), (numbers[1] if len(numbers) > 1 else None), rest


def line_from_tokens(text: str) -> dict[str, Any] | None:
    """A return line written as one run of values in the usual column order — order, part,
    name, spec, quantity, unit, price, amount, ship date, batch, reason, action — as faxed
    sheets do (`第1行 | SO2609-0209 PB09721 通信模块板 PCB-6L-8415 37 片 88.0 3256.0 …`).
    Tokens are placed by their type around the quantity, the first whole number followed by a
    unit or by two more numbers. Price and amount are checked against each other (quantity ×
    price = amount), which also mends the decimal points and gaps a recogniser loses."""
    table = load_table()
    tokens = line_tokens(text)
    quantity_at = next(
        (
            i
            for i, token in enumerate(tokens)
            if token.isdigit() and i + 1 < len(tokens) and table.enum("unit", tokens[i + 1])
        ),
        None,
    )  # `37 片`: a unit says it best
    if quantity_at is None:
        quantity_at = next(
            (
                i
                for i, token in enumerate(tokens)
                if token.isdigit() and i + 1 < len(tokens) and NUMBER.match(tokens[i + 1])
            ),
            None,
        )
    if quantity_at is None or quantity_at < 2:
        return None
    line: dict[str, Any] = {}
    before = tokens[:quantity_at]
    codes = join_split_codes(
        [token for token in before if CODE.match(token) and not HAN.match(token)]
    )
    names = [token for token in before if HAN.match(token)]
    if codes:
        line["order_no"] = table.normalise_column("order_no", codes[0])
    if len(codes) > 1:
        line["part_no"] = table.normalise_column("part_no", codes[1])
    if names:
        line["product_name"] = "".join(names)
    if len(codes) > 2:
        line["spec"] = " ".join(codes[2:])
    line["quantity"] = int(tokens[quantity_at])
    rest = tokens[quantity_at + 1 :]
    if rest and (unit := table.enum("unit", rest[0])):
        line["unit"] = unit
        rest = rest[1:]
    price, amount, rest = price_and_amount(line["quantity"], rest)
    line["unit_price"], line["amount"] = price, amount
    for size in (1, 2, 3):  # a date the recogniser broke in two or three pieces
        if rest and (day := normalise.iso_date("".join(rest[:size]))):
            line["ship_date"], rest = day, rest[size:]
            break
    if rest and CODE.match(rest[0]):
        line["batch_no"] = table.normalise_column("batch_no", rest.pop(0))
    tail = "".join(rest)
    for column in ("reason", "action"):
        if value := table.normalise_column(column, tail):
            line[column] = value
    return {key: value for key, value in line.items() if value is not None}
