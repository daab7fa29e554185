"""Values a scan's reader cannot vouch for: a field below the recogniser's confidence bar is
named unverified, and the acknowledgement lists it in its "please confirm" block. Pure logic,
with expectations written out here, and no OCR (the whole chain on a real fax is in
test_ocr.py, among the slow tests)."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

from sqlalchemy import select

from outputs.compose import Sender, acknowledgement
from parsers import parse_document, scan
from parsers.model import ParsedDocument
from processor.pipeline import Incoming, process
from processor.store.models import Case, OutboxMessage

SENDER = Sender("售后服务中心", "complaints@desk.localhost")
CONFIRM_ZH = "以下内容是从传真或扫描件识别的，可能有误，请核对，如有错误请回复更正："
CONFIRM_EN = "These were read from a fax or scan and may be wrong; please check them and reply with any correction:"


def test_fields_read_below_the_bar_are_named_unverified_and_the_others_not():
    doc = ParsedDocument(file="fax.tif", format="image")
    doc.put("customer_name", "陈丽", "table 0 row 1 col 2")
    doc.put("phone", "15986468797", "table 0 row 2 col 2")
    doc.put("product_name", "燃气热水器", "table 0 row 3 col 2")
    doc.put(
        "description", "等了一个星期", "page 1 line 9"
    )  # no confidence known for it: 0.7 at most
    scan.weigh(
        doc,
        {
            "table 0 row 1 col 2": 0.98,
            "table 0 row 1": 0.97,
            "table 0 row 2 col 2": 0.41,
            "table 0 row 2": 0.41,  # the phone's cell: a poor reading
            "table 0 row 3 col 2": 0.95,
            "table 0 row 3": 0.52,
        },
    )  # the label's cell misread: a guess
    assert doc.meta["unverified"] == ["phone", "product_name"]
    assert doc.fields["phone"].confidence == 0.41 and doc.fields["description"].confidence == 0.7


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def confirm_block(text: str, intro: str) -> list[str]:
    """The lines under the block's sentence, up to the blank line that ends it."""
    return [
        line.strip() for line in text.split(intro, 1)[1].split("\n\n", 1)[0].strip().splitlines()
    ]


def ack(language: str, confirm: list[str]) -> str:
    return body(
        acknowledgement(
            SENDER,
            to="chen@example.test",
            case_no="CS-2611-0007",
            kind="complaint",
            language=language,
            fields={"customer_name": "陈丽", "phone": "1598646", "product_name": "燃气热水器"},
            missing=[],
            reply_by=None,
            in_reply_to=None,
            references=[],
            confirm=confirm,
            lines=[{"amount": 120.0}, {"amount": 36081.0}],
        )
    )


def test_the_acknowledgement_asks_the_sender_to_confirm_each_unverified_value():
    text = ack("zh-Hans", ["phone", "lines[1].amount"])
    assert confirm_block(text, CONFIRM_ZH) == ["- 电话：1598646", "- 第2行 金额：36081.0"]
    assert confirm_block(ack("en", ["phone"]), CONFIRM_EN) == ["- Tel: 1598646"]


def test_nothing_unverified_asks_nothing():
    assert CONFIRM_ZH not in ack("zh-Hans", []) and CONFIRM_EN not in ack("en", [])
    assert CONFIRM_ZH not in ack(
        "zh-Hans", ["serial_no"]
    )  # a name with no value read is not asked about


def test_a_mailed_scans_unverified_fields_are_marked_on_its_case(desk, monkeypatch):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "chenli@example.test",
        "complaints@desk.localhost",
        "投诉",
    )
    message.set_content(
        "投诉人：陈丽\n联系电话：1598646\n产品名称：燃气热水器\n投诉内容：预约安装等了一个星期都没人上门。\n"
    )
    read = parse_document(bytes(message), "1.eml")
    # as if the phone had come from a scanned attachment the reader could not vouch for
    read.attachments.append(
        ParsedDocument(
            file="fax.tif",
            format="image",
            kind="complaint",
            meta={"ocr": {"pages": 1}, "unverified": ["phone"]},
        )
    )
    monkeypatch.setattr(desk, "parse", lambda data, filename: read)
    assert (
        process(desk, Incoming("maildir:inbox", "1", "1.eml", bytes(message))).status == "processed"
    )
    with desk.store.transaction() as session:
        case = session.scalars(select(Case)).one()
        ack = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "acknowledgement")
        ).one()
        asked = body(email.message_from_bytes(ack.raw, policy=policy.default))
        assert confirm_block(asked, CONFIRM_ZH) == [
            "- 电话：1598646"
        ]  # asked back: this part holds
        assert case.fields.get("unverified") == [
            "phone"
        ]  # and marked on the case (it was not: open_case read only the mail's own list)
