"""The report workbook (openpyxl, write-only so that 100,000 cases stay fast): a summary sheet,
one sheet per breakdown with a native Excel chart, and the open and overdue lists — frozen
headers, widths, number and date formats, filters. Text from customers is always written as
text, so Excel never runs it as a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from processor.reports import Kpis, is_rate

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="2F5597")
TITLE_FONT = Font(bold=True, size=14)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PERCENT, MONEY, COUNT, HOURS, WHEN = "0.0%", "#,##0.00", "#,##0", "0.0", "yyyy-mm-dd hh:mm"


def formula_like(value: Any) -> bool:
    """Text Excel would run as a formula (`=`, `+`, `-`, `@` … at its start)."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def safe_cell(sheet, value: Any, number_format: str | None = None, font: Font | None = None) -> WriteOnlyCell:  # noqa: ANN001
    """A cell whose text can never be a formula (=, +, -, @ … from a customer stay text)."""
    cell = WriteOnlyCell(sheet, value=value)
    if formula_like(value):
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    if font:
        cell.font = font
    return cell


def table(workbook: Workbook, title: str, columns: Sequence[tuple[str, int, str | None]],
          rows: Iterable[Sequence[Any]], heading: str | None = None):  # noqa: ANN201
    """A sheet with an optional title line, a header row (frozen, filtered) and the rows."""
    sheet = workbook.create_sheet(title[:31])
    first = 2 if heading else 1
    # a write-only sheet writes its widths and panes with its first row: set them before it
    for index, (_, width, _) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{first + 1}"
    if heading:
        sheet.append([safe_cell(sheet, heading, font=TITLE_FONT)])
    header = []
    for name, _, _ in columns:
        cell = safe_cell(sheet, name, font=HEADER_FONT)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    sheet.append(header)
    count = 0
    formats = [fmt for _, _, fmt in columns]
    for row in rows:  # plain values go in as they are (fast); formatted or risky ones as cells
        sheet.append([value if fmt is None and not formula_like(value) else safe_cell(sheet, value, fmt)
                      for value, fmt in zip(row, formats, strict=False)])
        count += 1
    last = first + max(count, 1)
    sheet.auto_filter.ref = f"A{first}:{get_column_letter(len(columns))}{last}"
    return sheet, first, count


def change(value: Any, previous: Any) -> Any:
    if isinstance(value, int | float) and isinstance(previous, int | float):
        return value - previous
    return None


def build_workbook(kpis: Kpis, desk_name: str) -> bytes:
    workbook = Workbook(write_only=True)
    period = kpis.period
    kind = {"weekly": "周报", "monthly": "月报", "quarterly": "季报"}[period.kind]
    summary_rows = []
    for label, value, previous in kpis.headline():
        rate = isinstance(value, float) and is_rate(label)
        summary_rows.append((label, value, previous, change(value, previous),
                             PERCENT if rate else HOURS if "小时" in label else COUNT))
    sheet, first, _ = table(
        workbook, "摘要", [("指标", 26, None), ("本期", 14, None), ("上期", 14, None), ("变化", 14, None)], [],
        heading=f"{desk_name} 售后投诉{kind} {period.label}")
    for label, value, previous, delta, fmt in summary_rows:
        sheet.append([safe_cell(sheet, label), safe_cell(sheet, value, fmt), safe_cell(sheet, previous, fmt),
                      safe_cell(sheet, delta, fmt)])
    sheet.append([])
    sheet.append([safe_cell(sheet, f"统计期间：{period.start:%Y-%m-%d} 至 {period.end:%Y-%m-%d}（不含）；"
                                   f"本期结案 {kpis.closed} 件；未结 {len(kpis.open_list)} 件")])

    for name, rows in kpis.by.items():
        chart_sheet, start, count = table(workbook, f"按{name}", [(name, 28, None), ("件数", 10, COUNT)], rows)
        if count:
            chart = PieChart() if name in ("级别", "渠道", "业务线") else BarChart()
            chart.title = f"投诉按{name}"
            data = Reference(chart_sheet, min_col=2, min_row=start, max_row=start + count)
            labels = Reference(chart_sheet, min_col=1, min_row=start + 1, max_row=start + count)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(labels)
            chart.height, chart.width = 8, 16
            chart_sheet.add_chart(chart, "D2")

    age_sheet, start, count = table(workbook, "未结按时长", [("时长", 14, None), ("件数", 10, COUNT)], kpis.open_by_age)
    chart = BarChart()
    chart.title = "未结案件按时长"
    chart.add_data(Reference(age_sheet, min_col=2, min_row=start, max_row=start + count), titles_from_data=True)
    chart.set_categories(Reference(age_sheet, min_col=1, min_row=start + 1, max_row=start + count))
    age_sheet.add_chart(chart, "D2")

    table(workbook, "逾期按负责人", [("负责人", 20, None), ("逾期步骤数", 12, COUNT)], kpis.overdue_by_owner)
    table(workbook, "逾期清单", [("案件编号", 16, None), ("负责人", 14, None), ("步骤", 20, None), ("期限", 20, None),
                             ("发现时间", 18, WHEN)],
          ((row["case"], row["owner"], row["step"], row["due"], row["noticed"]) for row in kpis.overdue_list))
    table(workbook, "未结案件", [("案件编号", 16, None), ("受理时间", 18, WHEN), ("天数", 8, None), ("状态", 14, None),
                             ("负责人", 14, None), ("客户", 28, None), ("类别", 16, None), ("级别", 12, None)],
          ((row["case"], row["opened"], row["age_days"], row["status"], row["owner"], row["customer"],
            row["category"], row["level"]) for row in kpis.open_list))
    table(workbook, "退货按经销商", [("经销商代码", 14, None), ("经销商", 28, None), ("行数", 8, COUNT), ("同意金额", 14, MONEY),
                               ("不同意金额", 14, MONEY), ("未决金额", 14, MONEY), ("采购金额", 16, MONEY),
                               ("调换比例", 10, PERCENT)],
          ((row["dealer"], row["name"], row["lines"], row["accepted"], row["refused"], row["open"], row["purchases"],
            row["ratio"]) for row in kpis.returns_by_dealer))
    table(workbook, "重复投诉批号", [("批号", 20, None), ("件数", 10, COUNT)], kpis.repeat_batches)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

