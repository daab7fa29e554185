"""Who may do what by mail, tried as an attacker would: forged senders (encoded display names,
several addresses, forged Authentication-Results), strangers quoting a case number, verdicts
and return sheets from anyone, backscatter, the acknowledgement cap's loopholes, plain-text
mail server logins and world-readable files. Each attack is refused, recorded for staff, and
costs the attacker or the victim at most one capped notice."""

from __future__ import annotations

import io
import os
import stat

import docx
import pytest
from sqlalchemy import select

from outputs.reasons import reason_text
from parsers.addresses import normalise, sender_identity
from processor.config import load_config
from processor.desk import Desk
from processor.errors import ConfigError
from processor.pipeline import Incoming, process
from processor.store.models import Case, CaseEvent, Document, OutboxMessage
from processor.trust import vouched
from tests.test_lifecycle import COMPLAINT, at
from tests.test_returns import DEALER, decisions, master, sheet_bytes, slips  # noqa: F401 - the fixture

MANAGER = "service.manager@desk.localhost"
CUSTOMER = "wang.zhe@example.test"
ATTACKER = "attacker@evil.example"
SERVER = "mx.desk.localhost"
RECEIVED = (
    f"Received: from mail.evil.example by {SERVER} with ESMTPS; Mon, 16 Nov 2026 09:00:00 +0800\r\n"
)


def raw_mail(
    sender_header: str, subject: str, body: str, *, top: str = "", extra: str = "", number: int = 0
) -> bytes:
    """A mail exactly as written: `top` holds the headers the desk's server added (above its
    Received), `extra` whatever the sender wrote himself."""
    return (
        f"{top}From: {sender_header}\r\nTo: complaints@desk.localhost\r\nSubject: {subject}\r\n"
        f"Message-ID: <m{number}.{abs(hash((sender_header, subject, body)))}@example.test>\r\n{extra}"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def receive(desk, data: bytes, name: str = "m.eml"):
    return process(desk, Incoming("imap:test", name, name, data))


def outbox(desk) -> list[OutboxMessage]:
    with desk.store.transaction() as session:
        return session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def sent_to(desk, address: str) -> list[str]:
    return [
        row.purpose
        for row in outbox(desk)
        if any(normalise(r) == normalise(address) for r in row.recipients)
    ]


def case_by_no(desk, case_no: str) -> Case:
    with desk.store.transaction() as session:
        case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
        case.events  # noqa: B018 - loaded while the session is open
        return case


@pytest.fixture
def case_no(desk) -> str:
    at(desk, "2026-11-16T09:00")
    return receive(desk, raw_mail(CUSTOMER, "投诉：热水器漏水", COMPLAINT), "complaint.eml").case_no


# ---------------------------------------------------------------- the sender identity (unit)


@pytest.mark.parametrize(
    "header, identity",
    [
        ("wang.zhe@example.test", "wang.zhe@example.test"),
        ("=?utf-8?b?546L5ZaG?= <Wang.Zhe@Example.Test>", "wang.zhe@example.test"),
        ('"Service, Manager" <service.manager@desk.localhost>', MANAGER),
        (f"=?utf-8?q?service=2Emanager=40desk=2Elocalhost?= <{ATTACKER}>", ATTACKER),
        (f"=?utf-8?q?=3Cservice=2Emanager=40desk=2Elocalhost=3E?= <{ATTACKER}>", ATTACKER),
        (f"{MANAGER}, {ATTACKER}", None),
        ("staff, attacker", None),
        ("=?utf-8?q?victim=40example=2Etest?=", None),
        ("", None),
        ("undisclosed-recipients:;", None),
    ],
)
def test_one_identity_from_the_raw_from_header(header, identity):
    assert sender_identity([header]) == identity


def test_identity_from_a_whole_mail_raw_8bit_and_encoded():
    from parsers import parse_document
    from parsers.limits import ParseLimits

    def sender_of(header: bytes) -> str | None:
        data = (
            b"From: " + header + b"\r\nTo: complaints@desk.localhost\r\nSubject: x\r\n\r\nhello\r\n"
        )
        return parse_document(data, "x.eml", ParseLimits()).meta["sender"]

    assert sender_of("王喆 <kunde@bücher.example>".encode()) == "kunde@bücher.example"
    assert (
        sender_of(b"=?utf-8?q?service=2Emanager=40desk=2Elocalhost?= <attacker@evil.example>")
        == ATTACKER
    )
    assert sender_of(f"{MANAGER}\r\nFrom: {ATTACKER}".encode()) is None  # two From headers


def test_two_from_headers_are_no_identity():
    assert sender_identity([CUSTOMER, ATTACKER]) is None


@pytest.mark.parametrize(
    "address, key",
    [
        ("Complaints+loop@Desk.Localhost", "complaints@desk.localhost"),
        ("flood+17@example.test", "flood@example.test"),
        ("kunde@bücher.example", "kunde@xn--bcher-kva.example"),
        ("kunde@XN--BCHER-KVA.example", "kunde@xn--bcher-kva.example"),
    ],
)
def test_addresses_are_compared_normalised(address, key):
    assert normalise(address) == key


# ---------------------------------------------------------------- Authentication-Results (unit)


def headers_of(data: bytes) -> list[tuple[str, str]]:
    from email import message_from_bytes, policy

    return list(message_from_bytes(data, policy=policy.compat32).items())


@pytest.mark.parametrize(
    "top, extra, trusted",
    [
        (
            f"Authentication-Results: {SERVER}; dmarc=pass header.from=desk.localhost\r\n{RECEIVED}",
            "",
            True,
        ),
        (
            f"Authentication-Results: {SERVER}; dkim=pass header.d=desk.localhost; dmarc=none\r\n{RECEIVED}",
            "",
            True,
        ),
        (
            f"Authentication-Results: {SERVER}; spf=pass smtp.mailfrom=evil.example; dmarc=fail header.from=desk.localhost\r\n"
            f"{RECEIVED}",
            "",
            False,
        ),
        (
            f"Authentication-Results: {SERVER}; dkim=pass header.d=evil.example\r\n{RECEIVED}",
            "",
            False,
        ),
        (
            f"Authentication-Results: {SERVER}; dkim=fail (dkim=pass) header.d=desk.localhost\r\n{RECEIVED}",
            "",
            False,
        ),
        (
            f"Authentication-Results: {SERVER}.evil.example; dmarc=pass header.from=desk.localhost\r\n{RECEIVED}",
            "",
            False,
        ),
        (
            f"Authentication-Results: {SERVER}; dmarc=fail header.from=desk.localhost\r\n{RECEIVED}",
            f"Authentication-Results: {SERVER}; dmarc=pass header.from=desk.localhost\r\n",
            False,
        ),
        ("", f"Authentication-Results: {SERVER}; dmarc=pass header.from=desk.localhost\r\n", False),
        (
            f"Authentication-Results: {SERVER}; dmarc=pass header.from=evil.example\r\n{RECEIVED}",
            "",
            False,
        ),
    ],
)
def test_only_our_servers_results_above_its_received_vouch(top, extra, trusted):
    data = raw_mail(MANAGER, "x", "x", top=top, extra=extra)
    assert vouched(headers_of(data), SERVER, MANAGER) is trusted


# ---------------------------------------------------------------- forged staff commands


FORGED_FROMS = [
    f"=?utf-8?q?service=2Emanager=40desk=2Elocalhost?= <{ATTACKER}>",
    f"=?utf-8?q?service=2Emanager_=3Cservice=2Emanager=40desk=2Elocalhost=3E?= <{ATTACKER}>",
    f"{MANAGER}, {ATTACKER}",
]


@pytest.mark.parametrize(
    "sender", FORGED_FROMS, ids=["encoded-name", "encoded-angle-address", "two-addresses"]
)
def test_forged_staff_commands_do_nothing_to_the_case(desk, case_no, sender):
    body = "#reply 您的退款已批准，请点击 http://evil.example/pay 输入银行卡号\n#level 重大投诉\n#close"
    outcome = receive(desk, raw_mail(sender, f"Re: [{case_no}]", body), "forged.eml")
    case = case_by_no(desk, case_no)
    assert case.status != "closed" and case.level != "major"
    assert not any(e.type in ("staff_reply", "closed", "level") for e in case.events)
    assert "case_reply" not in [row.purpose for row in outbox(desk)]
    assert "command_result" not in [row.purpose for row in outbox(desk)]
    assert sent_to(desk, CUSTOMER) == ["acknowledgement"]  # only the customer's own, from the start
    assert any(e.type == "foreign_mail" for e in case.events)  # staff can see what was tried
    assert outcome.case_no != case_no


@pytest.fixture
def guarded(desk_dir):
    """A desk whose staff commands need the mail server's word (staff_auth_server)."""
    config_file = desk_dir / "aftersales.toml"
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(
        text.replace('# staff_auth_server = "mx.example.com"', f'staff_auth_server = "{SERVER}"'),
        encoding="utf-8",
    )
    with Desk.open(load_config(config_file)) as opened:
        at(opened, "2026-11-16T09:00")
        yield opened


@pytest.mark.parametrize(
    "top, extra",
    [
        (
            f"Authentication-Results: {SERVER}; spf=pass smtp.mailfrom=evil.example; dmarc=fail header.from=desk.localhost\r\n"
            f"{RECEIVED}",
            "",
        ),
        (
            f"Authentication-Results: {SERVER}; dmarc=fail header.from=desk.localhost\r\n{RECEIVED}",
            f"Authentication-Results: {SERVER}; dkim=pass header.d=desk.localhost; dmarc=pass header.from=desk.localhost\r\n",
        ),
        (
            f"Authentication-Results: {SERVER}.evil.example; dkim=pass header.d=desk.localhost; dmarc=pass\r\n{RECEIVED}",
            "",
        ),
        (
            f"Authentication-Results: {SERVER}; dkim=fail (dkim=pass) header.d=desk.localhost; dmarc=fail\r\n{RECEIVED}",
            "",
        ),
    ],
    ids=[
        "spf-pass-dmarc-fail",
        "second-header-below-received",
        "authserv-id-prefix",
        "pass-in-a-comment",
    ],
)
def test_forged_authentication_results_do_not_vouch(guarded, top, extra):
    case_no = receive(guarded, raw_mail(CUSTOMER, "投诉：热水器漏水", COMPLAINT)).case_no
    receive(
        guarded, raw_mail(MANAGER, f"Re: [{case_no}]", "#close", top=top, extra=extra), "forged.eml"
    )
    case = case_by_no(guarded, case_no)
    assert case.status != "closed"
    assert "command_result" not in [row.purpose for row in outbox(guarded)]


def test_vouched_staff_command_runs(guarded):
    case_no = receive(guarded, raw_mail(CUSTOMER, "投诉：热水器漏水", COMPLAINT)).case_no
    top = f"Authentication-Results: {SERVER}; dkim=pass header.d=desk.localhost; dmarc=pass header.from=desk.localhost\r\n"
    receive(
        guarded,
        raw_mail(MANAGER, f"Re: [{case_no}]", "#close 已处理", top=top + RECEIVED),
        "vouched.eml",
    )
    assert case_by_no(guarded, case_no).status == "closed"


def test_a_role_runs_only_the_commands_the_rule_file_gives_it(desk, case_no):
    receive(
        desk,
        raw_mail("care@desk.localhost", f"Re: [{case_no}]", "#close\n#note 已致电客户"),
        "care.eml",
    )
    case = case_by_no(desk, case_no)
    assert case.status != "closed"
    assert any(e.type == "note" for e in case.events)
    (result,) = [row for row in outbox(desk) if row.purpose == "command_result"]
    from email import message_from_bytes, policy

    assert (
        "无权执行此命令"
        in message_from_bytes(result.raw, policy=policy.default).get_body(("plain",)).get_content()
    )
    assert any("not permitted" in str(e.detail) for e in case.events if e.type == "command_refused")


def test_status_closed_needs_the_close_permission(desk, case_no):
    receive(desk, raw_mail("care@desk.localhost", f"Re: [{case_no}]", "#status 结案"), "care.eml")
    assert case_by_no(desk, case_no).status != "closed"


@pytest.mark.slow  # the command as a process
def test_rules_check_validates_the_permissions(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    rules = (ROOT / "rules.example.toml").read_text(encoding="utf-8")
    assert "[permissions]" in rules
    target = tmp_path / "rules.toml"
    target.write_text(
        rules.replace('inspection_verdicts = ["quality_dept"]', 'inspection_verdicts = ["qa"]'),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "processor", "rules", "check", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "permissions.inspection_verdicts: role `qa`" in result.stderr


# ---------------------------------------------------------------- acknowledgements and return sheets


def test_no_acknowledgement_to_an_address_hidden_in_a_display_name(desk):
    at(desk, "2026-11-16T09:00")
    receive(desk, raw_mail("=?utf-8?q?victim=40example=2Etest?=", "投诉：热水器漏水", COMPLAINT))
    receive(
        desk,
        raw_mail(
            f"=?utf-8?q?victim=40example=2Etest?= <{ATTACKER}>",
            "投诉：热水器漏水",
            COMPLAINT + "又漏了",
        ),
    )
    assert sent_to(desk, "victim@example.test") == []


def test_a_sheet_in_a_dealers_name_from_a_stranger_is_held_and_gets_no_slip(desk, master):  # noqa: F811
    at(desk, "2026-10-12T10:00")
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = f"=?utf-8?q?{DEALER.replace('@', '=40').replace('.', '=2E')}?= <{ATTACKER}>"
    message["To"], message["Subject"] = "complaints@desk.localhost", "调退货明细表"
    message.set_content("附件是本月的调退货明细表，请审核。")
    message.add_attachment(
        sheet_bytes([["SO-1", "P-1", "机油", "4L", 1, "桶", 100, 100, "2026-10-01", "不适销"]]),
        maintype="application",
        subtype="octet-stream",
        filename="调退货明细表.xlsx",
    )
    outcome = receive(desk, bytes(message), "sheet.eml")
    assert {d for _, d, _ in decisions(desk, outcome.case_no)} == {"held"}
    assert slips(desk) == []
    assert sent_to(desk, DEALER) == []


def test_a_dealer_without_an_address_on_record_has_no_mail_that_speaks_for_it(desk, master):  # noqa: F811
    from processor.master_data import import_folder
    from tests.test_returns import drop, mail_with

    drop(desk, "经销商2.csv", "经销商代码,经销商名称,电子邮箱\nHF-10,无邮箱商贸,\n".encode())
    import_folder(desk)
    at(desk, "2026-10-12T10:00")
    sheet = sheet_bytes(
        [["SO-1", "P-1", "机油", "4L", 1, "桶", 100, 100, "2026-10-10", "运输损坏"]],
        code="HF-10",
        company="无邮箱商贸",
    )
    outcome = receive(desk, mail_with(sheet, sender=ATTACKER), "sheet.eml")
    assert {d for _, d, _ in decisions(desk, outcome.case_no)} == {"held"}
    assert slips(desk) == []


# ---------------------------------------------------------------- inspection verdicts


def verdict_mail(sender: str, subject: str = "鉴定单") -> bytes:
    return raw_mail(
        sender, subject, "鉴定单\n料号：P-3\n鉴定结论：属质量问题\n", number=len(subject)
    )


@pytest.fixture
def pending(desk, master):  # noqa: F811
    """A dealer's return request with two quality lines waiting for the quality department."""
    at(desk, "2026-10-12T10:00")
    from tests.test_returns import mail_with, send

    lines = [["SO-4", "P-3", "机油", "4L", 5, "桶", 50, 250, "2026-09-25", "质量问题"]]
    first = send(desk, mail_with(sheet_bytes(lines)), "a.eml").case_no
    second = send(
        desk, mail_with(sheet_bytes([["SO-5", *lines[0][1:]]], date="2026-10-11")), "b.eml"
    ).case_no
    assert (
        [d for _, d, _ in decisions(desk, first)]
        == ["pending"]
        == [d for _, d, _ in decisions(desk, second)]
    )
    at(desk, "2026-10-14T09:00")
    return first, second


@pytest.mark.slow  # LibreOffice (slips of the pending request)
def test_a_verdict_from_a_stranger_decides_nothing(desk, pending):
    slips_before = len(slips(desk))
    outcome = receive(desk, verdict_mail(ATTACKER), "verdict.eml")
    assert outcome.kind == "inspection"
    for case_no in pending:
        assert [d for _, d, _ in decisions(desk, case_no)] == ["pending"]
    assert len(slips(desk)) == slips_before
    with desk.store.transaction() as session:
        row = session.scalars(select(Document).where(Document.filename == "verdict.eml")).one()
        assert "not acted on" in reason_text(row.reason, "en")
        assert not session.scalars(select(CaseEvent).where(CaseEvent.actor == "quality")).all()


@pytest.mark.slow  # LibreOffice (slips of the pending request)
def test_a_verdict_by_part_number_alone_decides_nothing(desk, pending):
    receive(desk, verdict_mail("quality@desk.localhost"), "verdict.eml")
    for case_no in pending:
        assert [d for _, d, _ in decisions(desk, case_no)] == ["pending"]


@pytest.mark.slow  # LibreOffice (slips of the pending request)
def test_a_verdict_from_quality_naming_its_case_decides_that_case_only(desk, pending):
    first, second = pending
    receive(desk, verdict_mail("quality@desk.localhost", f"鉴定单 [{first}]"), "verdict.eml")
    assert [d for _, d, _ in decisions(desk, first)] == ["accepted"]
    assert [d for _, d, _ in decisions(desk, second)] == ["pending"]
    events = case_by_no(desk, first).events
    assert any(e.type == "inspection" and e.actor == "quality@desk.localhost" for e in events)


@pytest.mark.slow  # LibreOffice (slips of the pending request)
def test_a_verdict_file_dropped_by_staff_names_its_case(desk, pending):
    first, second = pending
    document = docx.Document()
    document.add_paragraph("售后服务三包材料退换鉴定单")
    table = document.add_table(rows=3, cols=2)
    for row, (label, value) in zip(
        table.rows,
        [("鉴定单号", "JD-1"), ("料号", "P-3"), ("鉴定结论", "■属质量问题  □非质量问题")],
        strict=True,
    ):
        row.cells[0].text, row.cells[1].text = label, value
    out = io.BytesIO()
    document.save(out)
    process(desk, Incoming("folder:quality", "v1", f"鉴定单-{second}.docx", out.getvalue()))
    assert [d for _, d, _ in decisions(desk, first)] == ["pending"]
    assert [d for _, d, _ in decisions(desk, second)] == ["accepted"]


# ---------------------------------------------------------------- strangers quoting a case number


@pytest.mark.parametrize("body", ["满意", "不满意", "我又来了，问题没解决"])
def test_a_stranger_quoting_a_case_number_opens_a_linked_case(desk, case_no, body):
    statuses = case_by_no(desk, case_no).status
    outcome = receive(desk, raw_mail(ATTACKER, f"Re: [{case_no}]", body), "stranger.eml")
    old = case_by_no(desk, case_no)
    assert old.status == statuses
    assert [
        e.type for e in old.events if e.type in ("callback_answer", "customer_reply", "reopened")
    ] == []
    assert any(
        e.type == "foreign_mail" and e.detail.get("linked_case") == outcome.case_no
        for e in old.events
    )
    new = case_by_no(desk, outcome.case_no)
    assert new.case_no != case_no and new.sender == ATTACKER
    assert any(e.type == "linked" and e.detail.get("quoted_case") == case_no for e in new.events)
    for row in outbox(desk):  # nothing of the old case reaches the stranger
        if ATTACKER in row.recipients:
            text = row.raw.decode("utf-8", "replace")
            assert case_no not in text and "王喆" not in text and "13800138000" not in text


def test_the_customer_and_the_threads_participants_still_act_on_their_case(desk, case_no):
    receive(desk, raw_mail("Wang.Zhe+desk@Example.Test", f"Re: [{case_no}]", "满意"), "again.eml")
    assert case_by_no(desk, case_no).status == "closed"


# ---------------------------------------------------------------- backscatter and loops


# A mail with nothing to read: no subject, no text (a person's plain words, however short or
# odd, are a complaint; see test_judgement).
UNREADABLE = ""


@pytest.mark.slow  # many mails through the pipeline
def test_notices_for_unreadable_mail_are_capped_per_address(desk):
    at(desk, "2026-11-16T09:00")
    for number in range(40):
        receive(
            desk,
            raw_mail(f"prober+{number}@example.test", "", UNREADABLE, number=number),
            f"{number}.eml",
        )
    limit = desk.config.desk.max_acks_per_sender_per_hour
    assert len(sent_to(desk, "prober@example.test")) == limit
    with desk.store.transaction() as session:
        quarantined = session.scalars(
            select(Document).where(Document.status == "quarantined")
        ).all()
        assert len(quarantined) == 40  # every one is still there for staff


def test_a_robot_answering_our_notice_gets_no_new_notice(desk):
    at(desk, "2026-11-16T09:00")
    receive(desk, raw_mail("robot@example.test", "", UNREADABLE))
    (notice,) = outbox(desk)
    for number in range(3):
        extra = f"In-Reply-To: {notice.message_id}\r\nReferences: {notice.message_id}\r\n"
        receive(
            desk,
            raw_mail(
                "robot@example.test",
                "Re: ",
                f"{UNREADABLE}{number * chr(10)}",
                extra=extra,
                number=number,
            ),
            f"r{number}.eml",
        )
    assert sent_to(desk, "robot@example.test") == ["notice"]


def test_a_person_answering_our_notice_with_a_complaint_is_acknowledged(desk):
    at(desk, "2026-11-16T09:00")
    receive(desk, raw_mail(CUSTOMER, "", UNREADABLE))
    (notice,) = outbox(desk)
    extra = f"In-Reply-To: {notice.message_id}\r\nReferences: {notice.message_id}\r\n"
    receive(desk, raw_mail(CUSTOMER, "Re: hello", COMPLAINT, extra=extra, number=1), "again.eml")
    assert sent_to(desk, CUSTOMER) == ["notice", "acknowledgement"]


@pytest.mark.slow  # many mails through the pipeline
def test_plus_tags_do_not_get_round_the_acknowledgement_cap(desk):
    at(desk, "2026-11-16T09:00")
    for number in range(20):
        receive(
            desk,
            raw_mail(
                f"flood+{number}@example.test",
                f"投诉 {number}",
                COMPLAINT.replace("漏水", f"第{number}次漏水"),
                number=number,
            ),
            f"{number}.eml",
        )
    assert len(sent_to(desk, "flood@example.test")) == desk.config.desk.max_acks_per_sender_per_hour


@pytest.mark.parametrize(
    "header",
    [
        "List-Id: <customers.example.test>",
        "List-Unsubscribe: <mailto:u@example.test>",
        "Feedback-ID: 1:2:3:esp",
        "Precedence: bulk",
        "Auto-Submitted: auto-generated",
    ],
)
def test_bulk_and_automated_mail_gets_no_answer(desk, header):
    at(desk, "2026-11-16T09:00")
    receive(desk, raw_mail(CUSTOMER, "投诉：热水器漏水", COMPLAINT, extra=header + "\r\n"))
    receive(desk, raw_mail(CUSTOMER, "", UNREADABLE, extra=header + "\r\n", number=1), "u.eml")
    assert sent_to(desk, CUSTOMER) == []


@pytest.mark.parametrize(
    "sender",
    [
        "complaints@desk.localhost",
        "Complaints+loop@Desk.Localhost",
        "=?utf-8?q?x?= <COMPLAINTS@desk.localhost>",
    ],
)
def test_our_own_address_opens_no_case_and_gets_no_answer(desk, sender):
    at(desk, "2026-11-16T09:00")
    outcome = receive(desk, raw_mail(sender, "投诉：热水器漏水", COMPLAINT))
    assert outcome.case_no is None and outcome.status == "recorded"
    assert "own address" in outcome.reason
    assert outbox(desk) == []
    with desk.store.transaction() as session:
        assert session.scalars(select(Case)).all() == []


# ---------------------------------------------------------------- transport and files


@pytest.mark.parametrize("section", ["smtp", "imap"])
def test_plain_text_mail_server_login_only_on_loopback(desk_dir, section):
    config_file = desk_dir / "aftersales.toml"
    base = config_file.read_text(encoding="utf-8")
    table = (
        '[smtp]\nhost = "{host}"\nport = 25\nsecurity = "none"\n'
        if section == "smtp"
        else '[[imap]]\nname = "x"\nhost = "{host}"\nport = 143\nsecurity = "none"\nusername = "u@x.test"\n'
    )
    for host, good in [
        ("mail.example.com", False),
        ("10.0.0.5", False),
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
    ]:
        config_file.write_text(base + "\n" + table.format(host=host), encoding="utf-8")
        if good:
            load_config(config_file)
        else:
            with pytest.raises(ConfigError, match="loopback"):
                load_config(config_file)


@pytest.mark.slow  # the command as a process
def test_the_store_archive_and_outbox_are_private(desk_dir):
    import subprocess
    import sys

    from tests.conftest import ROOT

    (desk_dir / "inbox" / "new" / "1.eml").write_bytes(
        raw_mail(CUSTOMER, "投诉：热水器漏水", COMPLAINT)
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "processor",
            "--config",
            str(desk_dir / "aftersales.toml"),
            "run",
            "--once",
        ],
        capture_output=True,
        text=True,
        cwd=desk_dir,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    files = [
        desk_dir / "aftersales.db",
        *(desk_dir / "archive").rglob("*"),
        *(desk_dir / "outbox").rglob("*"),
    ]
    files += [path for path in desk_dir.glob("aftersales.db-*")]
    assert any((desk_dir / "outbox").glob("*.eml"))
    for path in files:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
