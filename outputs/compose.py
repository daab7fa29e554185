"""Mails a person reads, composed from the templates (jinja2) with the message catalogs of
outputs/i18n.py: a customer's or dealer's mail wholly in their language (zh-Hans, zh-Hant, en),
a staff mail in the desk's. No display text lives here: only catalog ids."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

from outputs import i18n
from outputs.i18n import environment, gettext, label
from parsers.labels import display_label
from parsers.normalise import CONTROL
from parsers.shapes import line_value

SHOWN_FIELDS = (
    "customer_name",
    "company",
    "dealer_code",
    "phone",
    "product_name",
    "product_model",
    "part_no",
    "serial_no",
    "batch_no",
    "vin",
    "plate_no",
    "quantity",
    "purchase_date",
    "purchase_place",
    "request",
    "description",
)
ENUM_FIELDS = {"request": "request"}  # a field whose value is a canonical id, named by the catalog
# a reply the staff member opened with a greeting of their own gets none from the template
OWN_GREETING = re.compile(r"^\s*(?:\S{0,12}(?:您好|你好)|(?:dear|hello|hi)\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Sender:
    name: str
    address: str

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[-1]


def field_label(name: str, language: str) -> str:
    """A form field's name for a reader: the catalog's, else the label table's first label."""
    return gettext(language, f"field.{name}", default=display_label(name, language))


def kind_label(kind: str | None, language: str) -> str:
    return label(language, "kind", kind or "unknown", default=gettext(language, "kind.unknown"))


FACT_KINDS = {"category": "category", "level": "level", "business_line": "line", "status": "status"}


def fact_label(
    language: str, fact: str, value: str | None, own: dict[str, dict[str, str]] | None = None
) -> str:
    """A case's canonical fact (`business_line` = `after_sales`) named in `language`; a desk's
    own value, which the catalogs do not name, by its rule file label (`own`, RuleSet.labels)."""
    return label(language, FACT_KINDS[fact], value, (own or {}).get(fact, {}).get(value or ""))


def greeting(language: str, name: str | None, *, partner: bool = False) -> str:
    if name:
        return gettext(language, "mail.greeting", name=name)
    return gettext(language, "mail.greeting_partner" if partner else "mail.greeting_customer")


def desk_name(sender: Sender, language: str) -> str:
    """The desk's name in the reader's language: the catalog's when the desk keeps the default
    name, else its own (in traditional characters for zh-Hant; the catalog's for English)."""
    if sender.name == gettext(i18n.SOURCE_LANGUAGE, "desk.name") or language == "en":
        return gettext(language, "desk.name")
    return i18n.to_traditional(sender.name, {}) if language == "zh-Hant" else sender.name


def speaking(sender: Sender, language: str) -> Sender:
    """The sender as the reader sees it in From: the desk's name in their language."""
    return Sender(desk_name(sender, language), sender.address)


def render(name: str, language: str, **context: Any) -> str:
    """A mail template in `language`; a template still kept per language (`report.zh.txt.j2`)
    is rendered as it is."""
    env = environment(language)
    try:
        template = env.get_template(f"mail/{name}.txt.j2")
    except Exception:  # noqa: BLE001 - jinja2's TemplateNotFound: the older per-language layout
        template = env.get_template(f"mail/{name}.{'en' if language == 'en' else 'zh'}.txt.j2")
    return template.render(**context)


def value_text(name: str, value: Any, language: str) -> str:
    if name in ENUM_FIELDS and isinstance(value, str):
        value = label(language, ENUM_FIELDS[name], value)
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "…"


def understood(
    fields: dict[str, Any], language: str, marked: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """(label, value) of the fields worth repeating to the sender, in a fixed order; `marked`
    adds a note to a field's value (`（待确认）`)."""
    marked = marked or {}
    return [
        (
            field_label(name, language),
            value_text(name, fields[name], language) + marked.get(name, ""),
        )
        for name in SHOWN_FIELDS
        if name in fields and fields[name] not in (None, "")
    ]


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
    put_header(
        message,
        "From",
        formataddr((sender.name, sender.address), charset="utf-8"),
        formataddr((sender.name, sender.address)),
    )
    put_header(message, "To", to)
    if cc:
        put_header(message, "Cc", ", ".join(cc))
    put_header(message, "Subject", header_safe(subject))
    put_header(message, "Date", format_datetime(now or datetime.now().astimezone()))
    put_header(message, "Message-ID", msgid or make_msgid(domain=sender.domain))
    if in_reply_to:
        put_header(message, "In-Reply-To", in_reply_to)
        put_header(message, "References", " ".join([*(references or []), in_reply_to][-10:]))
    if automatic:  # RFC 3834: autoresponders must not answer us, and we answer no robot
        put_header(message, "Auto-Submitted", "auto-replied")
        put_header(message, "X-Auto-Response-Suppress", "All")
        put_header(message, "Precedence", "auto_reply")
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


MAX_HEADER_LINE = 78  # RFC 5322's recommended line length, the default policy's too
PLAIN_ASCII = re.compile(r"[\x20-\x7e]*")  # printable US-ASCII: no line break, no control character


def put_header(message: EmailMessage, name: str, value: str, unencoded: str | None = None) -> None:
    """A header of a mail we compose, stored as it goes on the wire when that is plain: the
    default policy parses every value set into a header object and folds it again when the
    mail is written, a third of the CPU of a mail. A value that is printable ASCII and fits on
    a line, or text RFC 2047-encoded into lines that fit, is stored as such (read back, it is
    parsed as ever); anything else (a line break, which the policy refuses, an address it must
    encode) goes through the policy as before, as `unencoded` when given."""
    original = value
    if not value.isascii():
        value = Header(value, "utf-8", header_name=name).encode() if name == "Subject" else value
    elif len(name) + 2 + len(value) > MAX_HEADER_LINE:
        value = folded(name, value)
    lines = value.split("\n ")
    if (
        all(PLAIN_ASCII.fullmatch(line) for line in lines)
        and len(name) + 2 + len(lines[0]) <= MAX_HEADER_LINE
        and all(len(line) < MAX_HEADER_LINE for line in lines[1:])
    ):
        message.set_raw(name, "\n ".join(lines))
        return
    message[name] = unencoded if unencoded is not None else original


def folded(name: str, value: str) -> str:
    """An ASCII value folded at its spaces into lines that fit (`References` of ten ids)."""
    lines, line = [], name + ":"
    for word in value.split(" "):
        if line != name + ":" and len(line) + 1 + len(word) > MAX_HEADER_LINE - 1:
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    return "\n".join(lines)[len(name) + 2 :]


def confirm_rows(
    confirm: list[str], fields: dict[str, Any], lines: list[dict[str, Any]], language: str
) -> list[tuple[str, str]]:
    """(label, value) of each value the sender is asked to confirm: a field, or a return
    line's value (`lines[0].amount` → `第1行 金额`)."""
    rows = []
    for name in confirm:
        if name in fields:
            rows.append((field_label(name, language), value_text(name, fields[name], language)))
        elif (found := line_value(name)) and found[0] < len(lines):
            number, column = found[0] + 1, found[1]
            where = gettext(language, "mail.line_no", number=number)
            rows.append(
                (
                    f"{where} {field_label(column, language)}",
                    str(lines[number - 1].get(column, "?")),
                )
            )
    return rows


def acknowledgement(
    sender: Sender,
    *,
    to: str,
    case_no: str,
    kind: str,
    language: str,
    fields: dict[str, Any],
    missing: list[str],
    reply_by: str | None,
    in_reply_to: str | None,
    references: list[str],
    confirm: list[str] | None = None,
    refused: list[str] | None = None,
    reply_by_provisional: bool = False,
    lines: list[dict[str, Any]] | None = None,
) -> EmailMessage:
    """The text and HTML parts are rendered from the same catalog ids, so they say the same in
    the same script. `refused`: attachments not read (over the size limit)."""
    language = i18n.language_of(language)
    kind_name = kind_label(kind, language)
    subject = gettext(language, "subject.acknowledgement", case_no=case_no, kind=kind_name)
    context = dict(
        greeting=greeting(language, fields.get("customer_name") or fields.get("contact_person")),
        kind_label=kind_name,
        case_no=case_no,
        understood=understood(fields, language),
        missing=[field_label(name, language) for name in missing],
        reply_by=reply_by,
        reply_by_provisional=reply_by_provisional,
        desk_name=desk_name(sender, language),
        confirm=confirm_rows(confirm or [], fields, lines or [], language),
        refused=refused or [],
        subject=subject,
    )
    text = render("acknowledgement", language, **context)
    html = environment(language).get_template("mail/acknowledgement.html.j2").render(**context)
    return new_message(
        speaking(sender, language),
        to,
        subject,
        text,
        html=html,
        msgid=message_id(sender, case_no, "ack"),
        in_reply_to=in_reply_to,
        references=references,
    )


def reason_text(reason: str | dict[str, Any], language: str) -> str:
    """A reason for a person: a coded one (`{"code": "encrypted_pdf", "file": …}`) from the
    catalog; a text kept from before reasons had codes, as it is."""
    if isinstance(reason, dict):
        params = {key: value for key, value in reason.items() if key != "code"}
        return gettext(language, f"reason.{reason['code']}", **params)
    return reason


def notice(
    sender: Sender,
    *,
    to: str,
    language: str,
    reason: str,
    filename: str | None,
    in_reply_to: str | None,
    references: list[str],
    reasons: list[dict[str, Any]] | None = None,
) -> EmailMessage:
    """The polite note to a sender whose mail or file could not be processed: the coded
    `reasons` in their language (`reason`, the log's text, only when none has a code)."""
    language = i18n.language_of(language)
    shown = [reason_text(found, language) for found in reasons] if reasons else [reason]
    text = render(
        "notice", language, reasons=shown, filename=filename, desk_name=desk_name(sender, language)
    )
    first = shown[0]
    subject = gettext(
        language, "subject.notice", what=first if len(first) <= 40 else first[:38] + "…"
    )
    return new_message(
        speaking(sender, language),
        to,
        subject,
        text,
        msgid=message_id(sender, None, "notice"),
        in_reply_to=in_reply_to,
        references=references,
    )


COMMANDS = ("reply", "status", "assign", "category", "level", "note", "close")


def owner_notice(
    sender: Sender,
    *,
    to: str,
    owner: str,
    case_no: str,
    kind: str,
    fields: dict[str, Any],
    category: str | None,
    level: str | None,
    business_line: str | None,
    origin: str | None,
    deadlines: list[dict[str, str]],
    escalate: bool,
    cc: list[str],
    uncertain: list[str] | None = None,
    why: str = "",
    unverified: list[str] | None = None,
    held: list[tuple[str, str]] | None = None,
    language: str = i18n.SOURCE_LANGUAGE,
    rule_labels: dict[str, dict[str, str]] | None = None,
) -> EmailMessage:
    """To the case's owner, in the desk's language: the facts with their labels, `uncertain`
    facts (judged on weak or conflicting evidence, `why`) and `unverified` fields (OCR) marked,
    `held` return lines with their reasons, how to reach the customer, the deadlines and the
    `#` commands that apply. `rule_labels`: a desk's own categories' names from its rule file."""
    uncertain = list(dict.fromkeys(uncertain or []))
    mark = gettext(language, "owner.uncertain_mark")
    facts = [
        (
            gettext(language, f"owner.fact.{'line' if fact == 'business_line' else fact}"),
            fact_label(language, fact, value, rule_labels) + (mark if fact in uncertain else ""),
        )
        for fact, value in (
            ("category", category),
            ("level", level),
            ("business_line", business_line),
        )
    ]
    facts.append((gettext(language, "owner.fact.sender"), origin or "—"))
    uncertain_names = gettext(language, "punct.list_sep").join(
        gettext(language, f"owner.fact.{'line' if fact == 'business_line' else fact}")
        for fact in uncertain
    )
    contact = ""
    if not origin:
        phone = fields.get("phone")
        contact = (
            gettext(language, "owner.no_email", phone=phone)
            if phone
            else gettext(language, "owner.no_contact")
        )
    shown_unverified = {
        name: gettext(language, "owner.unverified_mark") for name in unverified or []
    }
    commands = [c for c in COMMANDS if c != "reply" or origin]
    if kind == "return_sheet":
        commands.append("line")
    text = render(
        "owner_notice",
        language,
        owner=owner,
        case_no=case_no,
        kind_label=kind_label(kind, language),
        facts=facts,
        uncertain=uncertain_names,
        why=why,
        contact=contact,
        understood=understood(fields, language, shown_unverified),
        held=held or [],
        deadlines=[
            (label(language, "step", d["step"]), deadline_text(d, language)) for d in deadlines
        ],
        escalate=escalate,
        commands=commands,
        desk_name=desk_name(sender, language),
    )
    who = (
        fields.get("customer_name") or fields.get("company") or origin or fields.get("phone") or "—"
    )
    subject = gettext(
        language, "subject.owner_notice", case_no=case_no, kind=kind_label(kind, language), who=who
    )
    return new_message(
        speaking(sender, language),
        to,
        subject,
        text,
        msgid=message_id(sender, case_no, "owner"),
        cc=cc,
    )


def deadline_text(deadline: dict[str, Any], language: str) -> str:
    """`2026-11-29 12:40`, marked when that year's holidays are not published yet."""
    due = datetime.fromisoformat(deadline["due"]).strftime("%Y-%m-%d %H:%M")
    return due + (
        gettext(language, "owner.deadline_provisional") if deadline.get("provisional") else ""
    )


def customer_mail(
    sender: Sender,
    template: str,
    *,
    to: str,
    case_no: str,
    kind: str,
    language: str,
    greeting_name: str | None,
    in_reply_to: str | None = None,
    automatic: bool = True,
    **context: Any,
) -> EmailMessage:
    """A mail to the customer about their case, in their language (`survey`, `case_reply`); a
    staff reply that greets the customer itself gets no second greeting."""
    language = i18n.language_of(language)
    kind_name = kind_label(kind, language)
    own_greeting = OWN_GREETING.match(str(context.get("text", "")))
    text = render(
        template,
        language,
        greeting="" if own_greeting else greeting(language, greeting_name),
        case_no=case_no,
        desk_name=desk_name(sender, language),
        **context,
    )
    subject = gettext(language, f"subject.{template}", case_no=case_no, kind=kind_name)
    return new_message(
        speaking(sender, language),
        to,
        subject,
        text,
        msgid=message_id(sender, case_no, template),
        in_reply_to=in_reply_to,
        automatic=automatic,
    )


def staff_note(
    sender: Sender,
    *,
    to: str,
    subject: str,
    greeting: str,
    intro: str,
    rows: list[tuple[str, str]],
    case_no: str | None,
    purpose: str,
    language: str,
    closing: str = "",
    cc: list[str] | None = None,
    in_reply_to: str | None = None,
    msgid: str | None = None,
) -> EmailMessage:
    """A short mail to staff, in the desk's `language` (which every caller names): overdue
    reminders, digests, command results, callback requests, alerts. The caller words
    `subject`, `intro`, `rows` and `closing` from the catalog (tests/test_no_display_text_in_code
    checks that no literal text reaches them)."""
    text = render(
        "staff_note",
        language,
        greeting=greeting,
        intro=intro,
        rows=rows,
        closing=closing,
        desk_name=desk_name(sender, language),
    )
    return new_message(
        speaking(sender, language),
        to,
        subject,
        text,
        msgid=msgid or message_id(sender, case_no, purpose),
        cc=cc,
        in_reply_to=in_reply_to,
    )


SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(office hour|working day|hour|day|month)s?\s*$")


def span_text(span: str, language: str) -> str:
    """A rule file's length of time (`7 days`, `2 office hours`, `3 months`) in `language`."""
    found = SPAN.match(span)
    if found is None:
        return span
    number = found.group(1).removesuffix(".0")
    unit = found.group(2).replace(" ", "_")
    return gettext(language, f"span.{unit}{'' if number == '1' else 's'}", n=number)


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def return_slip(
    sender: Sender,
    *,
    to: str,
    case_no: str,
    slip_no: str,
    language: str,
    greeting_name: str | None,
    rows: list[tuple[str, str]],
    docx: bytes,
    pdf: bytes | None,
    decisions: set[str] | None = None,
    return_days: int | None = None,
) -> EmailMessage:
    """The return slip to the dealer: a summary in the body, the slip attached (.docx, and PDF).
    A slip that accepts nothing is a decision notice, not a 退货单; `return_days` is the time
    limit the slip states."""
    language = i18n.language_of(language)
    decisions = decisions if decisions is not None else {"accepted"}
    accepts = "accepted" in decisions
    title = gettext(language, "slip.title" if accepts else "slip.title_decision")
    text = render(
        "return_slip",
        language,
        greeting=greeting(language, greeting_name, partner=True),
        case_no=case_no,
        slip_no=slip_no,
        title=title,
        rows=rows,
        accepted=accepts,
        refused="refused" in decisions,
        waiting=bool(decisions & {"pending", "held"}),
        return_days=return_days,
        desk_name=desk_name(sender, language),
    )
    subject = gettext(
        language,
        "subject.return_slip" if accepts else "subject.return_decision",
        case_no=case_no,
        slip_no=slip_no,
    )
    stem = gettext(language, "slip.file" if accepts else "slip.file_decision", slip_no=slip_no)
    attachments = [(f"{stem}.docx", docx, DOCX_TYPE)]
    if pdf:
        attachments.append((f"{stem}.pdf", pdf, "application/pdf"))
    return new_message(
        speaking(sender, language),
        to,
        subject,
        text,
        msgid=message_id(sender, case_no, "slip"),
        attachments=attachments,
    )
