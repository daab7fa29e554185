"""The report mail: headline KPIs in an HTML body with an inline chart (matplotlib, with a CJK
font when one is installed), a plain-text part, and the workbook attached."""

from __future__ import annotations

import io
from email.message import EmailMessage
from email.utils import make_msgid
from functools import lru_cache
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # no screen: render to PNG
from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from outputs.compose import message_id, new_message  # noqa: E402
from outputs.i18n import environment, gettext  # noqa: E402
from outputs.report_values import desk_title, is_rate, shown, value_label  # noqa: E402
from outputs.report_workbook import build_workbook  # noqa: E402

if TYPE_CHECKING:  # annotations only: the desk and its KPIs, handed over by processor/reports.py
    from processor.desk import Desk
    from processor.reports import Kpis

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK JP",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def chart_png(kpis: Kpis, desk: Desk, language: str) -> bytes:
    """Complaints by category and open cases by age, side by side; in English when no font
    for Chinese is installed (matplotlib would draw empty boxes)."""
    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    drawn = language if font or language == "en" else "en"
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2), dpi=110)
    categories = kpis.by.get("category", [])
    names = [value_label(desk, drawn, "category", key) for key, _ in categories]
    left.barh(names[::-1], [count for _, count in categories][::-1], color="#2F5597")
    left.set_title(gettext(drawn, "report.chart.by", name=gettext(drawn, "report.by.category")))
    ages = kpis.open_by_age
    right.bar(
        [gettext(drawn, f"age.{band}") for band, _ in ages],
        [count for _, count in ages],
        color="#C55A11",
    )
    right.set_title(gettext(drawn, "report.chart.open_by_age"))
    for axis in (left, right):
        axis.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()


def delta_of(name: str, value: object, previous: object) -> str:
    if not (isinstance(value, int | float) and isinstance(previous, int | float)):
        return ""
    difference = value - previous
    return (
        f"{difference:+.1%}"
        if is_rate(name)
        else f"{difference:+.1f}"
        if isinstance(difference, float)
        else f"{difference:+d}"
    )


def report_message(desk: Desk, kpis: Kpis, to: list[str]) -> EmailMessage:
    """The report mail in the desk's language (its readers are the desk's managers)."""
    language = desk.config.desk.default_language
    period, kind = kpis.period, gettext(language, f"report.kind.{kpis.period.kind}")
    rows = [
        (
            gettext(language, f"kpi.{name}"),
            shown(value, name),
            shown(previous, name),
            delta_of(name, value, previous),
            shown(kpis.targets[name], name) if name in kpis.targets else "",
        )
        for name, value, previous in kpis.headline()
    ]
    desk_name = desk_title(desk, language)
    closed_and_open = gettext(
        language,
        "report.closed_and_open_now" if kpis.partial else "report.closed_and_open",
        closed=kpis.closed,
        open=len(kpis.open_list),
    )
    context = dict(
        desk_name=desk_name,
        kind=kind,
        period=period.label(language),
        rows=rows,
        title=gettext(
            language, "report.title", desk=desk_name, kind=kind, period=period.label(language)
        ),
        partial=gettext(language, "report.partial", as_of=f"{kpis.as_of:%Y-%m-%d %H:%M}")
        if kpis.partial
        else "",
        categories=[
            (value_label(desk, language, "category", key), count)
            for key, count in kpis.by.get("category", [])[:5]
        ],
        overdue=kpis.overdue_by_owner[:10],
        closed_and_open=closed_and_open,
        html_lang={"zh-Hans": "zh-CN", "zh-Hant": "zh-TW"}.get(language, language),
    )
    templates = environment(language)
    text = templates.get_template("mail/report.txt.j2").render(**context)
    cid = make_msgid(domain=desk.sender.domain)
    html = templates.get_template("mail/report.html.j2").render(chart_cid=cid[1:-1], **context)
    workbook = build_workbook(kpis, desk, language)
    subject = gettext(language, "report.subject", kind=kind, period=period.label(language))
    message = new_message(
        desk.sender,
        ", ".join(to),
        subject,
        text,
        html=html,
        msgid=message_id(desk.sender, None, f"report-{period.kind}-{period.key}"),
        related=[(cid, chart_png(kpis, desk, language), "image/png")],
        attachments=[
            (
                gettext(language, "report.workbook_name", kind=kind, key=period.key) + ".xlsx",
                workbook,
                XLSX,
            )
        ],
    )
    # RFC 3834: a report is generated by the desk on its own, not a reply to anyone's mail
    message.replace_header("Auto-Submitted", "auto-generated")
    message.replace_header("Precedence", "bulk")
    return message
