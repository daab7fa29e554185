"""Writes templates/slips/return_slip.docx, the docxtpl template of the return slip (退货单).
Run it again after changing the layout here; the .docx is committed so the desk needs no build
step. Jinja tags inside the document: {{ … }} fields and {%tr for/endfor %} table rows."""

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
COLUMNS = [("序号", "line.no", 1.25), ("订单号", "line.order_no", 2.7), ("料号", "line.part_no", 2.1),
           ("品名", "line.product_name", 2.6), ("规格", "line.spec", 2.5), ("数量", "line.quantity", 1.3),
           ("单位", "line.unit", 1.1), ("单价", "line.unit_price", 1.8), ("金额", "line.amount", 2.1),
           ("处理结果", "line.decision", 1.7), ("说明", "line.reason", 7.35)]
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
    paragraph(document, "退 货 单", 20, True, WD_ALIGN_PARAGRAPH.CENTER, 0)
    paragraph(document, "RETURN SLIP", 9, False, WD_ALIGN_PARAGRAPH.CENTER, 8)

    info = document.add_table(rows=3, cols=4)
    info.style = "Table Grid"
    facts = [("退货单号 Slip no.", "{{ slip_no }}", "开单日期 Date", "{{ issued }}"),
             ("经销商 Dealer", "{{ dealer_name }}", "经销商代码 Dealer code", "{{ dealer_code }}"),
             ("案件编号 Case", "{{ case_no }}", "退货明细表日期 Sheet date", "{{ sheet_date }}")]
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
    numeric = {"line.quantity", "line.unit_price", "line.amount"}
    for index, (title, field, _width) in enumerate(COLUMNS):
        header = lines.rows[0].cells[index]
        cell_text(header, title, 9, True, WD_ALIGN_PARAGRAPH.CENTER)
        shade(header, "D9E2F3")
        cell_text(lines.rows[2].cells[index], "{{ " + field + " }}", 9, align=right if field in numeric else None)
    widths(lines, [width for _, _, width in COLUMNS])
    cell_text(lines.rows[1].cells[0], "{%tr for line in lines %}")
    cell_text(lines.rows[3].cells[0], "{%tr endfor %}")
    total = lines.add_row()
    cell_text(total.cells[0], "合计 Total（同意退货 accepted）", 9, True)
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

    paragraph(document, "说明：", 9.5, True, after=0)
    for text in ("1. “同意”的货物请在收到本单后 {{ ship_back_days }} 日内连同本单复印件退回，我方收货核对后按单价办理退款或调换。",
                 "2. “不同意”的行附有原因；如有异议，请回复邮件并保留主题中的编号。",
                 "3. “待鉴定”的行等待质量部鉴定结论，“待审核”的行由售后服务部审核，结果将另行开单通知。",
                 "{% if note %}4. {{ note }}{% endif %}"):
        paragraph(document, text, 9, after=0)
    paragraph(document, "", after=10)
    paragraph(document, "{{ desk_name }}（盖章）                经办：{{ handler }}                日期：{{ issued }}", 10,
              align=WD_ALIGN_PARAGRAPH.RIGHT)
    return document


if __name__ == "__main__":
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    build().save(TARGET)
    print(f"wrote {TARGET}")
