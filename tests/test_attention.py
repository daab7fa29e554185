"""What needs a person: `aftersales attention`, the digest's "needs attention" section, items
filed for staff told to the desk's operator, and the quarantine's .reason.txt in the desk's
language. A store seeded with one item of each kind (and one that no longer needs anyone)."""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from processor import attention
from processor.config import load_config
from processor.desk import Desk
from processor.jobs import send_digests
from processor.store.models import Case, CaseEvent, Document, OutboxMessage, ReturnRequest
from tests.conftest import ROOT, SAMPLES, drop_settled, publish_calendar

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)  # a Thursday, after the digest time: the frozen clock
OPERATOR = "ops@desk.localhost"


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def desk(desk_dir):
    config = desk_dir / "aftersales.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("operator = []", f'operator = ["{OPERATOR}"]'),
        encoding="utf-8",
    )
    publish_calendar(desk_dir)
    opened = Desk.open(load_config(config))
    yield opened
    opened.close()


def document(session, number: int, **facts) -> Document:  # noqa: ANN001
    row = Document(
        sha256=f"{number:064d}",
        size=1,
        filename=facts.pop("filename", f"doc{number}"),
        source="test",
        archive_path="x",
        received_at=utc(NOW - timedelta(hours=number)),
        **facts,
    )
    session.add(row)
    session.flush()
    return row


def case_with_uncertain(
    session, number: int, uncertain: list[str], settled: tuple[str, ...] = ()
) -> Case:  # noqa: ANN001
    row = document(
        session, number, status="processed", kind="complaint", parsed={"uncertain": uncertain}
    )
    case = Case(
        case_no=f"CS-2611-{number:04d}",
        opened_at=row.received_at,
        kind="complaint",
        status="assigned",
        sender=f"c{number}@example.test",
        language="zh-Hans",
        fields={},
        deadlines=[],
    )
    session.add(case)
    session.flush()
    session.add(
        CaseEvent(
            case_id=case.id,
            type="received",
            actor="x",
            at=row.received_at,
            document_id=row.id,
            detail={"rules": []},
        )
    )
    for fact in settled:
        session.add(
            CaseEvent(
                case_id=case.id,
                type=fact,
                actor="boss@desk.localhost",
                at=row.received_at,
                detail={},
            )
        )
    return case


def seed(desk) -> None:  # noqa: ANN001
    with desk.store.transaction() as session:
        document(
            session,
            1,
            filename="坏表格.docx",
            status="quarantined",
            reason="坏表格.docx is damaged",
        )
        document(
            session,
            2,
            filename="反馈单.docx",
            status="recorded",
            kind="feedback_form",
            reason=attention.NO_CASE,
            parsed={"actions": [{"type": "file_for_staff", "to": OPERATOR}]},
        )
        document(
            session, 3, filename="old.docx", status="quarantined", reason="long ago"
        ).received_at = utc(NOW - timedelta(days=30))  # seen in its week; no longer listed
        sheet = case_with_uncertain(session, 4, [])
        session.add(
            ReturnRequest(
                case_id=sheet.id,
                dealer_code="SC-1",
                status="held",
                held_reason="the sender is not an address of dealer SC-1",
                received_at=utc(NOW - timedelta(hours=4)),
            )
        )
        case_with_uncertain(session, 5, ["level"])
        case_with_uncertain(session, 6, ["category"], settled=("category",))  # staff set it since


def test_gather_lists_each_kind_with_its_reason(desk):
    seed(desk)
    with desk.store.transaction() as session:
        items = attention.gather(session, NOW)
    assert [(item.kind, item.ref) for item in items] == [
        ("quarantined", "坏表格.docx"),
        ("filed_for_staff", "反馈单.docx"),
        ("held_return", "CS-2611-0004"),
        ("uncertain", "CS-2611-0005"),
    ]
    rows = attention.rows(items, desk, "zh-Hans")
    assert rows[1][0] == "待人工归档" and "服务反馈单" in rows[1][4]
    assert "not an address of dealer" in rows[2][4]
    assert rows[3][4].startswith("请确认：级别")
    english = attention.rows(items, desk, "en")
    assert english[3][0] == "uncertain judgement" and "please confirm: level" in english[3][4]


def test_attention_command_lists_them(desk, desk_dir):
    seed(desk)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "processor",
        "--config",
        str(desk_dir / "aftersales.toml"),
        "attention",
    ]
    listed = subprocess.run(
        [*command, "--json", "--days", "3650"], capture_output=True, text=True, env=env, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    kinds = [json.loads(line)["kind"] for line in listed.stdout.splitlines()]
    assert kinds == [
        "quarantined",
        "quarantined",
        "filed_for_staff",
        "held_return",
        "uncertain",
    ]  # old.docx too
    table = subprocess.run(
        [*command, "--at", f"{NOW:%Y-%m-%d %H:%M}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )  # the last 7 days as of the frozen clock
    assert (
        table.returncode == 0 and "坏表格.docx" in table.stdout and "CS-2611-0005" in table.stdout
    )
    bad = subprocess.run(
        [*command, "--days", "0"], capture_output=True, text=True, env=env, timeout=120
    )
    assert bad.returncode == 2 and "--days" in bad.stderr


def test_the_operators_digest_has_a_needs_attention_section(desk):
    seed(desk)
    assert send_digests(desk, NOW) == 1
    assert send_digests(desk, NOW) == 0  # once a day
    with desk.store.transaction() as session:
        (mail,) = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "digest")
        ).all()
    assert mail.recipients == [OPERATOR]
    text = (
        email.message_from_bytes(mail.raw, policy=policy.default).get_body(("plain",)).get_content()
    )
    assert "需要人工处理的事项" in text
    for ref in ("坏表格.docx", "反馈单.docx", "CS-2611-0004", "CS-2611-0005"):
        assert ref in text
    assert "CS-2611-0006" not in text and "old.docx" not in text


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")
def test_a_form_quoting_no_case_is_filed_and_the_operator_told(desk, desk_dir):
    from processor.worker import run_once

    incoming = desk_dir / "shared" / "incoming"
    drop_settled(incoming, SAMPLES / "036-feedback-form.docx")
    (outcome,) = run_once(desk)
    assert outcome.status == "recorded" and outcome.reason == f"filed for staff: told {OPERATOR}"
    with desk.store.transaction() as session:
        row = session.scalars(select(Document)).one()
        actions = row.parsed["actions"]
        note = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "filed_for_staff")
        ).one()
        items = attention.gather(session, desk.now())
    assert [action["to"] for action in actions if action["type"] == "file_for_staff"] == [OPERATOR]
    assert note.recipients == [OPERATOR] and "036-feedback-form.docx" in note.subject
    assert [(item.kind, item.ref) for item in items] == [
        ("filed_for_staff", "036-feedback-form.docx")
    ]


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")
def test_inspect_names_who_is_told_of_a_filed_item(desk_dir):
    config = desk_dir / "aftersales.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("operator = []", f'operator = ["{OPERATOR}"]'),
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "processor",
            "--config",
            str(config),
            "inspect",
            str(SAMPLES / "036-feedback-form.docx"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"do file_for_staff → {OPERATOR}" in result.stdout
