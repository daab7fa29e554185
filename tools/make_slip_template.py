"""Writes templates/slips/return_slip.docx, the docxtpl template of the return slip. Run it again
after changing the layout here; the .docx is committed so the desk needs no build step. Jinja
tags inside the document: {{ … }} fields and {%tr for/endfor %} table rows. Every word on it is
a value (`t.*`, `title`, `notes`) worded by the catalogs in the dealer's language
(processor/returns.slip_context), so the layout holds no language."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

TARGET = Path(__file__).resolve().parent.parent / "templates" / "slips" / "return_slip.docx"
COLUMNS = [("no", 1.25), ("order_no", 2.7), ("part_no", 2.1), ("product_name", 2.6), ("spec", 2.5),
           ("quantity", 1.3), ("unit", 1.1), ("unit_price", 1.8), ("amount", 2.1), ("decision", 1.7),
           ("reason", 7.35)]
FONT = "SimSun"


def font(run, size: float, bold: bool = False) -> None:  # noqa: ANN001
    run.font.size, run.font.bold, run.font.name = Pt(size), bold, FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def paragraph(document, text: str, size: float = 10.5, bold: bool = False, align=None, after: float = 2):  # noqa: ANN001, ANN201
    p = document.add_paragraph()
    p.paragraph_format.space_after = Pt(after)
    if align is not None:
        p.alignment = align
    font(p.add_run(text), size, bold)
    return p


def cell_text(cell, text: str, size: float = 9, bold: bool = False, align=None) -> None:  # noqa: ANN001
    cell.text = ""
    p = cell.paragraphs[0]
    p.paragraph_format.space_after = Pt(0)
    if align is not None:
        p.alignment = align
    font(p.add_run(text), size, bold)


def shade(cell, fill: str) -> None:  # noqa: ANN001
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def widths(table, centimetres) -> None:  # noqa: ANN001
    """Fixed column widths that Word and LibreOffice both honour (the grid and every cell)."""
    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for column, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), centimetres, strict=True):
        column.set(qn("w:w"), str(Cm(width).twips))
    for row in table.rows:
        for cell, width in zip(row.cells, centimetres, strict=False):
            cell.width = Cm(width)


def build() -> Document:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.6))
    section.top_margin = section.bottom_margin = Cm(1.4)

    paragraph(document, "{{ desk_name }}", 12, True, WD_ALIGN_PARAGRAPH.CENTER, 0)
    paragraph(document, "{{ title }}", 20, True, WD_ALIGN_PARAGRAPH.CENTER, 8)

    info = document.add_table(rows=3, cols=4)
    info.style = "Table Grid"
    facts = [("{{ t.slip_no }}", "{{ slip_no }}", "{{ t.issued }}", "{{ issued }}"),
             ("{{ t.dealer_name }}", "{{ dealer_name }}", "{{ t.dealer_code }}", "{{ dealer_code }}"),
             ("{{ t.case_no }}", "{{ case_no }}", "{{ t.sheet_date }}", "{{ sheet_date }}")]
    for row, values in zip(info.rows, facts, strict=True):
        for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            cell_text(cell, value, 9.5, bold=index % 2 == 0)
            if index % 2 == 0:
                shade(cell, "EDEDED")
    widths(info, (4.2, 8.5, 4.8, 9.0))
    paragraph(document, "", after=4)

    lines = document.add_table(rows=4, cols=len(COLUMNS))
    lines.style = "Table Grid"
    lines.alignment = WD_TABLE_ALIGNMENT.CENTER
    right = WD_ALIGN_PARAGRAPH.RIGHT
    numeric = {"quantity", "unit_price", "amount"}
    for index, (field, _width) in enumerate(COLUMNS):
        header = lines.rows[0].cells[index]
        cell_text(header, "{{ t.column_" + field + " }}", 9, True, WD_ALIGN_PARAGRAPH.CENTER)
        shade(header, "D9E2F3")
        cell_text(lines.rows[2].cells[index], "{{ line." + field + " }}", 9, align=right if field in numeric else None)
    widths(lines, [width for _, width in COLUMNS])
    cell_text(lines.rows[1].cells[0], "{%tr for line in lines %}")
    cell_text(lines.rows[3].cells[0], "{%tr endfor %}")
    total = lines.add_row()
    cell_text(total.cells[0], "{{ t.total }}", 9, True)
    total.cells[0].merge(total.cells[4])
    cell_text(total.cells[5], "{{ accepted_quantity }}", 9, True, right)
    cell_text(total.cells[8], "{{ accepted_amount }}", 9, True, right)
    cell_text(total.cells[9], "", 9)
    cell_text(total.cells[10], "{{ summary }}", 9)
    heading = lines.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    heading.append(repeat)
    paragraph(document, "", after=4)

    paragraph(document, "{{ t.notes }}", 9.5, True, after=0)
    for index in range(4):  # the notes that apply to this slip, numbered; the others stay empty
        paragraph(document, "{{ notes[%d] }}" % index, 9, after=0)
    paragraph(document, "", after=10)
    paragraph(document, "{{ signature }}", 10, align=WD_ALIGN_PARAGRAPH.RIGHT)
    return document


if __name__ == "__main__":
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    build().save(TARGET)
    print(f"wrote {TARGET}")
