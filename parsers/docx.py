"""Word .docx forms: paragraphs, tables (2- and 4-column label/value, merged and nested),
text boxes and content controls, all reduced to pairs and lines for the form engine."""

from __future__ import annotations

import io

from docx import Document as open_docx
from docx.oxml.ns import qn

from parsers.forms import read_label_lines, read_pairs
from parsers.grids import read_grid, row_pairs
from parsers.kinds import recognise_kind
from parsers.labels import load_table
from parsers.limits import ParseLimits, open_zip
from parsers.model import ParsedDocument, ParseError

W_P, W_T, W_TBL, W_TR, W_TC = qn("w:p"), qn("w:t"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
W_SYM, W_CHECKBOX, W_TAB = qn("w:sym"), qn("w:checkBox"), qn("w:tab")
# Symbol-font check boxes (Wingdings / Wingdings 2 code points) as the marks forms.py reads.
SYMBOL_MARKS = {
    "F0FE": "☑",
    "F0FD": "☑",
    "F078": "☒",
    "F0FC": "✔",
    "F050": "✔",
    "F0A8": "□",
    "F06F": "□",
    "F0A3": "□",
    "F030": "□",
}


def parse(data: bytes, filename: str, limits: ParseLimits) -> ParsedDocument:
    archive = open_zip(data, filename, limits)
    if "word/document.xml" not in archive.namelist():
        raise ParseError("not_word", file=filename)
    try:
        document = open_docx(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken parts
        raise ParseError("broken_word", file=filename, detail=exc) from None
    doc = ParsedDocument(file=filename, format="docx")
    paragraphs: list[str] = []
    tables: list[list[list[str]]] = []
    _walk(document.element.body, paragraphs, tables, limits)
    doc.title = next((text for text in paragraphs if text.strip()), "")
    table_text = "\n".join(" ".join(cell for cell in row) for table in tables for row in table)
    doc.text = "\n".join(paragraphs) + "\n" + table_text
    label_table = load_table()
    for number, rows in enumerate(tables, start=1):
        if not read_grid(doc, rows, f"table {number}"):
            for index, row in enumerate(rows, start=1):
                read_pairs(doc, row_pairs(row, f"table {number} row {index}", label_table))
    read_label_lines(doc, paragraphs, "paragraphs")
    doc.kind = recognise_kind(doc.title, doc.text)
    return doc


def _text_of(element) -> str:  # noqa: ANN001
    """All text below an element: runs, content controls and legacy form fields alike, with
    symbol-font boxes and legacy check-box fields turned into ☑ / □."""
    parts = []
    for node in element.iter(W_T, W_SYM, W_CHECKBOX, W_TAB):
        if node.tag == W_T:
            parts.append(node.text or "")
        elif node.tag == W_TAB:
            parts.append(" ")
        elif node.tag == W_SYM:
            parts.append(SYMBOL_MARKS.get((node.get(qn("w:char")) or "").upper(), ""))
        else:
            parts.append("☑" if _legacy_box_ticked(node) else "□")
    return "".join(parts)


def _legacy_box_ticked(box) -> bool:  # noqa: ANN001
    """A legacy form check box: its w:checked state, or failing that its w:default."""
    for name in ("w:checked", "w:default"):
        found = box.find(qn(name))
        if found is not None:
            return found.get(qn("w:val"), "1") not in ("0", "false", "off")
    return False


def _walk(element, paragraphs: list[str], tables: list, limits: ParseLimits) -> None:  # noqa: ANN001
    """Paragraphs in document order (text boxes included), and every table, nested ones too."""
    for child in element.iterchildren():
        if child.tag == W_P:
            paragraphs.append(_text_of(child))
        elif child.tag == W_TBL:
            rows = []
            for row in child.iter(W_TR):
                if row.getparent() is not None and _owning_table(row) is child:
                    rows.append([_cell_text(cell) for cell in row.iterchildren(W_TC)])
                if len(rows) > limits.max_rows:
                    break
            tables.append(rows)
            for nested in child.iter(W_TBL):
                if nested is not child:
                    _walk_table(nested, tables, limits)
        else:
            _walk(child, paragraphs, tables, limits)


def _walk_table(table, tables: list, limits: ParseLimits) -> None:  # noqa: ANN001
    rows = [
        [_cell_text(cell) for cell in row.iterchildren(W_TC)]
        for row in table.iter(W_TR)
        if _owning_table(row) is table
    ]
    tables.append(rows[: limits.max_rows])


def _owning_table(row):  # noqa: ANN001
    parent = row.getparent()
    while parent is not None and parent.tag != W_TBL:
        parent = parent.getparent()
    return parent


def _cell_text(cell) -> str:  # noqa: ANN001
    """A cell's own paragraphs (not those of a table nested in it), one per line."""
    texts = []
    for paragraph in cell.iter(W_P):
        owner = paragraph.getparent()
        while owner is not None and owner.tag != W_TC:
            owner = owner.getparent()
        if owner is cell:
            texts.append(_text_of(paragraph))
    return "\n".join(text for text in texts if text.strip()).strip()
