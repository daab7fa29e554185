"""E-mail: a full MIME walk. Headers and bodies in the charsets people really send, HTML-only
bodies, attachments parsed by their own parsers, forwarded messages, quoted replies cut off,
and the message's kind decided from headers, body and attachments together."""

from __future__ import annotations

import re
from datetime import date
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from functools import lru_cache
from string import Formatter

import lxml.html

from parsers import (
    parse_document,  # the registry imports this module when a mail comes, not at its own import
)
from parsers.addresses import sender_identity, valid_address
from parsers.kinds import answers_survey, is_courtesy, kind_scores, satisfaction
from parsers.language import detect_language
from parsers.limits import MiB, ParseLimits
from parsers.model import ParsedDocument, ParseError
from parsers.normalise import CONTROL
from parsers.people import read_sender_fields
from parsers.products import read_product
from parsers.purchase_dates import read_purchase_date
from parsers.text import decode, read_text_fields
from vocabulary import Kind

MAX_NESTING = 3
# Form kinds a mail's own text is taken for only with strong evidence (a keyword in the subject
# and in the body, and label lines): a person's letter that says 金额 or 质量问题 is no form.
BODY_FORM_MIN_SCORE = 4
BODY_FORM_MIN_FIELDS = 3
# Where the quoted original of a reply starts.
QUOTE_START = re.compile(
    r"^\s*(?:-{2,}\s*(?:原始邮件|原始郵件|Original Message|回复的邮件)\s*-{2,}"
    r"|On .{4,200} wrote:\s*$|在\s*.{4,200}写道[:：]\s*$|.{0,40}\d{4}.{0,60}写道[:：]\s*$"
    r"|_{10,}\s*$|(?:发件人|寄件者|From)\s*[:：].{3,}$)",
    re.IGNORECASE,
)
FORWARD_START = re.compile(
    r"^\s*-{2,}\s*(?:Forwarded message|转发邮件|轉寄郵件|转发的邮件|Weitergeleitete Nachricht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
SIGNATURE_START = re.compile(r"^(?:--|__)\s*$")
BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
BOUNCE_SUBJECTS = re.compile(
    r"undeliver|delivery status notification|delivery failure|failure notice|returned mail"
    r"|退信|无法投递|未能送达|投递失败|系統退信|系统退信",
    re.IGNORECASE,
)
AUTO_SUBJECTS = re.compile(
    r"^\s*(?:auto(?:matic)?[ -]?reply|auto[ -]?response|out of (?:the )?office|自动回复|自動回覆|自动答复|休假|不在办公室)",
    re.IGNORECASE,
)
FORM_KIND_PRIORITY = (
    Kind.RETURN_SHEET,
    Kind.INSPECTION,
    Kind.FEEDBACK_FORM,
    Kind.CALLBACK,
    Kind.COMPLAINT,
)
BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "tr",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "blockquote",
}


def parse(data: bytes, filename: str, limits: ParseLimits, depth: int = 0) -> ParsedDocument:
    if len(data) > limits.max_message_bytes:
        raise ParseError(
            "message_too_large",
            size=f"{len(data) / MiB:.0f}",
            limit=f"{limits.max_message_bytes / MiB:.0f}",
        )
    # parsed once, with the compat32 policy: the default policy makes a header object of every
    # header looked at (Content-Type per part, filenames, list headers), a third of a mail's
    # parse; what is read is decoded here on demand (header_text, raw_value), and the sender's
    # identity comes from the raw From either way (read_headers)
    message = BytesParser(policy=policy.compat32).parsebytes(data)
    doc = ParsedDocument(file=filename, format="eml")
    doc.meta = read_headers(message)
    if doc.meta["sender"]:
        doc.put("email", doc.meta["sender"], "From")
    elif depth and (written := valid_address(parseaddr(header_text(message, "From"))[1])):
        # a forwarded original's From, as its mailer wrote it (some encode the whole header):
        # the customer's contact, a field like any other, never the sender's identity
        doc.put("email", written, "forwarded From", 0.8)
    body, forwarded = walk(message, doc, limits, depth)
    if is_bounce(doc.meta):
        doc.meta.update(bounce_details(message, data, doc.meta["message_id"]))
    own, quoted = split_quoted(body)
    doc.text = own
    doc.meta["quoted"] = quoted[:2000]
    doc.title = doc.meta["subject"]
    doc.language = detect_language(doc.title + "\n" + own) or detect_language(body)
    marked = "\n".join(line for line in body.splitlines() if line.lstrip().startswith(">"))
    decide_kind(
        doc, own, quoted + "\n" + marked, forwarded, case_ref_pattern(limits.case_number_format)
    )
    report_broken_attachments(doc)
    report_refused_attachments(doc)
    return doc


def report_refused_attachments(doc: ParsedDocument) -> None:
    """Attachments over the file limit: a warning (the acknowledgement names them) when the
    mail is understood without them, the reason it cannot be processed when it is not."""
    refused = doc.meta.get("refused", [])
    for name in refused:
        if doc.kind == Kind.UNKNOWN:
            doc.fail("attachment_refused", file=name)
        else:
            doc.warnings.append(ParseError("attachment_refused", file=name).__str__())


def report_broken_attachments(doc: ParsedDocument) -> None:
    """An attachment that could not be read makes the mail's errors, unless the mail stands
    on its own (a complete complaint in the body): then it is a warning on the case."""
    reasons = [error for attachment in doc.attachments for error in attachment.errors]
    if not reasons or doc.kind in (Kind.BOUNCE, Kind.AUTO_REPLY, Kind.REPLY, Kind.CALLBACK):
        return
    if best_form(doc.attachments) is not None or (
        doc.kind == Kind.COMPLAINT and len(doc.fields) >= 4
    ):
        doc.warnings.extend(reasons)
        return
    doc.errors.extend(reasons)
    doc.reasons.extend(reason for attachment in doc.attachments for reason in attachment.reasons)
    doc.kind = Kind.UNKNOWN


# Headers whose order matters to trust: Authentication-Results count only above our server's
# Received (processor/trust.py).
TRACE_HEADERS = ("received", "authentication-results")
# Mail sent to many (RFC 2369, RFC 2919, Google's Feedback-ID): bulk, never answered.
LIST_HEADERS = ("List-Id", "List-Unsubscribe", "Feedback-ID")


def read_headers(message: Message) -> dict:
    raw = [(name, raw_value(value)) for name, value in message.raw_items()]
    sender_name = parseaddr(header_text(message, "From"))[0]  # for greetings only, never for trust
    return {
        # the one sender identity, from the raw header (an address in a display name is no sender)
        "sender": sender_identity([value for name, value in raw if name.lower() == "from"]),
        "sender_name": sender_name or None,
        "headers": [(name, value) for name, value in raw if name.lower() in TRACE_HEADERS],
        "list": any(message.get(name) is not None for name in LIST_HEADERS),
        "to": [address for _, address in getaddresses([header_text(message, "To")]) if address],
        "subject": header_text(message, "Subject"),
        "message_id": header_text(message, "Message-ID") or None,
        "in_reply_to": header_text(message, "In-Reply-To") or None,
        "references": header_text(message, "References").split(),
        "date": header_text(message, "Date") or None,
        "authentication_results": [
            "".join(str(value).splitlines())
            for value in message.get_all("Authentication-Results", [])
        ],
        "auto_submitted": header_text(message, "Auto-Submitted").lower() or None,
        "precedence": header_text(message, "Precedence").lower() or None,
        "x_autoreply": bool(message.get("X-Autoreply") or message.get("X-Autorespond")),
        "mailing_list": bool(message.get("List-Id") or message.get("List-Unsubscribe")),
        "content_type": message.get_content_type(),
        "report_type": (message.get_param("report-type") or "").lower()
        if message.get_content_type() == "multipart/report"
        else "",
    }


def raw_value(value: str | bytes) -> str:
    """A header's raw value as text, unfolded; RFC 2047 words left encoded."""
    if isinstance(value, bytes):
        value = decode(value)
    value = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in value):  # raw 8-bit (UTF-8 addresses, RFC 6532)
        value = decode(value.encode("utf-8", "surrogateescape"))
    return " ".join(value.split())


def header_text(message: Message, name: str) -> str:
    """A header decoded from its raw form: RFC 2047 words in the charset they claim (widened:
    gb2312 → gb18030), raw 8-bit headers guessed, folded lines joined."""
    raw = None
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            raw = value
            break
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        raw = decode(raw)
    raw = raw.replace("\r", "").replace("\n", "")
    if "\udc80" <= max(raw, default=" ") or any("\udc80" <= ch <= "\udcff" for ch in raw):
        raw = decode(raw.encode("utf-8", "surrogateescape"))
    parts = []
    for chunk, charset in decode_header(raw):
        parts.append(decode(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def part_filename(part: Message) -> str | None:
    """RFC 2231 names come decoded; Outlook's encoded-words inside a parameter are decoded here."""
    name = part.get_filename()
    if name and "=?" in name:
        name = "".join(
            decode(chunk, charset) if isinstance(chunk, bytes) else chunk
            for chunk, charset in decode_header(name)
        )
    if name:  # a file name is never a path, nor has it line breaks: keep the last part only
        name = CONTROL.sub(" ", re.split(r"[\\/]", name)[-1]).strip() or None
    return name


def part_text(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    text = decode(payload, part.get_content_charset())
    return html_to_text(text) if part.get_content_type() == "text/html" else text


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, one line per block; scripts and styles dropped."""
    if not html.strip():
        return ""
    try:
        root = lxml.html.fromstring(html)
    except Exception:  # lxml refuses some fragments; fall back to stripping tags
        return re.sub(r"<[^>]+>", " ", html)
    for element in list(root.iter("script", "style", "head")):
        element.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    text = root.text_content()
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def walk(message: Message, doc: ParsedDocument, limits: ParseLimits, depth: int):
    """The body text, and the forwarded messages parsed; attachments parsed into `doc`."""
    plain, html = [], []
    forwarded: list[ParsedDocument] = []
    attachments = 0
    parts = parts_of(message)
    for part, content_type, inside_forwarded in parts:
        if part.is_multipart():
            continue
        filename = part_filename(part)
        disposition = part.get_content_disposition()
        if content_type == "message/rfc822" or (
            content_type.startswith("message/") and content_type != "message/delivery-status"
        ):
            continue  # its message is walked too; handled below
        if filename is None and disposition != "attachment" and content_type.startswith("text/"):
            if not inside_forwarded:
                (html if content_type == "text/html" else plain).append(part_text(part))
            continue
        if content_type in ("message/delivery-status", "text/rfc822-headers"):
            continue
        attachments += 1
        if attachments > limits.max_attachments:
            doc.warnings.append(
                f"more than {limits.max_attachments} attachments: the rest were not read"
            )
            break
        payload = part.get_payload(decode=True) or b""
        name = filename or f"attachment-{attachments}"
        if len(payload) > limits.max_file_bytes:  # refused by name; the rest of the mail is read
            doc.meta.setdefault("refused", []).append(
                f"{name} ({len(payload) / MiB:.0f} MB, over the limit of {limits.max_file_bytes / MiB:.0f} MB)"
            )
            continue
        if content_type.startswith(("video/", "audio/")):
            doc.evidence.append(name)
            continue
        attachment = parse_document(payload, name, limits)
        if attachment.format == "image" and (attachment.meta.get("photo") or attachment.errors):
            doc.evidence.append(name)  # a photo of the defect, not a form: kept with the case
            continue
        doc.attachments.append(attachment)
    if depth < MAX_NESTING:
        for part, content_type, inside_forwarded in parts:
            if content_type == "message/rfc822" and not inside_forwarded:
                inner = part.get_payload()[0] if part.is_multipart() else None
                if inner is not None:
                    forwarded.append(parse(inner.as_bytes(), doc.file, limits, depth + 1))
    body = "\n".join(plain) if plain else "\n".join(html)
    return body, forwarded


def parts_of(message: Message) -> list[tuple[Message, str, bool]]:
    """(part, content type, whether it belongs to a forwarded message/rfc822 rather than to the
    mail itself) of every part, in `walk()` order. Each Content-Type is parsed once: the
    default policy parses a header anew at each look, and looking again per part made a
    mail with many parts cost the square of their number."""
    found: list[tuple[Message, str, bool]] = []

    def visit(node: Message, inside: bool) -> None:
        content_type = node.get_content_type()
        found.append((node, content_type, inside))
        if node.is_multipart():
            for child in node.get_payload():
                visit(child, inside or content_type == "message/rfc822")

    visit(message, False)
    return found


def split_quoted(body: str) -> tuple[str, str]:
    """(what the sender wrote, what they quoted or forwarded); `>` lines and the signature
    are not the sender's words."""
    lines = body.replace("\r\n", "\n").split("\n")
    own: list[str] = []
    for index, line in enumerate(lines):
        if QUOTE_START.match(line) or FORWARD_START.match(line):
            return _drop_signature(own), "\n".join(lines[index:])
        if SIGNATURE_START.match(line):
            return "\n".join(own).strip(), "\n".join(lines[index:])
        if not line.lstrip().startswith(">"):
            own.append(line)
    return _drop_signature(own), ""


def _drop_signature(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def case_ref_pattern(case_number_format: str) -> re.Pattern[str]:
    """Our own case numbers, as the desk's `case_number_format` writes them (CS-{yy}{mm}-{seq:04d}
    → CS-2611-0042); a customer's PO-2610-088 or RMA-2610-027 is not one."""
    return _case_ref_pattern(case_number_format)


@lru_cache(maxsize=4)
def _case_ref_pattern(case_number_format: str) -> re.Pattern[str]:
    parts = []
    for literal, name, spec, _ in Formatter().parse(case_number_format):
        parts.append(re.escape(literal))
        if name is None:
            continue
        parts.append(_digits(name, spec))
    return re.compile(r"(?<![A-Za-z0-9])(" + "".join(parts) + r")(?![A-Za-z0-9])", re.IGNORECASE)


def _digits(name: str, spec: str) -> str:
    if name in ("yy", "mm"):
        return r"\d{2}"
    if name == "yyyy":
        return r"\d{4}"
    width = re.fullmatch(r"0?(\d+)d", spec or "")
    return rf"\d{{{width.group(1)},}}" if width else r"\d+"


def decide_kind(
    doc: ParsedDocument,
    own: str,
    quoted: str,
    forwarded: list[ParsedDocument],
    case_ref: re.Pattern[str],
) -> None:
    meta = doc.meta
    subject = meta["subject"]
    if is_bounce(meta) or is_auto_reply(meta):
        doc.kind = Kind.BOUNCE if is_bounce(meta) else Kind.AUTO_REPLY
        doc.fields.pop("email", None)  # a robot's address is no customer's
        return
    doc.case_ref = find_case_ref(meta, case_ref)
    form = best_form(doc.attachments)
    if form is not None:
        adopt(doc, form)
        return
    inner = next((f for f in forwarded if f.kind in FORM_KIND_PRIORITY), None)
    if inner is None and quoted and FORWARD_START.match(quoted.split("\n", 1)[0]):
        inner = _forwarded_inline(doc, quoted)
    if (
        doc.case_ref and top_kind(subject, own) != Kind.INSPECTION
    ):  # a verdict in the body names its case
        answer_about_case(doc, own, quoted)
        return
    read_text_fields(doc, own, "body")
    own_kind = body_kind(subject, own, doc)
    if inner is not None and (own_kind != Kind.COMPLAINT or len(doc.fields) <= 2 or inner.fields):
        adopt(doc, inner, sender_too=True)
        if (
            doc.kind == Kind.COMPLAINT
        ):  # the forwarded words unsigned: the one who forwards them is the contact
            read_sender_fields(doc, own)
        return
    doc.kind = own_kind
    if doc.kind == Kind.COMPLAINT:
        again = quoted if forwards(subject, quoted) else ""
        told = own + ("\n\n" + again if again else "")
        doc.text = told  # what is judged: a complaint forwarded again is its forwarded words too
        read_sender_fields(doc, own, again)
        read_product(doc, doc.meta["subject"] + "\n" + told)
        read_purchase_date(doc, told, sent_day(doc.meta.get("date")))
        doc.put("description", _description(own), "body", 0.6)


HEADER_LINE = re.compile(
    r"^\s*(?:From|To|Date|Subject|Sent|发件人|收件人|日期|时间|主题|寄件者|寄件日期|主旨)\s*[:：]",
    re.IGNORECASE | re.MULTILINE,
)
FORWARDED_SUBJECT = re.compile(r"^\s*(?:fwd?|转发|轉寄|转寄|轉發)\s*[:：]", re.IGNORECASE)


def forwards(subject: str, quoted: str) -> bool:
    """A mail that forwards text (`Fw:` subject, or a forwarded-message line): the forwarded
    words are the customer's too (a complaint sent again because nobody answered)."""
    return bool(quoted) and (
        bool(FORWARDED_SUBJECT.match(subject or ""))
        or bool(FORWARD_START.match(quoted.split("\n", 1)[0]))
    )


def sent_day(header: str | None) -> date | None:
    """The day a mail says it was sent (its Date header), if it says one that can be read."""
    try:
        return parsedate_to_datetime(header).date() if header else None
    except (TypeError, ValueError, IndexError):
        return None


def answer_about_case(doc: ParsedDocument, own: str, quoted: str) -> None:
    """A mail quoting our case number: a callback answer when it says whether the customer is
    satisfied or answers our survey (satisfied, not satisfied or neither), else a reply; a
    plain thank-you is marked a courtesy (recorded on a closed case, not a reopening). The
    writer's name and phone are read from its own words too (a reply often brings a number to
    call back on; a stranger quoting a case opens a linked case with them)."""
    survey = answers_survey(doc.meta["subject"], quoted[:300] + "\n" + quoted[-600:])
    verdict = satisfaction(own, survey)
    doc.kind = Kind.CALLBACK if verdict is not None or survey else Kind.REPLY
    if verdict is not None:
        doc.put("satisfied", verdict, "body", 0.9)
    doc.meta["courtesy"] = verdict is None and is_courtesy(own)
    read_sender_fields(doc, own)


def top_kind(subject: str, own: str) -> str | None:
    """The kind a mail's own words score highest for, if any."""
    scores = kind_scores(subject, own)
    return max(scores, key=scores.__getitem__) if scores else None


def body_kind(subject: str, own: str, doc: ParsedDocument) -> str:
    """What a person's own words are: a form only on strong evidence; any other text from a
    person is a complaint (it opens a case and is answered in their language)."""
    scores = kind_scores(subject, own)
    form = max(scores, key=scores.__getitem__) if scores else None
    if form == Kind.COMPLAINT or (
        form is not None
        and scores[form] >= BODY_FORM_MIN_SCORE
        and len(doc.fields) >= BODY_FORM_MIN_FIELDS
    ):
        return form
    has_words = len(re.sub(r"\W", "", subject + own)) >= 4
    return Kind.COMPLAINT if has_words else Kind.UNKNOWN


def _forwarded_inline(doc: ParsedDocument, quoted: str) -> ParsedDocument:
    """A message forwarded as text below a `---- Forwarded message ----` line."""
    inner = ParsedDocument(file=doc.file, format="eml")
    header, _, rest = quoted.partition("\n\n")
    if not HEADER_LINE.search(header):  # the forwarded words right below the line, no headers
        header, rest = "", quoted.split("\n", 1)[-1]
    if match := re.search(
        r"(?:From|发件人|寄件者)\s*[:：].*?([\w.+-]+@[\w-]+(?:\.[\w-]+)+)", header
    ):
        inner.put("email", match.group(1).lower(), "forwarded header")
    read_text_fields(inner, rest, "forwarded text")
    inner.kind = body_kind("", rest, inner)
    inner.text = rest
    if inner.kind == Kind.COMPLAINT:  # the forwarded writer's name and phone, from its words
        read_sender_fields(inner, rest)
    return inner


def adopt(doc: ParsedDocument, source: ParsedDocument, sender_too: bool = False) -> None:
    """Take kind, fields and lines from an attachment or a forwarded message; fields of the
    mail itself (the sender's address) stay unless the forwarded original has its own."""
    doc.kind = source.kind
    doc.lines = source.lines or doc.lines
    doc.case_ref = doc.case_ref or source.case_ref
    if source.language and not (doc.language and source.format == "eml"):
        doc.language = source.language if source.format != "eml" else doc.language
    for name, found in source.fields.items():
        if name == "email" and not sender_too:
            continue
        if sender_too or name not in doc.fields:
            doc.fields[name] = found
    doc.warnings.extend(source.warnings)
    if source.kind == Kind.COMPLAINT and source.format == "eml" and source.text:
        doc.put("description", _description(source.text), "forwarded body", 0.6)
        doc.text = "\n\n".join(part for part in (doc.text, source.text) if part)  # judged on both


def _description(text: str) -> str | None:
    """The complaint in the sender's words: greeting and sign-off lines left out."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    while lines and len(lines[-1]) <= 30 and not re.search(r"[。！？.!?]$", lines[-1]):
        lines.pop()  # signature: name, phone, company
    if lines and re.search(r"[:：,，]$", lines[0]) and len(lines[0]) <= 30:
        lines.pop(0)  # greeting: 您好： / Dear team,
    return " ".join(lines) or None


def best_form(attachments: list[ParsedDocument]) -> ParsedDocument | None:
    for kind in FORM_KIND_PRIORITY:
        for attachment in attachments:
            if attachment.kind == kind and not attachment.errors:
                return attachment
    return None


BOUNCED_ID = re.compile(r"^\s*Message-ID\s*:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)


def bounce_details(message: Message, data: bytes, own_id: str | None) -> dict:
    """From a delivery report: the Message-IDs of the mail that bounced, whether it failed or is
    only delayed, and the status the server gave (RFC 3464, and the text of older bouncers)."""
    ids: list[str] = []
    action, status = None, []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            for block in part.get_payload() if part.is_multipart() else []:
                if block.get("Action"):
                    action = action if action == "failed" else str(block["Action"]).strip().lower()
                for name in ("Final-Recipient", "Status", "Diagnostic-Code"):
                    if block.get(name):
                        status.append(
                            f"{name}: {''.join(str(block[name]).splitlines()).strip()}"
                        )  # unfolded
        elif content_type == "message/rfc822" and part.is_multipart():
            if original := part.get_payload()[0].get("Message-ID"):
                ids.append(str(original).strip())
        elif content_type == "text/rfc822-headers":
            ids.extend(BOUNCED_ID.findall(decode(part.get_payload(decode=True) or b"")))
    if not ids:  # bouncers that quote the original as text
        ids = [found for found in BOUNCED_ID.findall(decode(data[:200000])) if found != own_id]
    return {
        "bounced_message_ids": list(dict.fromkeys(ids)),
        "bounce_action": action or "failed",
        "bounce_status": "; ".join(status)[:1000] or None,
    }


def is_bounce(meta: dict) -> bool:
    local = (meta["sender"] or "").split("@")[0]
    return (
        meta["report_type"] == "delivery-status"
        or local in BOUNCE_SENDERS
        or (bool(meta["auto_submitted"]) and bool(BOUNCE_SUBJECTS.search(meta["subject"])))
    )


def is_auto_reply(meta: dict) -> bool:
    """RFC 3834 Auto-Submitted, the X-Autoreply family, bulk/list precedence and list headers,
    read receipts and the subjects autoresponders use."""
    return (
        (meta["auto_submitted"] not in (None, "no"))
        or meta["x_autoreply"]
        or meta.get("mailing_list", False)
        or meta["precedence"] in ("bulk", "junk", "list", "auto_reply")
        or meta.get("list", False)
        or meta["report_type"] in ("disposition-notification", "feedback-report")
        or bool(AUTO_SUBJECTS.search(meta["subject"]))
    )


def find_case_ref(meta: dict, pattern: re.Pattern[str] | None = None) -> str | None:
    """Our case number quoted in the subject, or in the ids of a mail we sent it in."""
    pattern = pattern or case_ref_pattern(ParseLimits().case_number_format)
    for text in [meta["subject"], meta["in_reply_to"] or "", *meta["references"]]:
        if match := pattern.search(text):
            return match.group(1).upper()
    return None
