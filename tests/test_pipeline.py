"""The whole way of an item on the embedded default: archive, case, outbox, folders, Maildir."""

from __future__ import annotations

import email
import shutil
from email import policy

from sqlalchemy import func, select

from processor.pipeline import Incoming, process
from processor.store.models import Case, Document, OutboxMessage
from processor.worker import run_once
from tests.conftest import sample, settle


def mails(desk, purpose=None):
    with desk.store.transaction() as session:
        query = select(OutboxMessage)
        if purpose:
            query = query.where(OutboxMessage.purpose == purpose)
        return session.scalars(query).all()


def test_complaint_mail_opens_a_case_and_queues_an_acknowledgement(desk):
    outcome = process(desk, Incoming("test", "1", "001.eml", sample("001-").read_bytes()))
    assert outcome.status == "processed"
    assert outcome.case_no.startswith("CS-") and outcome.case_no.endswith("-0001")
    (ack,) = mails(desk, "acknowledgement")
    message = email.message_from_bytes(ack.raw, policy=policy.default)
    assert message["To"] == "zhou9068@sina.com"
    assert f"[{outcome.case_no}]" in message["Subject"]
    assert message["Auto-Submitted"] == "auto-replied"
    body = message.get_body(("plain",)).get_content()
    assert "沈伟" in body and outcome.case_no in body
    with desk.store.transaction() as session:
        case = session.scalars(select(Case)).one()
        assert [event.type for event in case.events] == ["received", "acknowledged", "assigned"]
        assert case.status == "assigned" and case.next_deadline_at is not None


def test_the_same_mail_twice_is_one_document_and_one_case(desk):
    data = sample("002-").read_bytes()
    first = process(desk, Incoming("test", "a", "002.eml", data))
    second = process(desk, Incoming("test", "b", "002-copy.eml", data))
    assert (first.status, second.status) == ("processed", "duplicate")
    with desk.store.transaction() as session:
        assert session.scalar(select(func.count(Document.id))) == 1
        assert session.scalar(select(func.count(Case.id))) == 1
    assert len(mails(desk, "acknowledgement")) == 1


def test_original_bytes_are_archived_under_their_hash(desk):
    data = sample("003-").read_bytes()
    process(desk, Incoming("test", "1", "003.eml", data))
    with desk.store.transaction() as session:
        document = session.scalars(select(Document)).one()
    archived = desk.config.archive_dir / document.archive_path
    assert archived.read_bytes() == data
    assert oct(archived.stat().st_mode & 0o777) == "0o600"


def test_major_complaint_is_escalated_to_the_general_manager(desk):
    outcome = process(desk, Incoming("test", "1", "003.eml", sample("003-").read_bytes()))
    assert outcome.level == "major"
    (notice,) = mails(desk, "owner_notice")
    assert "gm@desk.localhost" in notice.recipients


def test_auto_reply_and_bounce_are_recorded_but_never_answered(desk):
    for name in ("043-", "045-"):
        outcome = process(desk, Incoming("test", name, name, sample(name).read_bytes()))
        assert outcome.status == "recorded"
    assert mails(desk) == []


def test_reply_to_a_known_case_is_recorded_on_it_not_a_new_case(desk):
    first = process(desk, Incoming("test", "1", "001.eml", sample("001-").read_bytes()))
    reply = (
        "From: 沈伟 <zhou9068@sina.com>\nTo: complaints@desk.localhost\n"
        f"Subject: Re: [{first.case_no}] 您的投诉已受理\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\n请问处理到哪一步了？\n"
    ).encode()
    outcome = process(desk, Incoming("test", "2", "reply.eml", reply))
    assert (outcome.status, outcome.case_no) == ("recorded", first.case_no)
    with desk.store.transaction() as session:
        assert session.scalar(select(func.count(Case.id))) == 1
        case = session.scalars(select(Case)).one()
        assert case.events[-1].type == "customer_reply"


def test_bad_file_in_shared_folder_goes_to_quarantine_with_a_reason(desk, desk_dir):
    incoming = desk_dir / "shared" / "incoming"
    shutil.copy(sample("048-"), incoming / "form.docx")
    shutil.copy(sample("016-"), incoming / "good.docx")
    settle(*incoming.iterdir())
    outcomes = run_once(desk)
    assert sorted(o.status for o in outcomes) == ["processed", "quarantined"]
    assert (desk_dir / "shared" / "processed" / "good.docx").exists()
    reason = (desk_dir / "shared" / "quarantine" / "form.docx.reason.txt").read_text(
        encoding="utf-8"
    )
    # in the desk's language (zh-Hans), with the reason code
    assert (
        "此文件已隔离" in reason
        and "处理方法" in reason
        and "原因代码：" in reason
        and "What to do" not in reason
    )
    assert list(incoming.iterdir()) == []


def test_bad_attachment_by_mail_gets_a_polite_note_to_the_sender(desk):
    message = email.message.EmailMessage()
    message["From"] = "dealer@example.test"
    message["To"] = "complaints@desk.localhost"
    message["Subject"] = "退货明细"
    message.set_content("附件是退货明细表")
    message.add_attachment(
        sample("047-").read_bytes(),
        maintype="application",
        subtype="octet-stream",
        filename="退货.xlsx",
    )
    outcome = process(desk, Incoming("test", "1", "m.eml", bytes(message)))
    assert outcome.status == "quarantined"
    (note,) = mails(desk, "notice")
    assert note.recipients == ["dealer@example.test"]
    assert (
        "退货.xlsx"
        in email.message_from_bytes(note.raw, policy=policy.default)
        .get_body(("plain",))
        .get_content()
    )


def test_maildir_messages_are_marked_seen_and_outbox_written(desk, desk_dir):
    shutil.copy(sample("004-"), desk_dir / "inbox" / "new" / "1764.M1.test")
    outcomes = run_once(desk)
    assert [o.status for o in outcomes] == ["processed"]
    assert [p.name for p in (desk_dir / "inbox" / "cur").iterdir()] == ["1764.M1.test:2,S"]
    written = sorted(p.name for p in (desk_dir / "outbox").iterdir())
    # the message's own mails (the round's jobs add the day's digest once past [worker] digest_at)
    own = [name for name in written if "[CS-" in name]
    assert len(own) == 2 and {"acknowledgement", "owner_notice"} == {
        name.split("-")[1] for name in own
    }
    assert run_once(desk) == []  # seen messages are not read again
