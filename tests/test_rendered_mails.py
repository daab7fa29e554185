"""Every outgoing mail kind of part A and the return slip, rendered in zh-Hans, zh-Hant and en,
read as its recipient would: no raw catalog key, no English words in Chinese text, no
simplified characters in zh-Hant, no Chinese in English text. Fails on the code before issue
21 (English reasons to Chinese senders, simplified HTML labels in zh-Hant, `/ for staff`)."""

from __future__ import annotations

import io
import re
import shutil
from datetime import datetime
from email.message import EmailMessage
from types import SimpleNamespace

import opencc
import pdfplumber
import pytest

from outputs import compose
from outputs.slips import render_slip, slip_pdf
from parsers.model import ParseError
from processor import returns

LANGUAGES = ("zh-Hans", "zh-Hant", "en")
DESK = compose.Sender("售后服务中心", "desk@desk.localhost")
ALLOWED_LATIN = re.compile(
    r"[\w.+-]+@[\w.-]+|https?://\S+|\b[A-Z]{1,4}-?\d[\w-]*|\b[A-Z]{2,}\b|#\w+|\b(?:accept|refuse)\b|"
    r"\.(?:pdf|docx?|xlsx?|png|jpe?g)\b|\b[a-z]+\.(?:pdf|docx)\b|\bPDF\b|\bP90\b|[a-z_]+\.[a-z_]+"
)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
FIELDS = {"customer_name": "王先生", "phone": "13800000000", "product_name": "凯美瑞", "request": "repair",
          "description": "发动机异响", "purchase_date": "2026-10-01"}


def parts(message: EmailMessage) -> dict[str, str]:
    found = {"subject": str(message["Subject"]), "from": str(message["From"])}
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html") and not part.get_filename():
            text = part.get_content()
            found[part.get_content_type()] = re.sub(r"<[^>]+>", " ", text) if part.get_content_subtype() == "html" else text
    return found


SENDERS_WORDS = ("王先生", "凯美瑞", "凱美瑞", "发动机异响", "發動機異響", "机油", "桶", "张伟", "華東汽配", "华东汽配")


def in_its_language(text: str, language: str, what: str) -> None:
    """The desk's own words only: what the sender wrote (names, products) stays as they wrote it."""
    for word in SENDERS_WORDS:
        text = text.replace(word, "")
    assert "{{" not in text and not re.search(r"\b(?:category|level|line|status|step|field|reason|ack|owner|slip)\.[a-z_]+", text), \
        f"{what}: a raw key in {text!r}"
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
    fields = {k: compose.i18n.to_traditional(v, {}) for k, v in FIELDS.items()} if language == "zh-Hant" else FIELDS
    return {
        "acknowledgement": compose.acknowledgement(
            DESK, to="c@example.test", case_no="CS-2611-0001", kind="complaint", language=language, fields=fields,
            missing=["vin"], reply_by="2026-11-29 12:00", reply_by_provisional=True, confirm=["phone"],
            refused=["big.pdf"], **common),
        "notice": compose.notice(DESK, to="c@example.test", language=language, reason="x", filename="complaint.pdf",
                                 reasons=[ParseError("encrypted_pdf", file="complaint.pdf").reason], **common),
        "case_reply": compose.customer_mail(DESK, "case_reply", to="c@example.test", case_no="CS-2611-0001",
                                            kind="complaint", language=language, greeting_name=None, text="OK-123"),
        "survey": compose.customer_mail(DESK, "survey", to="c@example.test", case_no="CS-2611-0001", kind="complaint",
                                        language=language, greeting_name=None, replied_on="2026-11-20"),
        "owner_notice": compose.owner_notice(
            DESK, to="o@desk.localhost", owner="张伟" if language != "en" else "Zhang Wei", case_no="CS-2611-0001",
            kind="complaint", fields=fields, category="service", level="grievance", business_line="after_sales",
            origin=None, deadlines=[{"step": "close", "due": "2026-11-29T12:40+08:00", "why": "seed 004 §5",
                                     "provisional": True}],
            escalate=True, cc=[], uncertain=["level"], why="", unverified=["phone"], language=language),
        "return_slip": compose.return_slip(
            DESK, to="d@example.test", case_no="CS-2611-0002", slip_no="TH-2611-0001", language=language,
            greeting_name=None, rows=returns.slip_rows(slip_lines(), language), docx=b"x", pdf=None,
            decisions={"refused", "held"}, return_days=returns.SHIP_BACK_DAYS),
    }


def slip_lines() -> list[SimpleNamespace]:
    def line(number: int, decision: str, why: str) -> SimpleNamespace:
        return SimpleNamespace(line_no=number, order_no=f"SO-{number}", part_no="P-1", product_name="机油", spec="4L",
                               quantity=2.0, unit="桶", unit_price=80.0, amount=160.0, decision=decision,
                               decision_reason=why, problems=[])
    return [line(1, "refused", returns.because(returns.reason("return.reported_late", days=7, age=41))),
            line(2, "held", returns.because(returns.reason("return.reviewed", reason_label="return_reason.other"))),
            line(3, "pending", returns.because(returns.reason("return.awaiting_inspection")))]


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
    assert "white-space: nowrap" in mails("zh-Hant")["acknowledgement"].get_body(("html",)).get_content()
    english = parts(mails("en")["acknowledgement"])
    assert "After-Sales Service Center" in english["from"] and english["text/plain"].rstrip().endswith("After-Sales Service Center")


def test_the_owner_notice_is_actionable():
    text = parts(mails("zh-Hans")["owner_notice"])["text/plain"]
    assert "类别：服务类" in text and "级别：抱怨（待确认）" in text and "业务线：售后" in text
    assert "封闭处理：2026-11-29 12:40" in text and "seed" not in text and "customer_name" not in text
    assert "请致电客户 13800000000" in text and "#status" in text and "#reply" not in text  # no e-mail: no #reply
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
    context = returns.slip_context(desk, request, case, "TH-2611-0001", slip_lines(), datetime(2026, 11, 28), language)
    pdf = slip_pdf(render_slip(context), 120)
    assert pdf is not None
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 1
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    assert context["title"] in text.replace(" ", "") or context["title"].replace(" ", "") in text.replace(" ", "")
    assert "TH-2611-0001" in text
    for kept in ("华东汽配", "张伟", "机油", "桶"):  # the dealer's own words stay as written
        text = text.replace(kept, "")
    in_its_language(text.replace("HD-01", ""), language, f"slip {language}")
