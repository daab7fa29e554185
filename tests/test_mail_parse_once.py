"""A mail is parsed once, with the compat32 policy and the few headers needed decoded on demand
(issue 23). The sender identity that processor/trust.py relies on still comes from the raw
From, exactly as the default policy stores it, and hostile Froms still give no identity."""

from __future__ import annotations

import email
from email import policy

import pytest

from parsers import parse_document
from parsers.limits import ParseLimits

BODY = (
    b"\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nSubject: =?utf-8?b?5Y+Y6YCf566x5byC5ZON?=\n\n"
    + "我的车变速箱一直响，请尽快处理。\n".encode()
)


@pytest.mark.parametrize(
    ("from_header", "sender", "name"),
    [
        (b"=?utf-8?b?546L56eA5YWw?= <WXL@Example.test>", "wxl@example.test", "王秀兰"),
        (
            b'"ceo@desk.example.test" <evil@attacker.test>',
            "evil@attacker.test",
            "ceo@desk.example.test",
        ),
        (
            b"=?utf-8?q?ceo=40desk.example.test?= <evil@attacker.test>",
            "evil@attacker.test",
            None,
        ),  # decoded, two addresses
        (b"a@example.test, b@example.test", None, None),  # two addresses: no one identity
        (b"ceo@desk.example.test <evil@attacker.test>", None, None),  # the two parsers disagree
        (b"Wang\n <wxl@example.test>", "wxl@example.test", "Wang"),  # folded
    ],
)
def test_the_sender_comes_from_the_raw_from_as_before(from_header, sender, name):
    data = (
        b"From: "
        + from_header
        + b"\nTo: complaints@desk.localhost\nMessage-ID: <1@example.test>"
        + BODY
    )
    doc = parse_document(data, "m.eml", ParseLimits())
    assert doc.meta["sender"] == sender
    assert (doc.meta["sender_name"] or None) == name
    assert doc.meta["subject"] == "变速箱异响"
    assert doc.kind == "complaint"
    assert (doc.value("email") is None) == (sender is None)


def test_two_from_headers_are_no_identity():
    data = b"From: a@example.test\nFrom: b@example.test\nTo: complaints@desk.localhost" + BODY
    assert parse_document(data, "m.eml", ParseLimits()).meta["sender"] is None


def test_raw_headers_are_what_the_default_policy_stores():
    """What trust reads (the raw From, Received and Authentication-Results in order) is the
    same under either policy: both keep a header's source text."""
    data = (
        b"Received: from x by mx.desk.localhost; Mon, 7 Dec 2026 10:00:00 +0800\n"
        b"Authentication-Results: mx.desk.localhost;\n dkim=pass header.d=example.test\n"
        b"From: =?utf-8?b?546L56eA5YWw?= <wxl@example.test>\nTo: complaints@desk.localhost" + BODY
    )
    doc = parse_document(data, "m.eml", ParseLimits())
    default = email.message_from_bytes(data, policy=policy.default)
    assert doc.meta["headers"] == [
        (name, " ".join(str(value).split()))
        for name, value in default.raw_items()
        if name.lower() in ("received", "authentication-results")
    ]
    assert doc.meta["authentication_results"] == [
        "mx.desk.localhost; dkim=pass header.d=example.test"
    ]
