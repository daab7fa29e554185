"""The desk on real mail servers: Dovecot for IMAP (plain+STARTTLS and implicit TLS) and an SMTP
server relaying to Dovecot over LMTP, all on 127.0.0.1. Customers send over SMTP, the worker
reads the complaints mailbox over IMAP and answers over SMTP, and the answer is read back out of
the customer's mailbox: the whole loop on the wire, then the faults."""

from __future__ import annotations

import contextlib
import email
import functools
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from processor.config import load_config
from processor.desk import Desk
from processor.sources import imap as imap_source
from processor.store.models import Case, Document, OutboxMessage, utcnow
from processor.worker import run_once
from tests.conftest import ROOT, settle
from tests.mailservers import Dovecot, SmtpServer, wait_for

pytestmark = [
    pytest.mark.slow,  # Dovecot and an SMTP server
    pytest.mark.skipif(shutil.which("dovecot") is None, reason="Dovecot is installed by make test"),
]

DESK = "complaints@example.test"
ALICE = "alice@example.test"


@pytest.fixture(scope="module")
def servers():
    dovecot = Dovecot()
    dovecot.prepare()
    dovecot.start()
    smtp = SmtpServer(dovecot)
    smtp.start()
    try:
        yield dovecot, smtp
    finally:
        smtp.stop()
        dovecot.cleanup()


def write_config(
    folder, dovecot: Dovecot, smtp: SmtpServer, *, security="starttls", extra=""
) -> os.PathLike:
    rules = (
        (ROOT / "rules.example.toml")
        .read_text(encoding="utf-8")
        .replace("@desk.localhost", "@example.test")
    )
    (folder / "rules.toml").write_text(rules, encoding="utf-8")
    port = dovecot.imaps if security == "tls" else dovecot.imap
    config = folder / "aftersales.toml"
    config.write_text(
        f"""
[desk]
max_acks_per_sender_per_hour = 50
{extra}
[rules]
file = "rules.toml"

[[imap]]
name = "complaints"
host = "127.0.0.1"
port = {port}
security = "{security}"
username = "{DESK}"
password_env = "TEST_DESK_PASSWORD"
ca_file = "{dovecot.cert}"
batch_size = 2

[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "starttls"
username = "{DESK}"
password_env = "TEST_DESK_PASSWORD"
from_address = "{DESK}"
ca_file = "{dovecot.cert}"
retry_seconds = 0.05
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def wire(tmp_path, servers, monkeypatch):
    dovecot, smtp = servers
    dovecot.empty()
    smtp.relay.refuse = 0
    imap_source._BACKOFF.clear()  # each test starts with servers that were never down
    monkeypatch.setenv("TEST_DESK_PASSWORD", "deskpw")
    return dovecot, smtp, write_config(tmp_path, dovecot, smtp)


def complaint(number: int, sender: str = ALICE, subject: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = f"客户{number} <{sender}>", DESK
    message["Subject"] = subject or f"投诉：热水器漏水 {number}"
    message["Message-ID"] = make_msgid(domain="example.test")
    message.set_content(
        f"投诉人：王喆{number}\n联系电话：1380013{number:04d}\n产品名称：热水器\n"
        f"投诉内容：热水器第{number}次漏水，要求换货。\n"
    )
    return bytes(message)


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def cli_run_once(config) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run(
        [sys.executable, "-m", "processor", "--config", str(config), "run", "--once"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=os.environ.copy(),
    )


def large_batch(dovecot: Dovecot, config, *, mails: int, files: int):  # noqa: ANN001, ANN201
    """`mails` complaints in the desk's mailbox and `files` in a shared folder the config gains;
    the folder."""
    text = config.read_text(encoding="utf-8").replace(
        "[rules]", '[[folders]]\nname = "shared"\npath = "shared/incoming"\n\n[rules]'
    )
    config.write_text(text, encoding="utf-8")
    incoming = config.parent / "shared" / "incoming"
    incoming.mkdir(parents=True)
    for number in range(1, mails + 1):
        dovecot.deliver(complaint(number), DESK)
    for number in range(files):
        (incoming / f"note-{number}.txt").write_text(
            f"客户投诉\n投诉人：赵敏{number}\n联系电话：1370000{number:04d}\n电子邮件：{ALICE}\n"
            f"产品名称：空调\n投诉内容：空调第{number}次不制冷，要求维修。\n",
            encoding="utf-8",
        )
    settle(*incoming.iterdir())
    return incoming


def assert_each_arrived_once_but_in_doubt(received: list[str], sent: list[OutboxMessage]) -> None:
    """Every mail arrived, and only once, but for one a worker died with in the instant between
    the server taking it and the commit of its mark (no SMTP client can know, RFC 1047): that
    one is claimed again once its lease runs out and goes again, with its Message-ID, by which
    receiving systems drop the copy."""
    copies = Counter(received)
    assert set(copies) == {row.message_id for row in sent}  # none lost, none unknown
    in_doubt = {
        row.message_id for row in sent if row.attempts >= 2
    }  # claimed by a worker that died
    assert {message_id for message_id, times in copies.items() if times > 1} <= in_doubt
    assert max(copies.values()) <= 2


def count(config, model, *where) -> int:  # noqa: ANN001
    with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
        return session.scalar(select(func.count(model.id)).where(*where))


def test_the_whole_loop_on_the_wire(wire):
    dovecot, smtp, config = wire
    smtp.send(complaint(1), [DESK])
    result = cli_run_once(config)
    assert result.returncode == 0, result.stderr
    (ack,) = [parsed(raw) for raw in dovecot.messages(ALICE)]
    assert "[CS-" in ack["Subject"] and ack["Auto-Submitted"] == "auto-replied"
    assert "王喆1" in ack.get_body(("plain",)).get_content()
    assert dovecot.messages(DESK) == []  # moved out of the inbox …
    client = dovecot.client(DESK, "Processed")  # … into Processed, seen
    assert [b"\\Seen" in flags for flags in client.get_flags(client.search("ALL")).values()] == [
        True
    ]
    client.logout()
    # the case's notice (the round's jobs add the day's digest once past [worker] digest_at)
    (notice,) = [
        mail
        for mail in map(parsed, dovecot.messages("service.manager@example.test"))
        if ack["Subject"].split("]")[0] in mail["Subject"]
    ]

    # the customer answers the acknowledgement: recorded on the case, not a new case
    reply = EmailMessage()
    reply["From"], reply["To"], reply["Subject"] = ALICE, DESK, "Re: " + ack["Subject"]
    reply["In-Reply-To"] = ack["Message-ID"]
    reply.set_content("补充：漏水在进水口。\n\n> 原邮件")
    smtp.send(bytes(reply), [DESK])
    assert cli_run_once(config).returncode == 0
    assert count(config, Case) == 1
    assert len(dovecot.messages(ALICE)) == 1  # a reply is not acknowledged again


def test_implicit_tls_and_a_config_of_only_imap_and_smtp(tmp_path, servers, monkeypatch):
    dovecot, smtp = servers
    dovecot.empty()
    imap_source._BACKOFF.clear()
    monkeypatch.setenv("TEST_DESK_PASSWORD", "deskpw")
    config = write_config(tmp_path, dovecot, smtp, security="tls")
    dovecot.deliver(complaint(7), DESK)
    assert cli_run_once(config).returncode == 0
    assert len(dovecot.messages(ALICE)) == 1
    assert (tmp_path / "aftersales.db").is_file() and (tmp_path / "archive").is_dir()


def test_new_uidvalidity_is_read_again_without_processing_anything_twice(wire, tmp_path):
    dovecot, smtp, config = wire
    text = config.read_text(encoding="utf-8").replace(
        "batch_size = 2", 'batch_size = 2\nprocessed_folder = "INBOX"'
    )
    config.write_text(text, encoding="utf-8")
    for number in (1, 2):
        dovecot.deliver(complaint(number), DESK)
    assert cli_run_once(config).returncode == 0
    dovecot.doveadm("mailbox", "update", "-u", DESK, "--uid-validity", "12345", "INBOX")
    dovecot.deliver(complaint(3), DESK)
    assert cli_run_once(config).returncode == 0
    assert count(config, Case) == 3
    assert len(dovecot.messages(ALICE)) == 3


def test_imap_server_killed_in_the_middle_of_a_batch(wire):
    dovecot, smtp, config = wire
    for number in range(1, 7):
        dovecot.deliver(complaint(number), DESK)
    seen = []

    def kill_after_three(outcome):  # noqa: ANN001
        seen.append(outcome)
        if len(seen) == 3:
            dovecot.kill()

    with Desk.open(load_config(config)) as desk:
        run_once(desk, kill_after_three)  # the worker survives the dropped connection
        dovecot.start()  # same ports, same mail
        imap_source._BACKOFF.clear()  # skip the pause the worker would wait out
        run_once(desk)
        run_once(desk)
    assert count(config, Document) == 6 and count(config, Case) == 6
    acks = [parsed(raw)["Subject"] for raw in dovecot.messages(ALICE)]
    assert len(acks) == 6 and len(set(acks)) == 6  # each answered exactly once
    assert dovecot.messages(DESK) == [] and len(dovecot.messages(DESK, "Processed")) == 6


def test_smtp_refusing_for_a_while_then_accepting(wire):
    dovecot, smtp, config = wire
    smtp.relay.refuse = 3  # three 451s, then it works
    dovecot.deliver(complaint(1), DESK)
    with Desk.open(load_config(config)) as desk:
        run_once(desk)

        def acknowledged() -> bool:
            run_once(desk)
            return len(dovecot.messages(ALICE)) == 1

        wait_for(acknowledged, timeout=20, interval=0.2)
        run_once(desk)
        with desk.store.transaction() as session:
            ack = session.scalars(
                select(OutboxMessage).where(OutboxMessage.purpose == "acknowledgement")
            ).one()
            assert (
                ack.status == "sent" and ack.attempts >= 2
            )  # the three 451s fell on it and the notice
            assert "451" in ack.last_error
    assert len(dovecot.messages(ALICE)) == 1


def test_refused_recipient_fails_for_good_and_flags_the_case(wire):
    dovecot, smtp, config = wire
    dovecot.deliver(complaint(1, sender="ghost@example.test"), DESK, sender="ghost@example.test")
    with Desk.open(load_config(config)) as desk:
        run_once(desk)
        run_once(desk)  # the notice to the owner goes out on the next delivery
        with desk.store.transaction() as session:
            ack = session.scalars(
                select(OutboxMessage).where(OutboxMessage.purpose == "acknowledgement")
            ).one()
            assert ack.status == "failed" and "550" in ack.last_error  # refused at RCPT
            case = session.scalars(select(Case)).one()
            assert case.fields["email_undeliverable"] == "ghost@example.test"
            assert "undeliverable" in [event.type for event in case.events]
    subjects = [parsed(raw)["Subject"] for raw in dovecot.messages("service.manager@example.test")]
    assert any("无法送达" in subject for subject in subjects)


def test_a_bounce_of_our_acknowledgement_marks_it_and_is_never_answered(wire):
    dovecot, smtp, config = wire
    dovecot.deliver(complaint(1), DESK)
    assert cli_run_once(config).returncode == 0
    (ack,) = [parsed(raw) for raw in dovecot.messages(ALICE)]
    dsn = (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\nTo: {DESK}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.test\r\n\r\n"
        f"Final-Recipient: rfc822; {ALICE}\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        "Diagnostic-Code: smtp; 552 mailbox full\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ack['Message-ID']}\r\nSubject: x\r\n--b--\r\n"
    )
    dovecot.deliver(dsn.encode(), DESK, sender="")
    assert cli_run_once(config).returncode == 0
    with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.message_id == ack["Message-ID"])
        ).one()
        assert row.status == "bounced" and "5.2.2" in row.last_error
        case = session.scalars(select(Case)).one()
        assert case.fields["email_undeliverable"] == ALICE
    assert len(dovecot.messages(ALICE)) == 1  # nothing sent to the bouncer or the customer


@pytest.mark.parametrize("kill_at", [1, 4])
def test_worker_killed_between_archive_and_move_processes_each_mail_once(wire, kill_at):
    dovecot, smtp, config = wire
    for number in range(1, 9):
        dovecot.deliver(complaint(number), DESK)
    worker = subprocess.Popen(
        [sys.executable, "-m", "processor", "--config", str(config), "run", "--once"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    database = config.parent / "aftersales.db"

    def archived_enough() -> bool:
        if worker.poll() is not None:
            return True
        if not database.exists():
            return False
        try:
            return count(config, Document) >= kill_at
        except Exception:  # noqa: BLE001 - the store is still being created
            return False

    wait_for(archived_enough, timeout=60, interval=0.01)
    worker.send_signal(signal.SIGKILL)
    assert worker.wait() == -signal.SIGKILL  # killed at work, not after it had finished
    assert cli_run_once(config).returncode == 0
    assert cli_run_once(config).returncode == 0
    assert count(config, Document) == 8 and count(config, Case) == 8
    acks = [parsed(raw)["Subject"] for raw in dovecot.messages(ALICE)]
    assert len(acks) == 8 and len(set(acks)) == 8
    assert dovecot.messages(DESK) == []


def test_auto_replies_in_the_mailbox_get_no_answer(wire):
    dovecot, smtp, config = wire
    auto = EmailMessage()
    auto["From"], auto["To"], auto["Subject"] = "bob@example.test", DESK, "自动回复：我正在休假"
    auto["Auto-Submitted"] = "auto-replied"
    auto.set_content("我将于下周一回来。")
    dovecot.deliver(bytes(auto), DESK, sender="bob@example.test")
    assert cli_run_once(config).returncode == 0
    assert dovecot.messages("bob@example.test") == []
    assert count(config, Case) == 0


def test_idle_wakes_the_worker_and_it_reconnects_after_a_server_restart(wire):
    dovecot, smtp, config = wire
    text = config.read_text(encoding="utf-8").replace(
        "batch_size = 2", "batch_size = 2\nidle = true"
    )
    config.write_text(text + "\n[worker]\npoll_seconds = 3600\n", encoding="utf-8")
    worker = subprocess.Popen(
        [sys.executable, "-m", "processor", "--config", str(config), "run"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    try:
        wait_for(lambda: DESK in dovecot.doveadm("who"), timeout=20)  # the worker is connected
        dovecot.deliver(complaint(1), DESK)
        wait_for(lambda: len(dovecot.messages(ALICE)) == 1, timeout=20)  # not an hour: IDLE woke it
        dovecot.kill()
        dovecot.start()
        dovecot.deliver(complaint(2), DESK)
        wait_for(lambda: len(dovecot.messages(ALICE)) == 2, timeout=40)
        assert worker.poll() is None  # it never died of the dropped connection
    finally:
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=20)
    assert "worker stopped" in errors.decode()


def test_xoauth2_for_imap_and_smtp_with_tokens_from_the_environment_and_a_command(
    wire, monkeypatch
):
    dovecot, smtp, config = wire
    monkeypatch.setenv("TEST_DESK_TOKEN", "ya29.desk-token")
    text = config.read_text(encoding="utf-8")
    smtp_part = text.index("[smtp]")
    good = text[:smtp_part].replace(
        'password_env = "TEST_DESK_PASSWORD"', 'oauth2_token_env = "TEST_DESK_TOKEN"'
    ) + text[smtp_part:].replace(
        'password_env = "TEST_DESK_PASSWORD"', 'oauth2_token_cmd = "printf ya29.desk-token"'
    )
    config.write_text(good, encoding="utf-8")
    dovecot.deliver(complaint(1), DESK)
    assert cli_run_once(config).returncode == 0
    assert len(dovecot.messages(ALICE)) == 1

    config.write_text(
        good.replace("printf ya29.desk-token", "printf expired-token"), encoding="utf-8"
    )
    dovecot.deliver(complaint(2), DESK)
    assert cli_run_once(config).returncode == 0  # a refused login keeps every mail queued, untried
    assert len(dovecot.messages(ALICE)) == 1
    with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
        waiting = session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == "queued")
        ).all()
        assert waiting and all(row.attempts == 0 for row in waiting)


# Where the worker is killed, each time it was started again: (what is counted, how many more
# than when it started). First while documents are processed — some cases opened, not all —
# then while the outbox goes out — some mails sent, not all.
KILL_POINTS = (("cases", 2), ("cases", 5), ("cases", 5), ("cases", 5), ("sent", 3), ("sent", 10))


def progress(database) -> dict[str, int] | None:  # noqa: ANN001
    """What the store shows done so far, read straight from its file (cheap enough to poll
    while the worker writes); None while the worker is creating it or holds it locked."""
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.1)
        ) as store:
            return {
                "cases": store.execute("select count(*) from cases").fetchone()[0],
                "sent": store.execute(
                    "select count(*) from outbox where status = 'sent'"
                ).fetchone()[0],
                "mails": store.execute("select count(*) from outbox").fetchone()[0],
            }
    except sqlite3.Error:
        return None


def worked_up_to(database, worker: subprocess.Popen, counted: str, target: int) -> bool:  # noqa: ANN001
    now = progress(database)
    return worker.poll() is not None or (now is not None and now[counted] >= target)


def no_lease_left(config) -> bool:  # noqa: ANN001
    """No mail is still claimed by a worker that died: its lease ran out."""
    with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
        return not session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.status == "sending", OutboxMessage.next_attempt_at > utcnow()
            )
        ).first()


def test_sigkill_in_the_middle_of_a_large_batch_loses_and_repeats_nothing(wire):
    dovecot, smtp, config = wire
    incoming = large_batch(dovecot, config, mails=24, files=6)
    config.write_text(
        config.read_text(encoding="utf-8") + "lease_seconds = 2\n",  # [smtp] is last: mails
        encoding="utf-8",
    )  # claimed by the dead go out soon
    database = config.parent / "aftersales.db"
    command = [sys.executable, "-m", "processor", "--config", str(config), "run", "--once"]
    for counted, more in KILL_POINTS:
        start = progress(database) or {"cases": 0, "sent": 0, "mails": 0}
        worker = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=os.environ.copy(),
        )
        wait_for(
            functools.partial(worked_up_to, database, worker, counted, start[counted] + more),
            timeout=180,
            interval=0.02,
        )
        worker.send_signal(signal.SIGKILL)
        assert worker.wait() == -signal.SIGKILL  # killed while working, not after it had finished
        reached = progress(database)
        assert 0 < reached[counted] < (30 if counted == "cases" else reached["mails"]), (
            counted,
            reached,
        )  # mid-batch
    for _ in range(3):  # what the dead had claimed goes out once its lease has run out
        wait_for(lambda: no_lease_left(config), timeout=30, interval=0.2)
        assert cli_run_once(config).returncode == 0
        if count(config, OutboxMessage, OutboxMessage.status.in_(("queued", "sending"))) == 0:
            break
    assert count(config, Document) == 30 and count(config, Case) == 30
    with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
        numbers = [case.case_no for case in session.scalars(select(Case))]
        acks = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "acknowledgement")
        ).all()
    assert len(numbers) == len(set(numbers)) == 30
    assert {row.status for row in acks} == {"sent"} and len(acks) == 30
    received = [parsed(raw)["Message-ID"] for raw in dovecot.messages(ALICE)]
    assert_each_arrived_once_but_in_doubt(received, acks)
    assert dovecot.messages(DESK) == [] and list(incoming.iterdir()) == []
