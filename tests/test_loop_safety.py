"""Loop safety (RFC 3834) without servers: what the desk never answers, and how often it
answers anyone at all."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import select

from processor.pipeline import Incoming, process
from processor.store.models import Case, OutboxMessage

COMPLAINT = (
    "投诉人：王喆\n联系电话：13800138000\n产品名称：热水器\n投诉内容：热水器漏水，要求换货。\n"
)


def report(report_type: str, second_part: str, sender: str = "robot@example.test") -> bytes:
    return (
        f"From: {sender}\r\nTo: complaints@desk.localhost\r\nSubject: Report\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: multipart/report; report-type={report_type}; boundary=r\r\n\r\n"
        f"--r\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{COMPLAINT}\r\n"
        f"--r\r\n{second_part}\r\n--r--\r\n"
    ).encode()


def mails(desk) -> list[OutboxMessage]:
    with desk.store.transaction() as session:
        return session.scalars(select(OutboxMessage)).all()


@pytest.mark.parametrize(
    "data",
    [
        report(
            "delivery-status",
            "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.test\r\n\r\n"
            "Final-Recipient: rfc822; x@example.test\r\nAction: delayed\r\nStatus: 4.4.7\r\n",
            sender="postmaster@example.test",
        ),
        report(
            "disposition-notification",
            "Content-Type: message/disposition-notification\r\n\r\n"
            "Final-Recipient: rfc822; x@example.test\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n",
        ),
        report(
            "feedback-report",
            "Content-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: x\r\nVersion: 1\r\n",
        ),
    ],
    ids=["delay-notice", "read-receipt", "abuse-report"],
)
def test_reports_are_never_answered(desk, data):
    outcome = process(desk, Incoming("test", "1", "r.eml", data))
    assert outcome.status == "recorded"
    assert mails(desk) == []


@pytest.mark.parametrize("sender", ["no-reply@shop.example.test", "noreply@example.test"])
def test_no_reply_senders_get_no_acknowledgement(
    desk, sender
):  # our own address: tests/test_trust.py
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "complaints@desk.localhost", "投诉"
    message.set_content(COMPLAINT)
    process(desk, Incoming("test", "1", "m.eml", bytes(message)))
    assert [row.purpose for row in mails(desk)] == ["owner_notice"]  # staff still hear of it


def test_acknowledgements_per_sender_are_limited_per_hour(desk):
    limit = desk.config.desk.max_acks_per_sender_per_hour
    for number in range(limit + 2):
        message = EmailMessage()
        message["From"], message["To"] = "flood@example.test", "complaints@desk.localhost"
        message["Subject"] = f"投诉 {number}"
        message.set_content(COMPLAINT.replace("漏水", f"第{number}次漏水"))
        process(desk, Incoming("test", str(number), f"{number}.eml", bytes(message)))
    acks = [row for row in mails(desk) if row.purpose == "acknowledgement"]
    assert len(acks) == limit
    with desk.store.transaction() as session:
        cases = session.scalars(select(Case)).all()
        assert len(cases) == limit + 2  # every complaint is still a case
        assert sum(any(e.type == "ack_withheld" for e in case.events) for case in cases) == 2
