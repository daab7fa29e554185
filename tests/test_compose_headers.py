"""Headers of the mails we compose are stored as they go on the wire (outputs.compose.put_header,
issue 23): read back they say what was set, every line fits, and a line break is still refused."""

from __future__ import annotations

import email
from email import policy
from email.policy import SMTP

import pytest

from outputs import compose

DESK = compose.Sender("售后服务部", "complaints@example.test")
IDS = [f"<cs-2612-{number:04d}.ack.0123456789ab@example.test>" for number in range(12)]


def wire(message) -> email.message.EmailMessage:
    return email.message_from_bytes(message.as_bytes(policy=SMTP), policy=policy.default)


def test_composed_headers_read_back_as_set_and_fit_on_their_lines():
    subject = "回复：关于您的投诉 CS-2612-0001，我们已收到，会尽快处理，谢谢您的耐心等待和支持"
    message = compose.new_message(
        DESK,
        "王秀兰 <wxl@example.test>",
        subject,
        "您好",
        in_reply_to="<x@example.test>",
        references=IDS,
        cc=["gm@example.test", "qa@example.test"],
    )
    read = wire(message)
    assert str(read["Subject"]) == str(message["Subject"]) == subject
    assert str(read["From"]) == "售后服务部 <complaints@example.test>"
    assert (
        read["To"].addresses[0].display_name == "王秀兰"
        and read["Cc"].addresses[1].addr_spec == "qa@example.test"
    )
    assert str(read["References"]).split() == [*IDS[3:], "<x@example.test>"]  # the last ten
    assert read["Auto-Submitted"] == "auto-replied" and not read.defects
    head = message.as_bytes(policy=SMTP).split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and max(len(line) for line in head.split(b"\r\n")) <= 78


def test_a_line_break_in_a_header_is_still_refused():
    with pytest.raises(ValueError):
        compose.new_message(DESK, "a@example.test\r\nBcc: victim@example.test", "hello", "text")
    with pytest.raises(ValueError):
        compose.new_message(
            DESK, "a@example.test", "hi", "text", in_reply_to="<x@y>\nBcc: victim@example.test"
        )


def test_a_word_too_long_for_a_line_is_folded_by_the_policy():
    long_id = "<" + "y" * 120 + "@example.test>"
    read = wire(
        compose.new_message(DESK, "a@example.test", "Re: " + "x" * 150, "text", in_reply_to=long_id)
    )
    assert str(read["In-Reply-To"]) == long_id and str(read["Subject"]) == "Re: " + "x" * 150
