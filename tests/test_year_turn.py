"""The turn of the year: the desk goes on with provisional deadlines when next year's
holiday schedule is not published, and says so to the customer and the owner."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy

import pytest
from sqlalchemy import select

from processor.pipeline import Incoming, process
from processor.store.models import Case, OutboxMessage
from tests.conftest import sample


def arriving_at(desk, *moment: int) -> bytes:
    """The desk's clock set to the moment a mail arrives (the worker counts from arrival)."""
    desk.now = lambda: datetime(*moment, tzinfo=desk.timezone)
    return sample("001-").read_bytes()


@pytest.mark.parametrize("when, provisional", [((2026, 12, 31, 16, 0), False), ((2027, 2, 10, 10, 0), True)])
def test_complaint_at_the_years_turn_is_acknowledged_with_provisional_deadlines(desk, when, provisional):
    outcome = process(desk, Incoming("test", "1", "001.eml", arriving_at(desk, *when)))
    assert outcome.status == "processed", outcome.reason
    with desk.store.transaction() as session:
        case = session.scalars(select(Case)).one()
        reply = next(d for d in case.deadlines if d["step"] == "reply")
        # the reply's one day (seed 002 §4.1.2) is clock time: received on 31 December in
        # office hours it is counted at once and does not depend on 2027's schedule (it ends on
        # New Year's Day, and says so); received on 10 February 2027, a computed Spring
        # Festival day, every count waits for the next working day of an unpublished year
        assert bool(reply.get("provisional")) is provisional
        assert all(d.get("provisional") for d in case.deadlines) is provisional
        (ack,) = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "acknowledgement")).all()
        body = email.message_from_bytes(ack.raw, policy=policy.default).get_body(("plain",)).get_content()
    assert ("暂定" in body) is provisional and "2027-" in body


def test_complaint_before_the_turn_has_no_provisional_mark(desk):
    outcome = process(desk, Incoming("test", "1", "001.eml", arriving_at(desk, 2026, 11, 27, 10, 0)))
    assert outcome.status == "processed"
    with desk.store.transaction() as session:
        case = session.scalars(select(Case)).one()
        assert not any(d.get("provisional") for d in case.deadlines)
        (ack,) = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "acknowledgement")).all()
        assert "暂定" not in email.message_from_bytes(ack.raw, policy=policy.default).get_body(("plain",)).get_content()


def test_every_scheduled_job_runs_after_the_turn(desk):
    """Escalations, callbacks, digests and the December and Q4 reports, with the clock in 2027."""
    from processor.jobs import run_jobs
    from processor.store.models import Report

    process(desk, Incoming("test", "1", "001.eml", arriving_at(desk, 2026, 12, 31, 16, 0)))
    done = run_jobs(desk, datetime(2027, 1, 5, 10, 0, tzinfo=desk.timezone))
    assert done["escalated"] >= 1 and done["digests"] >= 1
    with desk.store.transaction() as session:
        periods = {(report.kind, report.period) for report in session.scalars(select(Report)).all()}
    assert ("monthly", "2026-12") in periods, periods
    assert any(kind == "quarterly" and "2026" in period and "4" in period for kind, period in periods), periods
    done = run_jobs(desk, datetime(2027, 1, 5, 10, 0, tzinfo=desk.timezone))
    assert not any(done.values())  # once only
