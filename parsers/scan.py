"""Scanned documents — fax PDFs, TIFF faxes, photos of forms — read through OCR (parsers/ocr.py)
into the same label/field mapping as text documents. Each field keeps the recogniser's
confidence; fields below UNVERIFIED_BELOW are listed in `meta["unverified"]`, so that the
acknowledgement asks the sender to confirm them and the case shows them as unverified."""

from __future__ import annotations

import difflib
import io
import re

from parsers import normalise, ocr, shapes
from parsers.forms import known_label_at_end, read_label_lines, read_pairs, read_prose
from parsers.grids import (
    CODE,
    HAN,
    LINE_ROW_LABEL,
    MIN_HEADER_COLUMNS,
    NUMBER,
    find_header,
    is_total_row,
    line_from_tokens,
    line_tokens,
    read_grid,
    row_pairs,
)
from parsers.kinds import recognise_kind
from parsers.labels import label_key, load_table
from parsers.limits import ParseLimits
from parsers.model import ParsedDocument

UNVERIFIED_BELOW = 0.6
GUESSED = shapes.MENDED  # a misread label or choice taken for the one it most resembles: unverified
MIN_FORM_FIELDS = 2
ROW_NUMBER = re.compile(
    r"^\s*\d{1,3}[.、)]?\s+(?=\S)"
)  # `1 SO2611-0093 …`: a line's number before its values
MARKS_BEFORE = (
    " .·:：,，;；'\"“”‘’`、"  # specks and marks a recogniser reads before a value (`·. 迈腾`)
)
STRAY_COLON = re.compile(rf"(?<=[{ocr.CJK}])[:：](?=[{ocr.CJK}])")
LABEL_BEFORE_COLON = re.compile(r"([^\s:：|｜]{1,16})(\s*[:：])")
RUN_IN_LABEL = re.compile(
    r"[\u4e00-\u9fff]{4,}"
)  # a run of Chinese that may hold a value and then a label
TYPED_FIELDS = (
    "phone",
    "date",
    "datetime",
    "code",
    "number",
    "quantity",
    "money",
)  # what follows their label tells them
DATE_WITH_GAPS = re.compile(
    r"(?<![A-Za-z0-9])(20\d\d)\s*[-/.\s]\s*(0?[1-9]|1[0-2])\s*[-/.\s]\s*(0?[1-9]|[12]\d|3[01])(?![\d/.-])"
)
TITLE_ENDS = (
    "单",
    "表",
    "书",
    "函",
    "记录",
    "明细",
)  # a line ending so is a document's title, not `label value`


def parse_image(data: bytes, filename: str, limits: ParseLimits) -> ParsedDocument:
    pages = ocr.images_of(data, filename, limits.max_pages)
    doc = ParsedDocument(file=filename, format="image")
    if not any(ocr.looks_like_document(image) for image, _ in pages):
        doc.meta["photo"] = True  # a picture of the defect: kept as evidence, not read
        return doc
    read_pages(doc, ocr.recognise(pages))
    if doc.kind == "unknown" and len(doc.fields) < MIN_FORM_FIELDS:
        doc.meta["photo"] = True  # no form in it: a picture of the defect, kept as evidence
        doc.fail("picture_no_form", file=filename)
    return doc


def pdf_pages(data: bytes, numbers: list[int]) -> list[tuple[object, tuple[float, float]]]:
    """The given pages of a PDF as images, rendered at the resolution of the scan inside them."""
    import pdfplumber
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    pages = []
    with pdfplumber.open(io.BytesIO(data)) as plumbed:
        for number in numbers:
            page = plumbed.pages[number - 1]
            widths = [
                image["srcsize"][0] / max(1.0, float(image["x1"] - image["x0"])) * 72
                for image in page.images
            ]
            dpi = min(max(widths), 400.0) if widths else 200.0
            pages.append((document[number - 1].render(scale=dpi / 72).to_pil(), (dpi, dpi)))
    return pages


def read_pages(doc: ParsedDocument, pages: list[ocr.OcrPage]) -> None:
    """Fields from OCR pages: cells of ruled grids as rows, the rest as lines of text."""
    confidence_of: dict[str, float] = {}
    guessed: dict[
        str, str
    ] = {}  # row or line → what was read there, where a label or choice was guessed
    table = load_table()
    texts: list[str] = []
    line_guesses: list[
        str
    ] = []  # `lines[0].reason`: a line's word taken for the one it most resembles
    for page in pages:
        if page.fax and "fax" not in doc.meta:
            doc.meta["fax"] = page.fax
        for index, read_rows in enumerate(page.tables, start=1):
            rows = [
                mend_label(
                    [(label_above(text, table), confidence) for text, confidence in row], table
                )
                for row in read_rows
            ]
            grid, words_guessed = mend_line_words(
                mend_header([[text for text, _ in row] for row in rows], table), table
            )
            source = f"page {page.number} table {index}"
            first_line = len(doc.lines)
            for number, (row, read) in enumerate(zip(rows, read_rows, strict=True), start=1):
                if row != read:
                    guessed[f"{source} row {number}"] = " | ".join(text for text, _ in read)
            texts.extend(" ".join(row) for row in grid)
            if read_grid(doc, grid, source):
                line_guesses.extend(guessed_in_lines(doc, first_line, source, words_guessed))
                continue
            for number, row in enumerate(grid, start=1):
                if (
                    len(row) >= 2
                    and LINE_ROW_LABEL.match(row[0].strip())
                    and (line := line_from_tokens(" ".join(row[1:])))
                ):
                    doc.lines.append(line)
                    doc.meta.setdefault("line_sources", []).append(f"{source} row {number}")
            for number, row in enumerate(rows, start=1):
                row_source = f"{source} row {number}"
                for position, (_, confidence) in enumerate(row):
                    confidence_of[f"{row_source} col {position + 1}"] = confidence
                    confidence_of.setdefault(row_source, confidence)
                    confidence_of[row_source] = min(confidence_of[row_source], confidence)
                read_pairs(doc, row_pairs([text for text, _ in row], row_source, table))
        lines = []
        for number, (text, confidence) in enumerate(page.lines, start=1):
            mended = mend_line_labels(dates_joined(text), table)
            line, read = split_label(mended, table)
            read = read if read is not None or mended == text else text
            lines.append(line)
            confidence_of[f"page {page.number} line {number}"] = (
                confidence if read is None else min(confidence, GUESSED)
            )
            if read is not None:
                guessed[f"page {page.number} line {number}"] = read
        read_label_lines(doc, lines, f"page {page.number}")
        read_line_rows(doc, lines, f"page {page.number}", table)
        texts.extend(lines)
    doc.text = "\n".join(texts)
    read_prose(doc, doc.text, "ocr text")
    weigh(doc, confidence_of)
    if line_guesses:
        doc.meta["unverified"] = [*doc.meta.get("unverified", []), *line_guesses]
    for found in doc.fields.values():
        if found.confidence <= GUESSED and (
            read := guessed.get(found.source.rsplit(" col ", 1)[0])
        ):
            found.read = read
    shapes.check_document(doc)
    doc.title = next((line for page in pages for line, _ in page.lines if line), "")
    doc.kind = recognise_kind(doc.title, doc.text)
    if doc.lines and doc.kind in ("unknown", "complaint"):
        doc.kind = "return_sheet"
    doc.meta["ocr"] = {
        "pages": len(pages),
        "confidence": round(sum(p.confidence for p in pages) / max(1, len(pages)), 3),
        "rotated": [p.number for p in pages if p.rotated],
    }


def mend_header(grid: list[list[str]], table) -> list[list[str]]:  # noqa: ANN001
    """The header row of a table of lines with its misread labels (`1单编号`, `数址`) taken for the
    column labels they most resemble, and a label lost altogether (`Y` for 品名) taken from what
    its column holds (named_by_contents). Only a row that already names
    MIN_HEADER_COLUMNS - 1 columns is a header; a column is named once."""
    named = [sum(bool(table.column_for(cell)) for cell in row) for row in grid]
    if not grid or max(named) < MIN_HEADER_COLUMNS - 1:
        return grid
    at = named.index(max(named))
    header = list(grid[at])
    used = {table.column_for(cell) for cell in header} - {None}
    for position, cell in enumerate(header):
        key = label_key(cell)
        if table.column_for(cell) or len(key) < 2:
            continue
        for label in difflib.get_close_matches(key, list(table.columns), n=3, cutoff=0.5):
            if table.columns[label] not in used and len(label) == len(key):
                header[position] = label
                used.add(table.columns[label])
                break
    return [*grid[:at], named_by_contents(header, grid[at + 1 :], used, table), *grid[at + 1 :]]


def named_by_contents(
    header: list[str], below: list[list[str]], used: set[str], table
) -> list[str]:  # noqa: ANN001
    """A header whose labels were lost or misread past knowing (`Y` for 品名, `切期` for 交运日期,
    an empty cell for 数量) with each such column named by what it holds, as a clerk would: the
    first of COLUMN_CONTENTS whose test most of its values pass (two and a quarter for
    dates, which nothing else in a line reads as), each line column once."""
    header = list(header)
    by_column = {
        table.column_for(cell): position
        for position, cell in enumerate(header)
        if table.column_for(cell)
    }
    for position in range(1, len(header)):  # the first column numbers the rows
        if table.column_for(header[position]):
            continue
        values = [
            row[position].strip() for row in below if position < len(row) and row[position].strip()
        ]
        if len(values) < 2:
            continue
        for column, holds in COLUMN_CONTENTS:
            if column not in used and holds(
                values, [row for row in below if position < len(row)], position, by_column, table
            ):
                header[position] = next(
                    label for label, name in table.columns.items() if name == column
                )
                used.add(column)
                by_column[column] = position
                break
    return header


def most(values: list[str], test) -> bool:  # noqa: ANN001
    return sum(bool(test(value)) for value in values) * 2 > len(values)


def multiplies_out(
    values: list[str], rows: list[list[str]], position: int, by_column: dict, table
) -> bool:  # noqa: ANN001
    """Whole numbers that, times the unit price, give the amount on most rows: the quantities."""
    if not {"unit_price", "amount"} <= by_column.keys() or not most(values, str.isdigit):
        return False
    checked = []
    for row in rows:
        cells = [
            row[at] if at < len(row) else ""
            for at in (position, by_column["unit_price"], by_column["amount"])
        ]
        count, price, amount = (
            table.normalise_column(name, cell)
            for name, cell in zip(("quantity", "unit_price", "amount"), cells, strict=True)
        )
        if (
            isinstance(count, (int, float))
            and isinstance(price, (int, float))
            and isinstance(amount, (int, float))
        ):
            checked.append(abs(count * price - amount) <= shapes.CENT)
    return len(checked) >= 2 and sum(checked) * 2 > len(checked)


def shaped(column: str):  # noqa: ANN201
    """The test of a column of codes: most of its values fit the column's template as read."""

    def holds(values: list[str], *_) -> bool:  # noqa: ANN002
        return most(
            values,
            lambda value: (
                (found := shapes.read_code(column, value)) is not None
                and found.fits
                and not found.mended
            ),
        )

    return holds


def worded(column: str):  # noqa: ANN201
    """The test of a column of words from a vocabulary (units, reasons, actions)."""

    def holds(values: list[str], rows, position, by_column, table) -> bool:  # noqa: ANN001, ANN002
        return most(values, lambda value: table.normalise_column(column, value) is not None)

    return holds


COLUMN_CONTENTS = (  # the order they are tried in: the surest tests first
    (
        "ship_date",
        lambda values, *_: (
            (dates := sum(bool(normalise.iso_date(value)) for value in values)) >= 2
            and dates * 4 >= len(values)
        ),
    ),
    ("order_no", shaped("order_no")),
    ("batch_no", shaped("batch_no")),
    ("part_no", shaped("part_no")),
    ("quantity", multiplies_out),
    ("unit", worded("unit")),
    ("reason", worded("reason")),
    ("action", worded("action")),
    ("product_name", lambda values, *_: most(values, lambda value: HAN.match(value))),
)


LINE_WORDS = ("reason", "action")  # a line's columns whose values are words of a vocabulary
GAP_INSIDE = re.compile(r"[A-Za-z0-9]\s+[A-Za-z0-9]")


def mend_line_words(
    grid: list[list[str]], table
) -> tuple[list[list[str]], dict[int, dict[str, str]]]:  # noqa: ANN001
    """The misread words of a table's lines (`质最间题`, `个适销`) in the columns of LINE_WORDS,
    taken for the words they most resemble, and codes read with a gap inside (`551 0510`) read
    to their shape while the gap still shows: the grid so mended, and for each row mended, the
    columns guessed with what was read there."""
    header = find_header(grid, table)
    if header is None:
        return grid, {}
    at, columns = header
    guessed: dict[int, dict[str, str]] = {}
    mended = [list(row) for row in grid]
    for number, row in enumerate(mended[at + 1 :], start=at + 1):
        for position, column in columns.items():
            read = row[position] if position < len(row) else ""
            if (
                column in shapes.LINE_CODES
                and GAP_INSIDE.search(read)
                and (code := shapes.read_code(column, read)).fits
            ):
                row[position] = (
                    code.value
                )  # a gap inside a code, which the code's type would drop, says where a mark was
                guessed.setdefault(number, {})[column] = read
            elif (
                column in LINE_WORDS
                and read.strip()
                and table.normalise_column(column, read) is None
            ):
                word = shapes.mend_choice(read)
                if table.normalise_column(column, word) is None:
                    word = table.closest_value(column, read, cutoff=0.5)
                if word:
                    row[position] = word
                    guessed.setdefault(number, {})[column] = read
    return mended, guessed


def guessed_in_lines(
    doc: ParsedDocument, first: int, source: str, guessed: dict[int, dict[str, str]]
) -> list[str]:
    """The names (`lines[2].reason`) of the guessed words among the lines read from one table
    since line `first`, each with its reading kept."""
    names = []
    sources = doc.meta.get("line_sources", [])
    for index in range(first, len(doc.lines)):
        row = (
            int(sources[index].rsplit(" row ", 1)[1]) - 1
            if sources[index].startswith(source + " row ")
            else -1
        )
        for column, read in guessed.get(row, {}).items():
            if column in doc.lines[index]:
                doc.meta.setdefault("line_readings", {})[f"lines[{index}].{column}"] = read
                names.append(f"lines[{index}].{column}")
    return names


def read_line_rows(doc: ParsedDocument, lines: list[str], source: str, table) -> None:  # noqa: ANN001
    """Return lines recognised as lines of text, as on a sheet ruled only across (no cells):
    after a line naming at least MIN_HEADER_COLUMNS line columns, each line up to the total
    is a return line written as a run of values, its leading row number dropped."""
    header_at = next(
        (
            number
            for number, line in enumerate(lines)
            if len(columns_named(line, table)) >= MIN_HEADER_COLUMNS
        ),
        None,
    )
    if header_at is None:
        return
    for number, line in enumerate(lines[header_at + 1 :], start=header_at + 2):
        if is_total_row([line]):
            break
        values = ROW_NUMBER.sub("", line)
        if found := line_from_tokens(values) or partial_line(values):
            doc.lines.append(found)
            doc.meta.setdefault("line_sources", []).append(f"{source} line {number}")


def columns_named(line: str, table) -> set[str]:  # noqa: ANN001
    """The line columns a header line names, its labels run together or not (`序号订单号产品编号…`)."""
    key = label_key(line)
    return {column for label, column in table.columns.items() if len(label) >= 2 and label in key}


def partial_line(values: str) -> dict | None:
    """What can be told of a return line whose quantity was not read: its codes and name, in
    the usual order. Its figures are left out, and asked back (shapes.check_sums)."""
    tokens = line_tokens(values)
    codes = [token for token in tokens if CODE.match(token) and not NUMBER.match(token)]
    if len(codes) < 2 or not tokens or tokens[0] != codes[0]:
        return None
    line = {"order_no": codes[0], "part_no": codes[1]}
    if names := [token for token in tokens if HAN.match(token)]:
        line["product_name"] = names[0]
    return line


def dates_joined(text: str) -> str:
    """`2026 09 -08` → `2026-09-08`: a date whose separators the recogniser read as gaps."""
    return DATE_WITH_GAPS.sub(lambda match: "-".join(match.groups()), text)


def label_above(cell: str, table) -> str:  # noqa: ANN001
    """`顾客姓名⏎孙海燕` → `顾客姓名：孙海燕`: a cell whose first line is a label printed above
    its value; any other cell on one line (a value that wrapped joined again)."""
    label, newline, value = cell.partition("\n")
    if (
        newline
        and value.strip()
        and table.field_for(label)
        and not table.field_for(value.split("\n")[0])
    ):
        return f"{label}：{dates_joined(ocr.tidy(value)).rstrip(':：')}"
    return dates_joined(ocr.tidy(cell)).rstrip(
        ":："
    )  # a full stop or speck read as a colon after a value


def mend_line_labels(line: str, table) -> str:  # noqa: ANN001
    """A line of text with its misread labels (`终销商名称：`, `客编：`) taken for the known labels
    they most resemble, and a label of a typed field run into the value before it without its
    colon (`联系人赵平联系电话159-5577-3349`) given one, where what follows reads as that field."""

    def label(match: re.Match) -> str:
        candidate = match[1]
        if len(candidate) < 2 or table.field_for(candidate) or not HAN.match(candidate[:2]):
            return match[0]
        return f"{table.closest_label(candidate) or candidate}{match[2]}"

    line = LABEL_BEFORE_COLON.sub(label, line)
    for found in RUN_IN_LABEL.finditer(line):
        run = found[0]
        for start in range(1, len(run) - 1):
            end = next(
                (end for end in range(len(run), start + 1, -1) if table.field_for(run[start:end])),
                0,
            )
            longest = (
                known_label_at_end(run[:end], table) if end else None
            )  # `日期` inside `购买日期` is no label of its own
            if (
                end
                and len(longest or "") <= end - start
                and not known_label_at_end(run[:start], table)
                and table.types.get(field := table.field_for(run[start:end])) in TYPED_FIELDS
            ):
                at = found.start() + end
                rest = line[at:].strip()
                if (
                    rest[:1] not in ":："
                    and table.normalise(field, rest.split(" ", 1)[0]) is not None
                ):
                    before, _ = split_label(line[: found.start() + start], table)
                    return f"{before} {line[found.start() + start : at]}：{line[at:]}"
    return line


def split_label(line: str, table) -> tuple[str, str | None]:  # noqa: ANN001
    """`投诉人许刚` → `投诉人：许刚`: a recognised line that starts with a known label but lost the
    ruling (or the colon) between label and value; a misread choice mended as in a cell. With
    the value as read when it was mended, else None."""
    label, colon, value = line.partition("：") if "：" in line else line.partition(":")
    if not colon:
        if line.strip().endswith(TITLE_ENDS):
            return line, None
        length = next(
            (n for n in range(min(8, len(line) - 1), 1, -1) if table.field_for(line[:n])), 0
        )
        if not length:
            return line, None
        label, value = line[:length], line[length:]
    if colon and not table.field_for(label):
        return line, None
    read = None
    if (field := table.field_for(label)) and (word := guess_value(field, value, table)):
        value, read = word, value
    elif (whole := without_stray_colons(value, table)) != value:
        value, read = whole, value
    return f"{label}：{value.strip().lstrip(MARKS_BEFORE)}", read


def without_stray_colons(value: str, table) -> str:  # noqa: ANN001
    """A value without the colons a recogniser read inside it (`大:连华信商贸`, a speck between two
    characters): a colon between two Chinese characters that no known label ends before is none."""

    def keep(match: re.Match) -> str:
        before = re.split(r"[\s:：]", value[: match.start()])[-1]
        return match[0] if known_label_at_end(before, table) else ""

    return STRAY_COLON.sub(keep, value)


def guess_value(field: str, value: str, table) -> str | None:  # noqa: ANN001
    """What a misread choice must have been: its confused characters put right (`丰常满意` →
    `非常满意`) when that changes what it means, else the word it most resembles (`书面道鞭` →
    `书面道歉`); None when it reads as it is."""
    if not table.vocabulary_of(field):
        return None
    mended = shapes.mend_choice(value)
    if mended != value and table.normalise(field, mended) != table.normalise(field, value):
        return mended
    return table.closest_value(field, value)


def mend_label(row: list[tuple[str, float]], table) -> list[tuple[str, float]]:  # noqa: ANN001
    """A label cell the recogniser misread is taken for the known label it most resembles, and
    a misread choice (`书面道鞭`) for the word it most resembles — each guess with its confidence
    lowered, so that it is shown as one."""
    row = [label_in_cell(text, confidence, table) for text, confidence in row]
    if len(row) < 2 or not row[0][0] or LINE_ROW_LABEL.match(row[0][0].strip()):
        return row
    if not table.field_for(row[0][0]) and (label := table.closest_label(row[0][0])):
        row = [(label, min(row[0][1], GUESSED)), *row[1:]]
    if (field := table.field_for(row[0][0])) and (word := guess_value(field, row[1][0], table)):
        row = [row[0], (word, min(row[1][1], GUESSED)), *row[2:]]
    return row


def label_in_cell(text: str, confidence: float, table) -> tuple[str, float]:  # noqa: ANN001
    """`购车日日期 2026-09-08` → `购车日期：2026-09-08`: a cell holding a (misread) label and its
    value apart by a gap, the rule between them lost, as a guess."""
    head, gap, value = text.partition(" ")
    if (
        not gap
        or not value.strip()
        or "：" in text
        or ":" in text
        or table.field_for(head)
        or not HAN.match(head)
    ):
        return text, confidence
    if (label := table.closest_label(head)) and not table.field_for(value.split(" ")[0]):
        return f"{label}：{value.strip()}", min(confidence, GUESSED)
    return text, confidence


def weigh(doc: ParsedDocument, confidence_of: dict[str, float]) -> None:
    """Each field's confidence becomes the recogniser's for the cell or line it came from (the
    label's cell counts too: a misread label is a guess)."""
    unverified = []
    for name, found in doc.fields.items():
        row = found.source.rsplit(" col ", 1)[0]
        cell = confidence_of.get(found.source, confidence_of.get(row))
        if cell is not None:
            found.confidence = round(min(found.confidence, cell, confidence_of.get(row, cell)), 3)
        else:
            found.confidence = round(min(found.confidence, 0.7), 3)
        if found.confidence < UNVERIFIED_BELOW:
            unverified.append(name)
    if unverified:
        doc.meta["unverified"] = unverified
