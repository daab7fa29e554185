"""Who wrote a plain mail (parsers/people.py): forms of address against full names, a first
name after a sign-off, the From display name when the signature is part of it, and the desk's
own numbers that a writer quotes."""

from __future__ import annotations

import pytest

from parsers import parse_document
from tests.test_judgement import mail


def writer(
    body: str, sender: str = "<someone@example.test>", subject: str = "洗碗机的问题"
) -> dict:
    doc = parse_document(mail(subject, body, sender), "m.eml")
    return {name: doc.value(name) for name in ("customer_name", "phone")}


@pytest.mark.parametrize(
    "body, sender, name",
    [
        # a full name in the From header wins over the form of address the writer signs with
        (
            "洗碗机洗完碗底还是油，换了两种洗碗块都一样。\n\n林太",
            "林淑芬 <lam.sf@example.test>",
            "林淑芬",
        ),
        # … and a form of address in the writer's own script over an English one in the header
        (
            "部洗碗機洗完仲係油淋淋，唔該派人嚟睇下。\n\n林太",
            "Mrs Lam <lam.sf@example.test>",
            "林太",
        ),
        # the signature is part of the name the From header gives
        (
            "The dishwasher leaves grease on every plate.\n\nKa Yan",
            "Chow Ka Yan <ky@example.test>",
            "Chow Ka Yan",
        ),
        # one first name after a sign-off
        (
            "the dishwasher keeps beeping E3 after 10 min, what does it mean?\n\ncheers\nDaniel",
            "<dan88@example.test>",
            "Daniel",
        ),
        # what the writer goes by, on a line of its own
        (
            "洗碗机进水阀一直响，晚上吵得睡不着，派个人来看看吧。\n\n老周",
            "<zhou_lao@example.test>",
            "老周",
        ),
    ],
)
def test_the_writers_name(body, sender, name):
    assert writer(body, sender)["customer_name"] == name


def test_a_closing_word_is_no_first_name():
    assert (
        writer("Dishwasher still leaks.\n\nThanks\nRegards", "<x@example.test>")["customer_name"]
        is None
    )


@pytest.mark.parametrize(
    "body, phone",
    [
        (
            "上周我打了你们门店的电话0571-8765 4321，一直没人接。洗碗机还是漏水。",
            None,
        ),  # the shop's number
        ("拨了你们客服热线 400-820-1234 三次都占线。", None),
        ("I rang your service line 021 6543 2100 twice, nobody picked up.", None),
        ("我的电话0571-8765 4321，白天都在。", "057187654321"),  # the writer's own
        ("洗碗机漏水。\n\n方女士 电话：0571-8765 4321", "057187654321"),
    ],
)
def test_the_desks_own_numbers_are_not_the_writers(body, phone):
    assert writer(body)["phone"] == phone
