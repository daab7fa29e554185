"""The turn of the year: the desk goes on with provisional deadlines when next year's
holiday schedule is not published, says so to the owner and the customer, and tells the
operator once."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy

import pytest
from sqlalchemy import select

from outputs import compose
from processor.pipeline import Incoming, process
from processor.store.models import Case, Document, OutboxMessage
from tests.conftest import sample


def arriving_at(desk, name: str, *moment: int) -> bytes:
    """The desk's clock set to the moment a mail arrives (the worker counts from arrival)."""
    desk.now = lambda: datetime(*moment, tzinfo=desk.timezone)
    return sample(name).read_bytes()


def body(raw: bytes) -> str:
    return email.message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()


def mails(desk, purpose: str) -> list[OutboxMessage]:
    with desk.store.transaction() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == purpose)).all()


# (sample, arrival, a step counted on 2027's working days)
AT_THE_TURN = [
    ("003-", (2026, 12, 31, 16, 0), "close"),  # a major complaint: closed within 3 working days
    ("001-", (2027, 2, 10, 10, 0), "hand_over"),  # handed over the same working day, in 2027
]


@pytest.mark.parametrize(("name", "when", "step"), AT_THE_TURN)
def test_complaint_at_the_years_turn_gets_provisional_deadlines_the_owner_sees(
    desk, name, when, step
):
    outcome = process(desk, Incoming("test", "1", f"{name}.eml", arriving_at(desk, name, *when)))
    assert outcome.status == "processed", outcome.reason
    with desk.store.transaction() as session:
        case = session.scalars(select(Case)).one()
        assert step in [d["step"] for d in case.deadlines if d.get("provisional")]
    assert len(mails(desk, "acknowledgement")) == 1
    (notice,) = mails(desk, "owner_notice")
    assert "暂定" in body(notice.raw)


def test_complaint_before_the_turn_has_no_provisional_mark(desk):
    outcome = process(
        desk, Incoming("test", "1", "001.eml", arriving_at(desk, "001-", 2026, 11, 27, 10, 0))
    )
    assert outcome.status == "processed"
    with desk.store.transaction() as session:
        case = session.scalars(select(Case)).one()
        assert not any(d.get("provisional") for d in case.deadlines)
    assert "暂定" not in body(mails(desk, "acknowledgement")[0].raw)
    assert "暂定" not in body(mails(desk, "owner_notice")[0].raw)


@pytest.mark.parametrize(
    ("language", "mark"), [("zh-Hans", "暂定"), ("zh-Hant", "暫定"), ("en", "provisional")]
)
def test_a_provisional_reply_time_is_said_so_in_the_customers_language(language, mark):
    sender = compose.Sender("售后服务中心", "complaints@desk.localhost")
    for provisional in (True, False):
        message = compose.acknowledgement(
            sender,
            to="a@example.test",
            case_no="CS-2701-0001",
            kind="complaint",
            language=language,
            fields={},
            missing=[],
            reply_by="2027-01-04 16:00",
            in_reply_to=None,
            references=[],
            reply_by_provisional=provisional,
        )
        assert (mark in message.get_body(("plain",)).get_content()) is provisional


@pytest.mark.slow  # every job of the desk, reports drawn
def test_every_scheduled_job_runs_after_the_turn(desk):
    """Escalations, digests and the December and Q4 reports, with the clock in 2027."""
    from processor.jobs import run_jobs
    from processor.store.models import Report

    process(desk, Incoming("test", "1", "001.eml", arriving_at(desk, "001-", 2026, 12, 31, 16, 0)))
    with (
        desk.store.transaction() as session
    ):  # the store's clock too (received_at is stamped with the real
        for row in session.scalars(
            select(Document)
        ):  # one), from which reports count: else this failed from 2027
            row.received_at = datetime(
                2026, 12, 31, 8, 0
            )  # 16:00 in Shanghai, in UTC as the store keeps it
    later = datetime(2027, 1, 5, 10, 0, tzinfo=desk.timezone)
    desk.now = lambda: later
    done = run_jobs(desk, later)
    assert done["escalated"] >= 1 and done["digests"] >= 1
    with desk.store.transaction() as session:
        periods = {(report.kind, report.period) for report in session.scalars(select(Report)).all()}
    assert ("monthly", "2026-12") in periods, periods
    assert any(
        kind == "quarterly" and "2026" in period and "4" in period for kind, period in periods
    ), periods
    assert not any(run_jobs(desk, later).values())  # once only


@pytest.mark.slow  # the worker's whole round
@pytest.mark.parametrize(
    ("name", "moment"), [("003-", (2026, 12, 31, 16, 0)), ("001-", (2027, 2, 10, 10, 0))]
)
def test_the_worker_at_the_turn_acknowledges_and_tells_the_operator_once(desk_dir, name, moment):
    from processor.config import load_config
    from processor.desk import Desk
    from processor.store.models import Problem
    from processor.worker import run_once

    config = desk_dir / "aftersales.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "operator = []", 'operator = ["ops@desk.localhost"]', 1
        ),
        encoding="utf-8",
    )
    for number in (1, 2):
        (desk_dir / "inbox" / "new" / f"170000000{number}.turn.host").write_bytes(
            sample(name)
            .read_bytes()
            .replace(b"Message-ID: <", f"Message-ID: <{number}.".encode(), 1)
        )
    with Desk.open(load_config(config)) as desk:
        desk.now = lambda: datetime(*moment, tzinfo=desk.timezone)
        outcomes = run_once(desk)
        run_once(desk)  # a second pass: the problem is still open, nobody is told again
        with desk.store.transaction() as session:
            (problem,) = session.scalars(select(Problem).where(Problem.kind == "calendar")).all()
        acks, notices, told = (
            mails(desk, purpose) for purpose in ("acknowledgement", "owner_notice", "problem")
        )
    assert [outcome.status for outcome in outcomes] == ["processed", "processed"]
    assert len(acks) == 2 and len(notices) == 2
    assert all("暂定" in body(notice.raw) for notice in notices)
    (mail,) = told
    assert (
        mail.recipients == ["ops@desk.localhost"]
        and "2027" in problem.summary
        and problem.status == "open"
    )


def test_after_hours_on_31_december_the_acknowledgement_says_its_reply_time_is_provisional(desk):
    # accepted at the next opening, in 2027: even a clock-time reply waits for 2027's calendar
    outcome = process(
        desk, Incoming("test", "1", "001.eml", arriving_at(desk, "001-", 2026, 12, 31, 18, 0))
    )
    assert outcome.status == "processed"
    text = body(mails(desk, "acknowledgement")[0].raw)
    assert "暂定" in text and "2027-" in text
