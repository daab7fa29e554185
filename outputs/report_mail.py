"""The report mail: headline KPIs in an HTML body with an inline chart (matplotlib, with a CJK
font when one is installed), a plain-text part, and the workbook attached."""

from __future__ import annotations

import io
from email.message import EmailMessage
from email.utils import make_msgid
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")  # no screen: render to PNG
from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from outputs.compose import environment, message_id, new_message, render  # noqa: E402
from outputs.report_workbook import build_workbook  # noqa: E402
from processor.desk import Desk  # noqa: E402
from processor.reports import Kpis, is_rate, shown  # noqa: E402

CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei",
             "Microsoft YaHei", "PingFang SC", "Noto Sans CJK JP")
KIND_NAMES = {"weekly": "周报", "monthly": "月报", "quarterly": "季报"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def chart_png(kpis: Kpis) -> bytes:
    """Complaints by category and open cases by age, side by side."""
    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2), dpi=110)
    categories = kpis.by.get("类别", [])
    names = [name if font else f"#{index + 1}" for index, (name, _) in enumerate(categories)]
    left.barh(names[::-1], [count for _, count in categories][::-1], color="#2F5597")
    left.set_title("投诉按类别" if font else "Complaints by category")
    ages = kpis.open_by_age
    right.bar([name if font else str(index) for index, (name, _) in enumerate(ages)], [count for _, count in ages],
              color="#C55A11")
    right.set_title("未结案件按时长" if font else "Open cases by age")
    for axis in (left, right):
        axis.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()


def report_message(desk: Desk, kpis: Kpis, to: list[str]) -> EmailMessage:
    period, kind = kpis.period, KIND_NAMES[kpis.period.kind]
    rows = []
    for label, value, previous in kpis.headline():
        delta = ""
        if isinstance(value, int | float) and isinstance(previous, int | float):
            difference = value - previous
            delta = (f"{difference:+.1%}" if is_rate(label) else f"{difference:+.1f}"
                     if isinstance(difference, float) else f"{difference:+d}")
        rows.append((label, shown(value, label), shown(previous, label), delta))
    context = dict(desk_name=desk.config.desk.name, kind=kind, period=period.label, rows=rows,
                   categories=kpis.by.get("类别", [])[:5], overdue=kpis.overdue_by_owner[:10],
                   open_count=len(kpis.open_list), closed=kpis.closed)
    text = render("report", "zh-Hans", **context)
    cid = make_msgid(domain=desk.sender.domain)
    html = environment().get_template("mail/report.html.j2").render(chart_cid=cid[1:-1], **context)
    workbook = build_workbook(kpis, desk.config.desk.name)
    subject = f"[{kind}] 售后投诉统计 {period.label}"
    message = new_message(
        desk.sender, ", ".join(to), subject, text, html=html,
        msgid=message_id(desk.sender, None, f"report-{period.kind}-{period.key}"),
        related=[(cid, chart_png(kpis), "image/png")],
        attachments=[(f"售后投诉{kind}_{period.key}.xlsx", workbook, XLSX)],
    )
    return message
