"""Mails a person reads, composed from the templates (jinja2) in the sender's language.
Chinese mails are written in simplified Chinese and turned traditional for zh-Hant senders."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from functools import lru_cache
from typing import Any

import opencc

from outputs.i18n import environment  # noqa: F401 - the templates' environment, per language
from parsers.labels import display_label
from parsers.shapes import line_value
from parsers.text import CONTROL

KIND_LABELS = {
    "complaint": ("投诉", "complaint"),
    "return_sheet": ("退换货申请", "return request"),
    "feedback_form": ("服务反馈单", "service feedback"),
    "inspection": ("鉴定单", "inspection verdict"),
}
SUBJECTS = {
    "acknowledgement": ("[{case_no}] 您的{kind}已受理", "[{case_no}] Your {kind} has been received"),
    "notice": ("您的邮件暂时无法处理：{what}", "We could not process your mail: {what}"),
    "owner_notice": ("[{case_no}] 新{kind}分派给您：{who}", "[{case_no}] New {kind} for you: {who}"),
    "survey": ("[{case_no}] 请问您对处理结果满意吗？", "[{case_no}] Are you satisfied with how we handled it?"),
    "case_reply": ("[{case_no}] 关于您的{kind}的答复", "[{case_no}] Our reply about your {kind}"),
    "return_slip": ("[{case_no}] 退货单 {slip_no}", "[{case_no}] Return slip {slip_no}"),
}
SHOWN_FIELDS = (
    "customer_name", "company", "dealer_code", "phone", "product_name", "product_model", "part_no",
    "serial_no", "batch_no", "vin", "plate_no", "quantity", "purchase_date", "purchase_place",
    "request", "description",
)
REQUEST_WORDS = {
    "return": ("退货", "return"), "exchange": ("换货", "exchange"), "repair": ("维修", "repair"),
    "compensation": ("赔偿", "compensation"), "apology": ("道歉", "apology"),
    "explanation": ("解释说明", "explanation"),
}


@dataclass(frozen=True)
class Sender:
    name: str
    address: str

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[-1]


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def in_script(text: str, language: str) -> str:
    return _s2t().convert(text) if language == "zh-Hant" else text


def template_language(language: str | None) -> str:
    return "en" if language == "en" else "zh"


def render(name: str, language: str, **context: Any) -> str:
    lang = template_language(language)
    text = environment().get_template(f"mail/{name}.{lang}.txt.j2").render(**context)
    return in_script(text, language)


def understood(fields: dict[str, Any], language: str) -> list[tuple[str, str]]:
    """(label, value) of the fields worth repeating to the sender, in a fixed order."""
    rows = []
    for name in SHOWN_FIELDS:
        if name in fields and fields[name] not in (None, ""):
            value = fields[name]
            if name == "request" and value in REQUEST_WORDS:
                value = REQUEST_WORDS[value][1 if language == "en" else 0]
            text = str(value)
            rows.append((display_label(name, language), text if len(text) <= 200 else text[:197] + "…"))
    return rows


def message_id(sender: Sender, case_no: str | None, purpose: str) -> str:
    """Our Message-IDs carry the case number, so a reply threads back even without a subject."""
    stem = f"{(case_no or 'desk').lower()}.{purpose}.{secrets.token_hex(6)}"
    return f"<{stem}@{sender.domain}>"


def header_safe(text: str) -> str:
    """A header value from text that may carry a sender's file name: line breaks and other
    control characters become spaces (a CR LF in a header would start a header of its own)."""
    return CONTROL.sub(" ", text)


def new_message(
    sender: Sender,
    to: str,
    subject: str,
    text: str,
    *,
    html: str | None = None,
    msgid: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    automatic: bool = True,
    cc: list[str] | None = None,
    now: datetime | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
    related: list[tuple[str, bytes, str]] | None = None,
) -> EmailMessage:
    """A mail; `attachments` are (file name, bytes, MIME type), names in any script (RFC 2231);
    `related` are (Content-ID, bytes, MIME type) images the HTML part shows inline."""
    message = EmailMessage()
    message["From"] = formataddr((sender.name, sender.address))
    message["To"] = to
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = header_safe(subject)
    message["Date"] = format_datetime(now or datetime.now().astimezone())
    message["Message-ID"] = msgid or make_msgid(domain=sender.domain)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = " ".join([*(references or []), in_reply_to][-10:])
    if automatic:  # RFC 3834: autoresponders must not answer us, and we answer no robot
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"
        message["Precedence"] = "auto_reply"
    message.set_content(text, charset="utf-8")
    if html:
        message.add_alternative(html, subtype="html", charset="utf-8")
        html_part = message.get_body(("html",))
        for content_id, data, mime in related or []:
            maintype, subtype = mime.split("/", 1)
            html_part.add_related(data, maintype=maintype, subtype=subtype, cid=content_id)
    for filename, data, mime in attachments or []:
        maintype, subtype = mime.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def confirm_rows(confirm: list[str], fields: dict[str, Any], lines: list[dict[str, Any]],
                 language: str) -> list[tuple[str, str]]:
    """(label, value) of each value the sender is asked to confirm: a field, or a return
    line's value (`lines[0].amount` → `第1行 金额`)."""
    rows = []
    for name in confirm:
        if name in fields:
            rows.append((display_label(name, language), str(fields[name])))
        elif (found := line_value(name)) and found[0] < len(lines):
            number, column = found[0] + 1, found[1]
            where = f"line {number} " if template_language(language) == "en" else f"第{number}行 "
            rows.append((where + display_label(column, language), str(lines[number - 1].get(column, "?"))))
    return rows


def acknowledgement(
    sender: Sender, *, to: str, case_no: str, kind: str, language: str, fields: dict[str, Any],
    missing: list[str], reply_by: str | None, in_reply_to: str | None, references: list[str],
    confirm: list[str] | None = None, refused: list[str] | None = None, reply_by_provisional: bool = False,
    lines: list[dict[str, Any]] | None = None,
) -> EmailMessage:
    """`refused`: attachments not read (over the size limit), named so the sender can resend them."""
    en = template_language(language) == "en"
    kind_label = KIND_LABELS.get(kind, ("来件", "message"))[1 if en else 0]
    rows = understood(fields, language)
    missing_labels = [display_label(name, language) for name in missing]
    greeting = fields.get("customer_name") or fields.get("contact_person") or ""
    to_confirm = confirm_rows(confirm or [], fields, lines or [], language)
    context = dict(
        greeting_name=greeting, kind_label=kind_label, case_no=case_no, understood=rows,
        missing=missing_labels, reply_by=reply_by, reply_by_provisional=reply_by_provisional,
        desk_name=sender.name, confirm=to_confirm, refused=refused or [],
    )
    text = render("acknowledgement", language, **context)
    subject = in_script(SUBJECTS["acknowledgement"][en].format(case_no=case_no, kind=kind_label), language)
    html = environment().get_template("mail/acknowledgement.html.j2").render(
        lang=language, subject=subject, paragraphs=[p for p in text.split("\n\n")[:2]],
        understood=rows, missing=missing_labels,
        missing_intro=in_script("请回复本邮件补充以下信息：" if not en else "Please reply with:", language) if missing_labels else "",
        closing=text.split("\n\n")[-2].strip() if reply_by else "", desk_name=sender.name,
        refused=refused or [], refused_intro=in_script(
            "以下附件超过大小限制，未能读取，如需提供请压缩或分多封邮件发送：" if not en
            else "These attachments were over the size limit and were not read; please send them compressed "
                 "or in several mails:", language),
    )
    return new_message(
        sender, to, subject, text, html=html, msgid=message_id(sender, case_no, "ack"),
        in_reply_to=in_reply_to, references=references,
    )


def notice(
    sender: Sender, *, to: str, language: str, reason: str, filename: str | None,
    in_reply_to: str | None, references: list[str],
) -> EmailMessage:
    """The polite note to a sender whose mail or file could not be processed."""
    en = template_language(language) == "en"
    text = render("notice", language, reason=reason, filename=filename, desk_name=sender.name)
    what = (reason if len(reason) <= 40 else reason[:38] + "…")
    subject = in_script(SUBJECTS["notice"][en].format(what=what), language)
    return new_message(
        sender, to, subject, text, msgid=message_id(sender, None, "notice"),
        in_reply_to=in_reply_to, references=references,
    )


def owner_notice(
    sender: Sender, *, to: str, owner: str, case_no: str, kind: str, fields: dict[str, Any],
    category: str | None, level: str | None, business_line: str | None, origin: str | None,
    deadlines: list[dict[str, str]], escalate: bool, cc: list[str],
    uncertain: list[str] | None = None, why: str = "",
) -> EmailMessage:
    """`uncertain`: facts the rules judged on weak or conflicting evidence (`why`): the owner
    is asked to confirm them with #level / #category."""
    kind_label = KIND_LABELS.get(kind, ("来件", "message"))[0]
    text = render(
        "owner_notice", "zh-Hans", owner=owner, case_no=case_no, kind_label=kind_label,
        category=category, level=level, business_line=business_line, sender=origin,
        understood=understood(fields, "zh-Hans"), deadlines=deadlines, escalate=escalate,
        desk_name=sender.name, uncertain=list(dict.fromkeys(uncertain or [])), why=why,
    )
    who = fields.get("customer_name") or fields.get("company") or origin or "—"
    subject = SUBJECTS["owner_notice"][0].format(case_no=case_no, kind=kind_label, who=who)
    return new_message(sender, to, subject, text, msgid=message_id(sender, case_no, "owner"), cc=cc)


def customer_mail(
    sender: Sender, template: str, *, to: str, case_no: str, kind: str, language: str, greeting_name: str | None,
    in_reply_to: str | None = None, automatic: bool = True, **context: Any,
) -> EmailMessage:
    """A mail to the customer about their case, in their language (`survey`, `case_reply`)."""
    en = template_language(language) == "en"
    kind_label = KIND_LABELS.get(kind, ("来件", "message"))[1 if en else 0]
    text = render(template, language, greeting_name=greeting_name or "", case_no=case_no,
                  desk_name=sender.name, **context)
    subject = in_script(SUBJECTS[template][en].format(case_no=case_no, kind=kind_label), language)
    return new_message(sender, to, subject, text, msgid=message_id(sender, case_no, template),
                       in_reply_to=in_reply_to, automatic=automatic)


def staff_note(
    sender: Sender, *, to: str, subject: str, greeting: str, intro: str, rows: list[tuple[str, str]],
    case_no: str | None, purpose: str, closing: str = "", cc: list[str] | None = None,
    in_reply_to: str | None = None, msgid: str | None = None,
) -> EmailMessage:
    """A short mail to staff: overdue reminders, digests, command results, callback requests."""
    text = render("staff_note", "zh-Hans", greeting=greeting, intro=intro, rows=rows, closing=closing,
                  desk_name=sender.name)
    return new_message(sender, to, subject, text, msgid=msgid or message_id(sender, case_no, purpose), cc=cc,
                       in_reply_to=in_reply_to)


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def return_slip(
    sender: Sender, *, to: str, case_no: str, slip_no: str, language: str, greeting_name: str | None,
    rows: list[tuple[str, str]], docx: bytes, pdf: bytes | None,
) -> EmailMessage:
    """The return slip to the dealer: a summary in the body, the slip attached (.docx, and PDF)."""
    en = template_language(language) == "en"
    text = render("return_slip", language, greeting_name=greeting_name or "", case_no=case_no, slip_no=slip_no,
                  rows=rows, desk_name=sender.name)
    subject = in_script(SUBJECTS["return_slip"][en].format(case_no=case_no, slip_no=slip_no), language)
    attachments = [(f"退货单_{slip_no}.docx", docx, DOCX_TYPE)]
    if pdf:
        attachments.append((f"退货单_{slip_no}.pdf", pdf, "application/pdf"))
    return new_message(sender, to, subject, text, msgid=message_id(sender, case_no, "slip"), attachments=attachments)
