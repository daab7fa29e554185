"""The report workbook (openpyxl, write-only so that 100,000 cases stay fast): a summary sheet,
one sheet per breakdown with a native Excel chart, and the open and overdue lists — frozen
headers, widths, number and date formats, filters. Text from customers is always written as
text, so Excel never runs it as a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from outputs.i18n import gettext, label
from outputs.report_values import HOURS as HOURS_KPIS
from outputs.report_values import desk_title, is_rate, value_label

if TYPE_CHECKING:  # annotations only: the desk and its KPIs, handed over by processor/reports.py
    from processor.desk import Desk
    from processor.reports import Kpis

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="2F5597")
TITLE_FONT = Font(bold=True, size=14)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PERCENT, MONEY, COUNT, HOURS, WHEN = "0.0%", "#,##0.00", "#,##0", "0.0", "yyyy-mm-dd hh:mm"


def formula_like(value: Any) -> bool:
    """Text Excel would run as a formula (`=`, `+`, `-`, `@` … at its start)."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def safe_cell(
    sheet, value: Any, number_format: str | None = None, font: Font | None = None
) -> WriteOnlyCell:  # noqa: ANN001
    """A cell whose text can never be a formula (=, +, -, @ … from a customer stay text)."""
    cell = WriteOnlyCell(sheet, value=value)
    if formula_like(value):
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    if font:
        cell.font = font
    return cell


def print_setup(sheet, header_row: int) -> None:  # noqa: ANN001 - a write-only worksheet
    """A4 landscape, scaled to the page's width (as many pages down as the rows need), the
    header row repeated on each page."""
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = f"{header_row}:{header_row}"


def table(
    workbook: Workbook,
    title: str,
    columns: Sequence[tuple[str, int, str | None]],
    rows: Iterable[Sequence[Any]],
    heading: str | None = None,
):  # noqa: ANN201
    """A sheet with an optional title line, a header row (frozen, filtered) and the rows."""
    sheet = workbook.create_sheet(title[:31])
    first = 2 if heading else 1
    # a write-only sheet writes its widths, panes and page properties with its first row: set them before it
    for index, (_, width, _) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{first + 1}"
    print_setup(sheet, first)
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
        sheet.append(
            [
                value if fmt is None and not formula_like(value) else safe_cell(sheet, value, fmt)
                for value, fmt in zip(row, formats, strict=False)
            ]
        )
        count += 1
    last = first + max(count, 1)
    sheet.auto_filter.ref = f"A{first}:{get_column_letter(len(columns))}{last}"
    return sheet, first, count


def change(value: Any, previous: Any) -> Any:
    if isinstance(value, int | float) and isinstance(previous, int | float):
        return value - previous
    return None


CHART_AT, CHART_HEIGHT, CHART_WIDTH = "D2", 8, 16  # cm: beside the table, within one landscape page


def chart_for(fact: str):  # noqa: ANN201 - a chart
    return PieChart() if fact in ("level", "channel", "business_line") else BarChart()


def add_chart(sheet, chart, title: str, start: int, count: int) -> None:  # noqa: ANN001
    """A chart of the sheet's two columns (names, counts), beside the table, sized to stay on
    the first printed page."""
    chart.title = title
    chart.add_data(
        Reference(sheet, min_col=2, min_row=start, max_row=start + count), titles_from_data=True
    )
    chart.set_categories(Reference(sheet, min_col=1, min_row=start + 1, max_row=start + count))
    chart.height, chart.width = CHART_HEIGHT, CHART_WIDTH
    sheet.add_chart(chart, CHART_AT)


def build_workbook(kpis: Kpis, desk: Desk, language: str) -> bytes:
    """The report's workbook in `language` (the desk's): every label from the catalogs,
    category, level and status by their names, never their ids."""

    def t(msgid: str, **variables: Any) -> str:
        return gettext(language, msgid, **variables)

    workbook = Workbook(write_only=True)
    period = kpis.period
    kind = t(f"report.kind.{period.kind}")
    columns = [
        (t("report.column.kpi"), 26, None),
        (t("report.column.this"), 14, None),
        (t("report.column.previous"), 14, None),
        (t("report.column.change"), 14, None),
        (t("report.column.target"), 12, None),
    ]
    sheet, _, _ = table(
        workbook,
        t("report.sheet.summary"),
        columns,
        [],
        heading=t(
            "report.title",
            desk=desk_title(desk, language),
            kind=kind,
            period=period.label(language),
        ),
    )
    for name, value, previous in kpis.headline():
        fmt = PERCENT if is_rate(name) else HOURS if name in HOURS_KPIS else COUNT
        sheet.append(
            [
                safe_cell(sheet, t(f"kpi.{name}")),
                safe_cell(sheet, value, fmt),
                safe_cell(sheet, previous, fmt),
                safe_cell(sheet, change(value, previous), fmt),
                safe_cell(sheet, kpis.targets.get(name), fmt),
            ]
        )
    sheet.append([])
    sheet.append(
        [
            safe_cell(
                sheet,
                t(
                    "report.period_note",
                    start=f"{period.start:%Y-%m-%d}",
                    end=f"{period.end:%Y-%m-%d}",
                    closed=kpis.closed,
                    open=len(kpis.open_list),
                ),
            )
        ]
    )
    if kpis.partial:
        sheet.append(
            [
                safe_cell(
                    sheet,
                    t("report.partial", as_of=f"{kpis.as_of:%Y-%m-%d %H:%M}"),
                    font=Font(bold=True),
                )
            ]
        )

    for fact, rows in kpis.by.items():
        name = t(f"report.by.{fact}")
        shown_rows = [(value_label(desk, language, fact, key), count) for key, count in rows]
        chart_sheet, start, count = table(
            workbook,
            t("report.sheet.by", name=name),
            [(name, 28, None), (t("report.column.count"), 10, COUNT)],
            shown_rows,
        )
        if count:
            add_chart(chart_sheet, chart_for(fact), t("report.chart.by", name=name), start, count)

    age_rows = [(t(f"age.{band}"), count) for band, count in kpis.open_by_age]
    age_sheet, start, count = table(
        workbook,
        t("report.sheet.open_by_age"),
        [(t("report.column.age"), 14, None), (t("report.column.count"), 10, COUNT)],
        age_rows,
    )
    add_chart(age_sheet, BarChart(), t("report.chart.open_by_age"), start, count)

    table(
        workbook,
        t("report.sheet.overdue_by_owner"),
        [(t("report.column.owner"), 20, None), (t("report.column.overdue_steps"), 12, COUNT)],
        kpis.overdue_by_owner,
    )
    table(
        workbook,
        t("report.sheet.overdue_list"),
        [
            (t("report.column.case"), 16, None),
            (t("report.column.owner"), 14, None),
            (t("report.column.step"), 20, None),
            (t("report.column.due"), 20, None),
            (t("report.column.noticed"), 18, WHEN),
        ],
        (
            (
                row["case"],
                row["owner"],
                label(language, "step", row["step"]),
                row["due"],
                row["noticed"],
            )
            for row in kpis.overdue_list
        ),
    )
    table(
        workbook,
        t("report.sheet.open_list"),
        [
            (t("report.column.case"), 16, None),
            (t("report.column.opened"), 18, WHEN),
            (t("report.column.days"), 8, None),
            (t("report.column.status"), 14, None),
            (t("report.column.owner"), 14, None),
            (t("report.column.customer"), 28, None),
            (t("report.column.category"), 16, None),
            (t("report.column.level"), 12, None),
        ],
        (
            (
                row["case"],
                row["opened"],
                row["age_days"],
                value_label(desk, language, "status", row["status"]),
                row["owner"],
                row["customer"],
                value_label(desk, language, "category", row["category"]),
                value_label(desk, language, "level", row["level"]),
            )
            for row in kpis.open_list
        ),
    )
    table(
        workbook,
        t("report.sheet.returns_by_dealer"),
        [
            (t("report.column.dealer_code"), 14, None),
            (t("report.column.dealer"), 28, None),
            (t("report.column.lines"), 8, COUNT),
            (t("report.column.accepted"), 14, MONEY),
            (t("report.column.refused"), 14, MONEY),
            (t("report.column.open"), 14, MONEY),
            (t("report.column.purchases"), 16, MONEY),
            (t("report.column.ratio"), 10, PERCENT),
        ],
        (
            (
                row["dealer"],
                row["name"],
                row["lines"],
                row["accepted"],
                row["refused"],
                row["open"],
                row["purchases"],
                row["ratio"],
            )
            for row in kpis.returns_by_dealer
        ),
    )
    table(
        workbook,
        t("report.sheet.repeat_batches"),
        [(t("report.column.batch"), 20, None), (t("report.column.count"), 10, COUNT)],
        kpis.repeat_batches,
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
