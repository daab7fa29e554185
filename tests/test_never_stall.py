"""Never lose, never stall, never fail silently: poison items, limits per part, files still
being written, long names, log lines, hard limits off the main thread, the operator told, and
the CLI's user errors. Each test here failed on the code before issue 18, except
`test_temporary_names_are_left_alone`, which keeps what already worked."""

from __future__ import annotations

import email
import os
import subprocess
import sys
import time
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select

from outputs import compose, reasons
from processor import pipeline
from processor.config import load_config
from processor.desk import Desk
from processor.store.models import Case, Document, MailboxState, OutboxMessage, Problem, SourcePoll
from processor.worker import run_once
from tests.conftest import ROOT, publish_calendar, settle
from tests.test_mail_servers import servers, wire  # noqa: F401 - the real Dovecot and SMTP fixtures

ALICE = "alice@example.test"


def aftersales(*args: str, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:  # noqa: ANN003
    return subprocess.run(
        [sys.executable, "-m", "processor", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
        **kwargs,
    )


def complaint_mail(subject: str = "投诉：热水器漏水", sender: str = ALICE, attachments=()) -> bytes:  # noqa: ANN001
    message = EmailMessage()
    message["From"], message["To"] = f"王喆 <{sender}>", "complaints@desk.localhost"
    message["Subject"], message["Message-ID"] = subject, make_msgid(domain="example.test")
    message.set_content(
        "投诉人：王喆\n联系电话：13800138000\n产品名称：热水器\n投诉内容：热水器漏水，要求换货。\n"
    )
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)


def drop_in_maildir(desk_dir: Path, raw: bytes, key: str) -> Path:
    path = desk_dir / "inbox" / "new" / key
    path.write_bytes(raw)
    return path


def with_operator(desk_dir: Path, max_tries: int = 3) -> Desk:
    publish_calendar(desk_dir)  # these tests are about other problems than the calendar
    config = desk_dir / "aftersales.toml"
    text = config.read_text(encoding="utf-8")
    assert "operator = []" in text and "max_tries = 3" in text
    config.write_text(
        text.replace("operator = []", 'operator = "ops@desk.localhost"', 1).replace(
            "max_tries = 3", f"max_tries = {max_tries}", 1
        ),
        encoding="utf-8",
    )
    return Desk.open(load_config(config))


def rows(desk: Desk, model, *where) -> list:  # noqa: ANN001
    with desk.store.transaction() as session:
        return list(session.scalars(select(model).where(*where)))


# ---------------------------------------------------------------- poison items


def test_a_crlf_in_an_attachment_name_never_reaches_a_header():
    message = compose.notice(
        compose.Sender("desk", "desk@desk.localhost"),
        to=ALICE,
        language="en",
        reason="evil\r\nBcc: victim@example.test.pdf is not a file type we can read",
        filename=None,
        in_reply_to=None,
        references=[],
    )
    assert "\r" not in message["Subject"] and "\n" not in message["Subject"]
    assert message["Bcc"] is None


@pytest.mark.slow  # the worker's rounds
def test_the_evil_attachment_mail_is_quarantined_and_its_sender_told_on_maildir(desk_dir):
    """filename*=utf-8''evil%0D%0ABcc… raised ValueError in the notice subject: retried every
    pass with a traceback, forever, the sender never told."""
    raw = complaint_mail(subject="see attachment").replace(b"\n", b"\r\n")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = ALICE, "complaints@desk.localhost", "资料"
    message["Message-ID"] = make_msgid(domain="example.test")
    message.set_content("见附件")
    message.add_attachment(
        b"\x00\x01garbage" * 50, maintype="application", subtype="octet-stream", filename="x.bin"
    )
    raw = bytes(message).replace(
        b'filename="x.bin"', b"filename*=utf-8''evil%0D%0ABcc%3A%20victim%40example.test.pdf"
    )
    assert b"evil%0D%0ABcc" in raw
    drop_in_maildir(desk_dir, raw, "1700000000.evil.host")
    with Desk.open(load_config(desk_dir / "aftersales.toml")) as desk:
        outcomes = run_once(desk)
        assert [o.status for o in outcomes] == ["quarantined"]
        (notice,) = rows(desk, OutboxMessage, OutboxMessage.purpose == "notice")
        assert notice.recipients == [ALICE] and "\n" not in notice.subject
        assert b"\r\nBcc:" not in notice.raw
    assert os.listdir(desk_dir / "inbox" / "new") == []
    assert [name.rsplit(",", 1)[1] for name in os.listdir(desk_dir / "inbox" / "cur")] == ["FS"]


@pytest.fixture
def poison_step(monkeypatch):
    """A step that fails on every mail whose subject says POISON (a bug no pass gets through)."""
    real = pipeline.record_and_act

    def record_and_act(desk, item, document_id, examined):  # noqa: ANN001, ANN202
        if "POISON" in (examined.doc.meta.get("subject") or ""):
            raise RuntimeError("a step that always fails")
        return real(desk, item, document_id, examined)

    monkeypatch.setattr(pipeline, "record_and_act", record_and_act)


@pytest.mark.slow  # the worker's rounds
def test_a_poison_item_on_maildir_is_tried_max_tries_then_quarantined_and_everyone_told(
    desk_dir, poison_step
):
    drop_in_maildir(desk_dir, complaint_mail("POISON 投诉"), "1700000001.poison.host")
    drop_in_maildir(desk_dir, complaint_mail("投诉：热水器漏水"), "1700000002.good.host")
    with with_operator(desk_dir, max_tries=3) as desk:
        first = run_once(desk)
        assert [o.status for o in first] == ["processed"]  # the good one goes on
        (row,) = rows(desk, Document, Document.status == "received")
        assert (row.tries, row.last_error) == (1, "RuntimeError: a step that always fails")
        assert run_once(desk) == []
        (last,) = run_once(desk)
        assert last.status == "quarantined" and "3 tries" in last.reason
        (row,) = rows(desk, Document, Document.id == row.id)
        assert row.status == "quarantined" and row.tries == 3
        (notice,) = rows(desk, OutboxMessage, OutboxMessage.purpose == "notice")
        assert notice.recipients == [ALICE]
        (problem,) = rows(desk, Problem)
        assert (
            problem.status == "open"
            and problem.kind == "poison_item"
            and "POISON" not in problem.key
        )
        assert run_once(desk) == []  # settled: not tried a fourth time
        (operator_mail,) = rows(desk, OutboxMessage, OutboxMessage.purpose == "problem")
        assert operator_mail.recipients == ["ops@desk.localhost"]
    flagged = [name for name in os.listdir(desk_dir / "inbox" / "cur") if name.endswith(",FS")]
    assert len(flagged) == 1 and flagged[0].startswith("1700000001")


# ---------------------------------------------------------------- the CLI


@pytest.mark.slow  # the command as a process
def test_a_misspelt_time_zone_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "aftersales.toml").write_text(
        '[desk]\ntimezone = "Asia/Shangai"\n', encoding="utf-8"
    )
    result = aftersales("--config", str(tmp_path / "aftersales.toml"), "cases")
    assert result.returncode == 2, result.stderr
    assert (
        result.stderr.count("\n") == 1
        and "Asia/Shangai" in result.stderr
        and "Traceback" not in result.stderr
    )


@pytest.mark.slow  # the command as a process
def test_output_to_a_closed_pipe_ends_quietly(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text(
        "客户投诉\n投诉人：王喆\n联系电话：13800138000\n产品名称：热水器\n投诉内容：漏水。\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "processor", "inspect", "--json", *[str(note)] * 400],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    process.stdout.readline()
    process.stdout.close()  # `| head -1`
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


@pytest.mark.slow  # the worker as a process
def test_a_file_name_with_a_newline_cannot_forge_a_log_line(desk_dir):
    name = "note\n2026-11-28 08:00:00,000 ERROR forged: the desk is on fire.txt"
    path = desk_dir / "shared" / "incoming" / name
    path.write_text(
        "客户投诉\n投诉人：王喆\n联系电话：13800138000\n产品名称：热水器\n投诉内容：漏水。\n",
        encoding="utf-8",
    )
    settle(path)
    result = aftersales("--config", str(desk_dir / "aftersales.toml"), "run", "--once")
    assert result.returncode == 0, result.stderr
    assert "forged" in result.stderr  # it was logged …
    assert not any(
        line.startswith("2026-11-28 08:00:00,000 ERROR forged")
        for line in result.stderr.splitlines()
    )
    assert "note\\n2026" in result.stderr  # … escaped, on its own line


# ---------------------------------------------------------------- the operator


@pytest.mark.slow  # the command as processes
def test_status_names_open_problems_and_exits_1_then_0_once_closed(desk_dir, poison_step):
    drop_in_maildir(desk_dir, complaint_mail("POISON 投诉"), "1700000003.poison.host")
    with with_operator(desk_dir, max_tries=1) as desk:
        run_once(desk)
        (problem,) = rows(desk, Problem)
    config = str(desk_dir / "aftersales.toml")
    result = aftersales("--config", config, "status")
    assert result.returncode == 1, result.stderr
    assert "maildir:inbox" in result.stdout and "last good poll" in result.stdout
    assert "problems: 1 open" in result.stdout and problem.key in result.stdout
    assert "quarantine: 1 items" in result.stdout
    closed = aftersales("--config", config, "status", "--close", problem.key)
    assert closed.returncode == 0 and "problems: none" in closed.stdout
    again = aftersales("--config", config, "status", "--close", problem.key)
    assert again.returncode == 2 and again.stderr.count("\n") == 1


@pytest.mark.slow  # the worker's rounds
def test_an_unreachable_mailbox_is_a_problem_after_an_hour_and_summed_up_daily(desk_dir):
    config = desk_dir / "aftersales.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + """
[[imap]]
name = "down"
host = "127.0.0.1"
port = 9
security = "none"
username = "desk"
timeout_seconds = 2
""",
        encoding="utf-8",
    )
    from processor.sources import imap as imap_source

    imap_source._BACKOFF.clear()
    with with_operator(desk_dir) as desk:
        run_once(desk)
        assert rows(desk, Problem) == []  # down for minutes: not yet a problem
        run_once(desk)  # pausing before the next attempt: not read, so not a good poll either
        (poll,) = rows(desk, SourcePoll, SourcePoll.source == "imap:down")
        assert poll.failing_since is not None and poll.last_success_at is None
        with desk.store.transaction() as session:
            poll = session.get(SourcePoll, "imap:down")
            assert poll.failing_since is not None and poll.last_error
            poll.failing_since -= timedelta(hours=2)
        imap_source._BACKOFF.clear()
        run_once(desk)
        (problem,) = rows(desk, Problem)
        assert problem.status == "open" and problem.key == "imap:down"
        imap_source._BACKOFF.clear()
        run_once(desk)
        assert (
            len(rows(desk, OutboxMessage, OutboxMessage.purpose == "problem")) == 1
        )  # one mail per new problem
        with desk.store.transaction() as session:
            session.get(Problem, problem.id).summarised_at -= timedelta(days=1, minutes=1)
        imap_source._BACKOFF.clear()
        run_once(desk)
        mails = rows(desk, OutboxMessage, OutboxMessage.purpose == "problem")
        assert (
            len(mails) == 2 and "仍未解决的问题：1 项" in mails[1].subject
        )  # in the desk's language
        with desk.store.transaction() as session:  # the mailbox is back
            session.get(SourcePoll, "imap:down").failing_since = None
        imap_source._BACKOFF.clear()
        run_once(desk)
        (problem,) = rows(desk, Problem)
        assert problem.status == "closed"


# ---------------------------------------------------------------- IMAP, on a real Dovecot


@pytest.mark.slow  # the worker's rounds
def test_imap_last_uid_never_passes_a_poison_mail_until_it_is_quarantined(wire, poison_step):  # noqa: F811
    """The last UID moved past a mail that failed: never fetched again, unseen, its document
    `received` for ever. Now it is fetched again each pass until quarantined."""
    from tests.test_mail_servers import DESK, complaint

    dovecot, _smtp, config = wire
    for number, subject in ((1, None), (2, "POISON 投诉"), (3, None)):
        dovecot.deliver(complaint(number, subject=subject), DESK)
    with Desk.open(load_config(config)) as desk:
        first = run_once(desk)
        assert sorted(o.status for o in first) == ["processed", "processed"]
        assert len(dovecot.messages(DESK)) == 1  # the poison mail stays, for the next pass
        (state,) = rows(desk, MailboxState)
        assert state.last_uid == 1  # not past UID 2, which is not settled
        for _ in range(2):
            outcomes = run_once(desk)
        assert [o.status for o in outcomes] == ["quarantined"]
        assert dovecot.messages(DESK) == []
        (quarantined,) = dovecot.messages(DESK, "Quarantine")
        assert b"POISON" in quarantined
        (row,) = rows(desk, Document, Document.status == "quarantined")
        assert row.tries == 3
        assert len(rows(desk, Case)) == 2
        (state,) = rows(desk, MailboxState)
        assert state.last_uid == 2  # UID 3 left the folder in the first pass


# ---------------------------------------------------------------- limits per part


@pytest.mark.slow  # a 30 MB mail
def test_a_30_mb_mail_with_a_complaint_body_becomes_a_case_and_the_big_attachment_is_refused_by_name(
    desk_dir,
):
    """The 25 MB file limit was applied to the whole message: quarantined, nobody told."""
    big = os.urandom(30 * 1024 * 1024)
    raw = complaint_mail(attachments=[("现场视频.bin", big)])
    assert len(raw) > 30 * 1024 * 1024
    drop_in_maildir(desk_dir, raw, "1700000010.big.host")
    with Desk.open(load_config(desk_dir / "aftersales.toml")) as desk:
        (outcome,) = run_once(desk)
        assert outcome.status == "processed" and outcome.case_no, outcome.reason
        (ack,) = rows(desk, OutboxMessage, OutboxMessage.purpose == "acknowledgement")
    import email
    from email import policy

    message = email.message_from_bytes(ack.raw, policy=policy.default)
    plain, html = (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )
    assert "现场视频.bin" in plain and "30 MB" in plain and "现场视频.bin" in html


@pytest.mark.slow  # a mail over 25 MB
def test_an_oversized_attachment_alone_is_still_refused_with_its_name(desk_dir):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = ALICE, "complaints@desk.localhost", "附件"
    message["Message-ID"] = make_msgid(domain="example.test")
    message.set_content("见附件")
    message.add_attachment(
        b"x" * (2 * 1024 * 1024), maintype="application", subtype="pdf", filename="form.pdf"
    )
    config = desk_dir / "aftersales.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "max_file_bytes = 26214400", "max_file_bytes = 1048576"
        ),
        encoding="utf-8",
    )
    drop_in_maildir(desk_dir, bytes(message), "1700000011.form.host")
    with Desk.open(load_config(config)) as desk:
        (outcome,) = run_once(desk)
        # a person's words, however few, open a case; its acknowledgement names what was not read
        assert outcome.status == "processed" and outcome.case_no
        (ack,) = rows(desk, OutboxMessage, OutboxMessage.purpose == "acknowledgement")
        assert (
            "form.pdf"
            in email.message_from_bytes(ack.raw, policy=policy.default)
            .get_body(("plain",))
            .get_content()
        )


# ---------------------------------------------------------------- shared folders

NOTE = "客户投诉\n投诉人：王喆\n联系电话：13800138000\n产品名称：热水器\n投诉内容：热水器漏水，要求换货。\n"


def folder_source(desk_dir: Path):  # noqa: ANN201
    from processor.sources.folder import FolderSource

    shared = desk_dir / "shared"
    return FolderSource(
        "shared", shared / "incoming", shared / "processed", shared / "quarantine", 25 * 2**20
    )


WRITER = """
import sys, time
with open(sys.argv[1], "wb") as file:
    file.write(b"x" * 15000); file.flush()
    time.sleep(float(sys.argv[2]))
    file.write(b"y" * 15000)
"""


@pytest.mark.slow  # waits out a writer's pause
def test_a_writer_pausing_longer_than_the_settle_time_gets_no_prefix_taken(desk_dir):
    """A writer pausing 2.5 s (settle time 1 s) got a 15,000-byte prefix archived."""
    path = desk_dir / "shared" / "incoming" / "form.docx"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "3"])
    try:
        deadline = time.time() + 10
        while not (
            path.exists()
            and path.stat().st_size == 15000
            and time.time() - path.stat().st_mtime > 1.5
        ):
            assert time.time() < deadline
            time.sleep(0.05)
        assert list(folder_source(desk_dir).items()) == []  # still open for writing: left alone
    finally:
        writer.wait(timeout=10)
    settle(path)
    ((item, _done),) = list(folder_source(desk_dir).items())
    assert len(item.data) == 30000


def test_temporary_names_are_left_alone(desk_dir):
    incoming = desk_dir / "shared" / "incoming"
    for name in ("~$form.docx", "form.docx.part", "x.tmp", "y.crdownload", ".hidden.txt"):
        (incoming / name).write_text(NOTE, encoding="utf-8")
    settle(*incoming.iterdir())
    assert list(folder_source(desk_dir).items()) == []


@pytest.mark.slow  # the worker's rounds
def test_names_of_250_characters_settle_and_their_duplicates_too(desk_dir):
    """No .reason.txt (the name grew past 255 bytes) and a duplicate erroring every pass."""
    incoming = desk_dir / "shared" / "incoming"
    long_name = "a" * 246 + ".txt"  # 250 characters: over 255 once ".reason.txt" is added
    unreadable = "b" * 246 + ".xyz"
    with Desk.open(load_config(desk_dir / "aftersales.toml")) as desk:
        for round_ in range(2):
            (incoming / long_name).write_text(
                NOTE + ("" if round_ == 0 else "再次"), encoding="utf-8"
            )
            (incoming / unreadable).write_bytes(b"\x00\x01\x02 not a form" + bytes([round_]))
            settle(*incoming.iterdir())
            outcomes = run_once(desk)
            assert sorted(o.status for o in outcomes) == ["processed", "quarantined"]
            assert os.listdir(incoming) == []
    quarantined = sorted(os.listdir(desk_dir / "shared" / "quarantine"))
    assert len(quarantined) == 4 and sum(name.endswith(".reason.txt") for name in quarantined) == 2
    assert all(len(name.encode()) <= 255 for name in quarantined)
    assert len(os.listdir(desk_dir / "shared" / "processed")) == 2


# ---------------------------------------------------------------- hard limits off the main thread


def in_a_thread(work):  # noqa: ANN001, ANN201
    """What a distributed worker does: the parse runs in a thread, not on the main thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def worker_book(**limits):  # noqa: ANN003, ANN201
    import dataclasses

    from processor.config import Config
    from processor.desk import Rulebook

    book = Rulebook.from_config(Config())
    return dataclasses.replace(
        book,
        limits=dataclasses.replace(book.limits, **limits),
        separate_processes=Config().limits.separate_processes,
    )


@pytest.mark.slow  # waits out a time limit
def test_max_seconds_holds_in_a_worker_thread():
    """`[limits] max_seconds` used SIGALRM, which only the main thread can set: in a thread a
    fax was read for as long as it took (38 s here), the limit 1 s."""
    from tests.conftest import sample

    data = sample("024-fax-complaint").read_bytes()
    book = worker_book(max_seconds=1)
    started = time.monotonic()
    doc = in_a_thread(lambda: book.parse(data, "024.pdf"))
    assert time.monotonic() - started < 15
    assert doc.kind == "unknown" and "took more than 1 s" in doc.errors[0]


def test_max_memory_holds_in_a_worker_thread():
    """A document that needs more memory than `[limits] max_memory_mb` is refused; the worker
    (this process) goes on. OCR of a fax takes about 2 GB of address space."""
    from tests.conftest import sample

    data = sample("024-fax-complaint").read_bytes()
    book = worker_book(max_memory_mb=600)
    doc = in_a_thread(lambda: book.parse(data, "024.pdf"))
    assert doc.kind == "unknown" and doc.errors, doc.kind
    text = in_a_thread(lambda: book.parse(NOTE.encode(), "note.txt"))  # the pool still reads
    assert text.kind == "complaint"


def test_an_item_tried_again_keeps_the_time_it_arrived(desk_dir, monkeypatch):
    """The receipt time was re-read as `now` on every retry: deadlines moved with each pass."""
    real, calls = pipeline.record_and_act, []

    def fails_once(desk, item, document_id, examined):  # noqa: ANN001, ANN202
        calls.append(examined.received)
        if len(calls) == 1:
            raise RuntimeError("the store went away for a moment")
        return real(desk, item, document_id, examined)

    monkeypatch.setattr(pipeline, "record_and_act", fails_once)
    drop_in_maildir(desk_dir, complaint_mail(), "1700000020.retry.host")
    with Desk.open(load_config(desk_dir / "aftersales.toml")) as desk:
        assert run_once(desk) == []
        with desk.store.transaction() as session:
            row = session.scalars(select(Document)).one()
            row.received_at -= timedelta(days=3)
        (outcome,) = run_once(desk)
        assert outcome.status == "processed"
        assert calls[0] - calls[1] >= timedelta(days=3) - timedelta(minutes=1)
        (row,) = rows(desk, Document)
        assert row.parsed["received"] == calls[1].isoformat(timespec="minutes")


@pytest.mark.slow  # the worker's rounds
def test_an_smtp_login_refused_is_a_problem_until_a_mail_goes_out(wire, monkeypatch):  # noqa: F811
    from tests.test_mail_servers import ALICE as CUSTOMER
    from tests.test_mail_servers import DESK, complaint

    dovecot, _smtp, config = wire
    text = config.read_text(encoding="utf-8")
    smtp_secret = 'password_env = "TEST_DESK_PASSWORD"\nfrom_address'
    assert smtp_secret in text
    config.write_text(
        text.replace(smtp_secret, 'password_env = "TEST_SMTP_PASSWORD"\nfrom_address'),
        encoding="utf-8",
    )
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "not the password")
    dovecot.deliver(complaint(1), DESK)
    with Desk.open(load_config(config)) as desk:
        run_once(desk)
        (problem,) = rows(desk, Problem, Problem.kind == "smtp_login")
        assert (problem.key, problem.kind, problem.status) == ("smtp:login", "smtp_login", "open")
        assert "login refused" in reasons.with_detail(problem.summary, "en")
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "deskpw")
        run_once(desk)
        (problem,) = rows(desk, Problem, Problem.kind == "smtp_login")
        assert problem.status == "closed"
    assert len(dovecot.messages(CUSTOMER)) == 1


def test_a_distributed_document_job_that_always_fails_is_counted_then_quarantined(
    desk_dir, poison_step
):
    """With `run --distributed` the engine retried a failing document twice, then left it
    `received` for ever; now each try is counted and the last one quarantines it."""
    from processor.distributed import process_one
    from processor.pipeline import Incoming, accept

    deferred = []
    with with_operator(desk_dir, max_tries=3) as desk:
        document_id, new = accept(
            desk, Incoming("maildir:inbox", "k", "k.eml", complaint_mail("POISON 投诉"))
        )
        assert new
        for attempt in (1, 2):
            with pytest.raises(RuntimeError):  # the engine retries the job
                process_one(desk, document_id, lambda *args, **kwargs: deferred.append(args))
            (row,) = rows(desk, Document)
            assert row.tries == attempt and row.status == "received"
        assert (
            process_one(desk, document_id, lambda *args, **kwargs: deferred.append(args))
            == "quarantined"
        )
        (row,) = rows(desk, Document)
        assert row.status == "quarantined" and row.tries == 3
        (problem,) = rows(desk, Problem)
        assert problem.key == f"poison:{document_id}"
        assert [
            m.recipients for m in rows(desk, OutboxMessage, OutboxMessage.purpose == "notice")
        ] == [[ALICE]]
