"""Every outgoing mail kind of part A and the return slip, rendered in zh-Hans, zh-Hant and en,
read as its recipient would: no raw catalog key, no English words in Chinese text, no
simplified characters in zh-Hant, no Chinese in English text. Fails on the code before issue
21 (English reasons to Chinese senders, simplified HTML labels in zh-Hant, `/ for staff`)."""

from __future__ import annotations

import email
import io
import re
import shutil
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import opencc
import pdfplumber
import pytest
from sqlalchemy import select

from outputs import compose
from outputs.reasons import because, reason
from outputs.slips import render_slip, slip_pdf
from parsers.model import ParsedDocument, ParseError
from processor import attention, batch_alerts, cases, delivery, jobs, problems, returns, staff
from processor.config import load_config
from processor.desk import Desk
from processor.sources.folder import reason_file
from processor.store.models import BatchAlert, Case, Document, OutboxMessage, utcnow
from tests.conftest import publish_calendar

LANGUAGES = ("zh-Hans", "zh-Hant", "en")
DESK = compose.Sender("售后服务中心", "desk@desk.localhost")
ALLOWED_LATIN = re.compile(
    r"`[^`]*`|\[+[\w.]+\]+|[\w.+-]+@[\w.-]+|https?://\S+|\b[A-Z]{1,4}-?\d[\w-]*|\b[A-Z]{2,}\b|#\w+|\b(?:accept|refuse)\b|"
    r"\.(?:pdf|docx?|xlsx?|png|jpe?g)\b|\b[a-z]+\.(?:pdf|docx)\b|\bPDF\b|\bP90\b|[a-z_]+\.[a-z_]+"
)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
FIELDS = {
    "customer_name": "王先生",
    "phone": "13800000000",
    "product_name": "凯美瑞",
    "request": "repair",
    "description": "发动机异响",
    "purchase_date": "2026-10-01",
}


def parts(message: EmailMessage) -> dict[str, str]:
    found = {"subject": str(message["Subject"]), "from": str(message["From"])}
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html") and not part.get_filename():
            text = part.get_content()
            found[part.get_content_type()] = (
                re.sub(r"<[^>]+>", " ", text) if part.get_content_subtype() == "html" else text
            )
    return found


SENDERS_WORDS = (
    "王先生",
    "凯美瑞",
    "凱美瑞",
    "发动机异响",
    "發動機異響",
    "机油",
    "桶",
    "张伟",
    "華東汽配",
    "华东汽配",
)


def in_its_language(text: str, language: str, what: str) -> None:
    """The desk's own words only: what the sender wrote (names, products) stays as they wrote it."""
    for word in SENDERS_WORDS:
        text = text.replace(word, "")
    assert "{{" not in text and not re.search(
        r"\b(?:category|level|line|status|step|field|reason|ack|owner|slip)\.[a-z_]+", text
    ), f"{what}: a raw key in {text!r}"
    if language == "en":
        assert not CJK.search(text), f"{what}: Chinese in English text {text!r}"
        return
    words = LATIN_WORD.findall(ALLOWED_LATIN.sub(" ", text))
    assert not words, f"{what}: Latin words {words} in {language} text {text!r}"
    if language == "zh-Hant":
        traditional = opencc.OpenCC("s2tw").convert(text)
        changed = [(a, b) for a, b in zip(text, traditional, strict=True) if a != b]
        assert not changed, f"{what}: simplified characters {changed} in zh-Hant text"


def mails(language: str) -> dict[str, EmailMessage]:
    common = dict(in_reply_to=None, references=[])
    fields = (
        {k: compose.i18n.to_traditional(v, {}) for k, v in FIELDS.items()}
        if language == "zh-Hant"
        else FIELDS
    )
    return {
        "acknowledgement": compose.acknowledgement(
            DESK,
            to="c@example.test",
            case_no="CS-2611-0001",
            kind="complaint",
            language=language,
            fields=fields,
            missing=["vin"],
            reply_by="2026-11-29 12:00",
            reply_by_provisional=True,
            confirm=["phone"],
            refused=["big.pdf"],
            **common,
        ),
        "notice": compose.notice(
            DESK,
            to="c@example.test",
            language=language,
            reason="x",
            filename="complaint.pdf",
            reasons=[ParseError("encrypted_pdf", file="complaint.pdf").reason],
            **common,
        ),
        "case_reply": compose.customer_mail(
            DESK,
            "case_reply",
            to="c@example.test",
            case_no="CS-2611-0001",
            kind="complaint",
            language=language,
            greeting_name=None,
            text="OK-123",
        ),
        "survey": compose.customer_mail(
            DESK,
            "survey",
            to="c@example.test",
            case_no="CS-2611-0001",
            kind="complaint",
            language=language,
            greeting_name=None,
            replied_on="2026-11-20",
        ),
        "owner_notice": compose.owner_notice(
            DESK,
            to="o@desk.localhost",
            owner="张伟" if language != "en" else "Zhang Wei",
            case_no="CS-2611-0001",
            kind="complaint",
            fields=fields,
            category="service",
            level="grievance",
            business_line="after_sales",
            origin=None,
            deadlines=[
                {
                    "step": "close",
                    "due": "2026-11-29T12:40+08:00",
                    "why": "seed 004 §5",
                    "provisional": True,
                }
            ],
            escalate=True,
            cc=[],
            uncertain=["level"],
            why="",
            unverified=["phone"],
            language=language,
        ),
        "return_slip": compose.return_slip(
            DESK,
            to="d@example.test",
            case_no="CS-2611-0002",
            slip_no="TH-2611-0001",
            language=language,
            greeting_name=None,
            rows=returns.slip_rows(slip_lines(), language),
            docx=b"x",
            pdf=None,
            decisions={"refused", "held"},
            return_days=returns.SHIP_BACK_DAYS,
        ),
    }


def slip_lines() -> list[SimpleNamespace]:
    def line(number: int, decision: str, why: str) -> SimpleNamespace:
        return SimpleNamespace(
            line_no=number,
            order_no=f"SO-{number}",
            part_no="P-1",
            product_name="机油",
            spec="4L",
            quantity=2.0,
            unit="桶",
            unit_price=80.0,
            amount=160.0,
            decision=decision,
            decision_reason=why,
            problems=[],
        )

    return [
        line(1, "refused", returns.because(returns.reason("return.reported_late", days=7, age=41))),
        line(
            2,
            "held",
            returns.because(returns.reason("return.reviewed", reason_label="return_reason.other")),
        ),
        line(3, "pending", returns.because(returns.reason("return.awaiting_inspection"))),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_mail_kind_is_wholly_in_its_readers_language(language):
    for kind, message in mails(language).items():
        for part, text in parts(message).items():
            if part == "from" or kind == "owner_notice" and language != "en" and part == "subject":
                text = text.split("<")[0]
            in_its_language(text, language, f"{kind} {part}")


def test_text_and_html_of_the_acknowledgement_agree_and_the_english_one_is_signed_in_english():
    hant = parts(mails("zh-Hant")["acknowledgement"])
    assert "投訴人" in hant["text/html"] and "投訴人" in hant["text/plain"]
    assert (
        "white-space: nowrap"
        in mails("zh-Hant")["acknowledgement"].get_body(("html",)).get_content()
    )
    english = parts(mails("en")["acknowledgement"])
    assert "After-Sales Service Center" in english["from"] and english[
        "text/plain"
    ].rstrip().endswith("After-Sales Service Center")


def test_the_owner_notice_is_actionable():
    text = parts(mails("zh-Hans")["owner_notice"])["text/plain"]
    assert "类别：服务类" in text and "级别：抱怨（待确认）" in text and "业务线：售后" in text
    assert (
        "封闭处理：2026-11-29 12:40" in text and "seed" not in text and "customer_name" not in text
    )
    assert (
        "请致电客户 13800000000" in text and "#status" in text and "#reply" not in text
    )  # no e-mail: no #reply
    assert "13800000000（识别结果，未核实）" in text


def test_a_slip_that_accepts_nothing_is_a_decision_notice_and_says_no_internal_words():
    message = mails("zh-Hans")["return_slip"]
    text = parts(message)["text/plain"]
    assert "退货单" not in str(message["Subject"]) and "处理结果" in str(message["Subject"])
    assert "for staff" not in text and "reported too late" not in text and "/ " not in text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_slip_converts_to_one_page_in_the_dealers_language(language):
    desk = SimpleNamespace(sender=DESK)
    request = SimpleNamespace(dealer_name="华东汽配", dealer_code="HD-01", sheet_date="2026-11-20")
    case = SimpleNamespace(case_no="CS-2611-0002", owner="张伟")
    context = returns.slip_context(
        desk, request, case, "TH-2611-0001", slip_lines(), datetime(2026, 11, 28), language
    )
    pdf = slip_pdf(render_slip(context), 120)
    assert pdf is not None
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 1
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    assert context["title"] in text.replace(" ", "") or context["title"].replace(
        " ", ""
    ) in text.replace(" ", "")
    assert "TH-2611-0001" in text
    for kept in ("华东汽配", "张伟", "机油", "桶"):  # the dealer's own words stay as written
        text = text.replace(kept, "")
    in_its_language(text.replace("HD-01", ""), language, f"slip {language}")


# ---------------------------------------------------------------- staff mails, from a desk of each language

STAFF_NOW = datetime(
    2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")
)  # a Thursday, after the digest time
OPERATOR = "ops@desk.localhost"
MANAGER = "service.manager@desk.localhost"
CUSTOMERS_WORDS = ("还是有异响", "還是有異響", "反馈单", "反饋單")  # what senders wrote
DESK_WORDS = ("INBOX",)  # the desk's own source name, from its config


def at_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def without_details(text: str, language: str) -> str:
    """A person's text without its technical detail lines (an exception, a server's answer),
    which are kept as they were on purpose: labelled, and never translated."""
    labels = (
        compose.gettext(language, "reason.detail", detail=""),
        compose.gettext(language, "staff.row.server_answer"),
    )
    return "\n".join(
        line for line in text.splitlines() if not any(label.strip() in line for label in labels)
    )


@pytest.fixture(params=LANGUAGES)
def staff_desk(request, desk_dir):
    config = desk_dir / "aftersales.toml"
    publish_calendar(desk_dir)
    text = config.read_text(encoding="utf-8")
    assert 'default_language = "zh-Hans"' in text and "operator = []" in text
    config.write_text(
        text.replace(
            'default_language = "zh-Hans"', f'default_language = "{request.param}"'
        ).replace("operator = []", f'operator = ["{OPERATOR}"]'),
        encoding="utf-8",
    )
    with Desk.open(load_config(config)) as desk:
        yield desk


def a_case(session, number: int, **facts) -> Case:  # noqa: ANN001
    values = dict(
        case_no=f"CS-2611-{number:04d}",
        opened_at=at_utc(STAFF_NOW - timedelta(days=3)),
        kind="complaint",
        status="investigating",
        category="service",
        level="major",
        business_line="after_sales",
        language="zh-Hans",
        sender="c@example.test",
        customer_name="王先生",
        owner="服务经理",
        owner_email=MANAGER,
        fields={"phone": "13800000000", "description": "发动机异响"},
        deadlines=[],
    )
    case = Case(**{**values, **facts})
    session.add(case)
    session.flush()
    return case


def commands(language: str) -> str:
    """A staff member's reply in the desk's language: commands done, and some not understood."""
    if language == "en":
        return "#note called the customer\n#bogus\n#status nonsense\n#assign technical_manager\n#level complaint"
    said = "#note 已联系客户\n#bogus\n#status 不存在\n#assign 技术经理\n#level 投诉"
    return compose.i18n.to_traditional(said, {}) if language == "zh-Hant" else said


def staff_mails(desk: Desk) -> list[tuple[str, EmailMessage]]:
    """Every staff mail the desk writes, each made by the code that writes it in the worker."""
    due = (STAFF_NOW - timedelta(days=1)).replace(hour=12, minute=0)
    with desk.store.transaction() as session:
        a_case(
            session,
            1,
            deadlines=[
                {
                    "step": "close",
                    "due": due.isoformat(timespec="minutes"),
                    "why": "seed",
                    "outside": "a weekend",
                }
            ],
            next_deadline_at=at_utc(due),
        )
        a_case(
            session,
            2,
            status="replied",
            sender=None,
            category="product_quality",
            updated_at=at_utc(STAFF_NOW - timedelta(days=5)),
        )
        a_case(
            session, 3, category="repair_quality", opened_at=at_utc(STAFF_NOW - timedelta(days=87))
        )
        quarantined = Document(
            sha256="1" * 64,
            size=1,
            filename="complaint.eml",
            source="imap:INBOX",
            archive_path="x",
            status="quarantined",
            received_at=at_utc(STAFF_NOW - timedelta(hours=2)),
            reason=because(reason("quarantine.poison", tries=3, detail="ValueError: bad header")),
        )
        session.add(quarantined)
    jobs.escalate_overdue(desk, STAFF_NOW)
    jobs.request_callbacks(desk, STAFF_NOW)
    jobs.auto_close(desk, STAFF_NOW)
    jobs.send_digests(desk, STAFF_NOW)
    with desk.store.transaction() as session:
        case = session.scalars(select(Case).where(Case.case_no == "CS-2611-0001")).one()
        rule = desk.rules.batch_alert
        alert = BatchAlert(key="batch_no=BN-2611", label="BN-2611", opened_at=case.opened_at)
        session.add(alert)
        session.flush()
        batch_alerts.mail(session, desk, rule, alert, [case, case, case], joined=False)
        batch_alerts.mail(session, desk, rule, alert, [case], joined=True)
        cases.tell_not_satisfied(
            session, desk, case, ParsedDocument(file="r.eml", format="eml", text="还是有异响")
        )
        sent = OutboxMessage(
            message_id="<x@desk.localhost>",
            purpose="acknowledgement",
            case_id=case.id,
            recipients=["ghost@example.test"],
            subject="[CS-2611-0001]",
            raw=b"",
        )
        delivery.undeliverable(desk, session, sent, "550 5.1.1 user unknown")
        problems.report(
            desk,
            session,
            "poison_item",
            "poison:1",
            because(
                reason(
                    "problem.poison",
                    **problems.source_named("imap:INBOX"),
                    file="complaint.eml",
                    document=1,
                    tries=3,
                    detail="ValueError: bad header",
                )
            ),
        )
        problems.report(
            desk,
            session,
            "calendar",
            "calendar",
            because(reason("problem.calendar", years="2027", last=2027)),
        )
        for problem in problems.open_problems(session):
            problem.summarised_at = problem.first_seen - timedelta(days=2)
        problems.summarise(desk, session, utcnow())
        filed = Document(
            sha256="2" * 64,
            size=1,
            filename="反馈单.docx",
            source="folder:shared",
            archive_path="x",
            status="recorded",
            received_at=at_utc(STAFF_NOW),
        )
        session.add(filed)
        session.flush()
        attention.tell_staff(
            desk,
            session,
            filed,
            ParsedDocument(file="反馈单.docx", format="docx", kind="feedback_form"),
        )
        command = ParsedDocument(
            file="c.eml",
            format="eml",
            kind="reply",
            text=commands(desk.config.desk.default_language),
            meta={"sender": MANAGER},
        )
        staff.act(session, desk, case, command, actor=MANAGER, document_id=filed.id)
    with desk.store.transaction() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [
            (row.purpose, email.message_from_bytes(row.raw, policy=policy.default))
            for row in rows
            if row.raw
        ]


def test_every_staff_mail_is_in_the_desks_language(staff_desk):
    language = staff_desk.config.desk.default_language
    found = staff_mails(staff_desk)
    assert {purpose for purpose, _ in found} == {
        "overdue",
        "callback",
        "auto_close_notice",
        "digest",
        "batch_alert",
        "not_satisfied",
        "delivery_failed",
        "problem",
        "filed_for_staff",
        "command_result",
        "owner_notice",
    }
    for purpose, message in found:
        for part, text in parts(message).items():
            text = without_details(text.split("<")[0] if part == "from" else text, language)
            for word in (
                *CUSTOMERS_WORDS,
                *DESK_WORDS,
                *re.findall(r"#\w+ (\S+)", commands(language)),
            ):
                text = text.replace(word, "")
            in_its_language(text, language, f"{purpose} {part}")
    digest = next(m for purpose, m in found if purpose == "digest" and OPERATOR in m["To"])
    body = parts(digest)["text/plain"]
    detail = compose.gettext(language, "reason.detail", detail="ValueError: bad header")
    assert (
        compose.gettext(language, "attention.digest_intro") in body and detail in body
    )  # its detail kept


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_reason_file_and_the_attention_list_are_in_the_desks_language(language):
    stored = because(
        reason("reason.encrypted_pdf", file="投诉表.pdf"),
        reason("quarantine.no_notice", detail="no sender"),
    )
    text = reason_file("投诉表.pdf", "投诉表.pdf is encrypted", language, stored)
    assert "reason.encrypted_pdf" in text  # the code, for whoever searches the log
    text = (
        without_details(text, language)
        .replace("投诉表.pdf", "")
        .replace("reason.encrypted_pdf, quarantine.no_notice", "")
    )
    in_its_language(text, language, f".reason.txt {language}")
    assert compose.gettext(language, "reason.detail", detail="no sender") in reason_file(
        "x", "", language, stored
    )
