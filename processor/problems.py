"""Problems the operator is told about. Each is kept in the store (open or closed, first and
last seen); a new one is mailed to `[desk] operator` once, and while any is open a daily
summary follows. Two ways in:

- events the desk runs into (a poison item, the SMTP login refused) are `report`ed where they
  happen, and `resolve`d there when it is over (or by the operator: `aftersales status --close`);
- conditions are found by the checks of `CHECKS`, a small table run after each pass: a problem
  a check finds is opened, one it no longer finds is closed. A new check is one line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outputs import compose
from processor import outbox
from processor.desk import Desk
from processor.store.models import Document, Problem, SourcePoll, utcnow

log = logging.getLogger(__name__)

SUMMARY_EVERY = timedelta(days=1)

Finding = tuple[str, str]  # (key: what it is about, summary: one line for the operator)
Check = Callable[[Desk, Session, datetime], list[Finding]]


# ---------------------------------------------------------------- the checks


def unreachable_mailboxes(desk: Desk, session: Session, now: datetime) -> list[Finding]:
    """A mailbox that could not be read for `[worker] unreachable_minutes`."""
    since = now - timedelta(minutes=desk.config.worker.unreachable_minutes)
    rows = session.scalars(select(SourcePoll).where(SourcePoll.source.startswith("imap:"),
                                                    SourcePoll.failing_since <= since)).all()
    return [(row.source, f"{row.source} unreachable since {row.failing_since:%Y-%m-%d %H:%M} UTC: {row.last_error}")
            for row in rows]


def quarantine_growing(desk: Desk, session: Session, now: datetime) -> list[Finding]:
    """More items quarantined in a day than `[worker] quarantine_per_day`."""
    count = session.scalar(select(func.count(Document.id)).where(
        Document.status == "quarantined", Document.received_at >= now - timedelta(days=1)))
    limit = desk.config.worker.quarantine_per_day
    return [("quarantine", f"{count} items quarantined in the last 24 hours (alert at {limit})")] if count >= limit else []


def calendar_not_published(desk: Desk, session: Session, now: datetime) -> list[Finding]:
    """This year's holiday schedule, or from November next year's, is not published: deadlines
    in it are provisional until the rule file or the packages carry it."""
    warning = desk.calendar.warning(desk.now().date())
    return [("calendar", warning)] if warning else []


# kind → check; the kinds here are closed when their check no longer finds them.
CHECKS: dict[str, Check] = {
    "imap_unreachable": unreachable_mailboxes,
    "quarantine_growing": quarantine_growing,
    "calendar": calendar_not_published,
}


def run_checks(desk: Desk) -> None:
    """Each check of the table: what it finds is opened (or kept open), what it no longer finds
    closed; then the operator's mails."""
    now = utcnow()
    with desk.store.transaction() as session:
        for kind, check in CHECKS.items():
            found = dict(check(desk, session, now))
            for key, summary in found.items():
                report(desk, session, kind, key, summary)
            for problem in open_problems(session, kind):
                if problem.key not in found:
                    close(problem)
        summarise(desk, session, now)


# ---------------------------------------------------------------- keeping them


def report(desk: Desk, session: Session, kind: str, key: str, summary: str) -> Problem:
    """Open a problem, or note that it is still there; a new one is mailed to the operator."""
    problem = session.scalars(select(Problem).where(Problem.key == key)).first()
    now = utcnow()
    if problem is not None and problem.status == "open":
        problem.last_seen, problem.summary = now, summary
        return problem
    if problem is None:
        problem = Problem(key=key, kind=kind, first_seen=now)
        session.add(problem)
    problem.kind, problem.summary, problem.status = kind, summary, "open"
    problem.first_seen, problem.last_seen, problem.closed_at, problem.summarised_at = now, now, None, now
    log.error("problem: %s", summary)
    tell_operator(desk, session, f"新问题 / new problem: {summary}"[:200], [(problem.key, summary)])
    return problem


def resolve(session: Session, key: str) -> bool:
    """The problem `key` is over (found so, or the operator says so); False when none was open."""
    problem = session.scalars(select(Problem).where(Problem.key == key, Problem.status == "open")).first()
    if problem is None:
        return False
    close(problem)
    return True


def close(problem: Problem) -> None:
    problem.status, problem.closed_at = "closed", utcnow()
    log.info("problem over: %s", problem.summary)


def open_problems(session: Session, kind: str | None = None) -> list[Problem]:
    query = select(Problem).where(Problem.status == "open").order_by(Problem.first_seen)
    return list(session.scalars(query.where(Problem.kind == kind) if kind else query))


def summarise(desk: Desk, session: Session, now: datetime) -> None:
    """While problems are open, one mail a day listing them all."""
    problems = open_problems(session)
    if not problems or min(p.summarised_at or p.first_seen for p in problems) > now - SUMMARY_EVERY:
        return
    tell_operator(desk, session, f"仍未解决的问题 / open problems: {len(problems)}",
                  [(p.key, f"{p.summary} (since {p.first_seen:%Y-%m-%d %H:%M} UTC)") for p in problems])
    for problem in problems:
        problem.summarised_at = now


def tell_operator(desk: Desk, session: Session, subject: str, rows: list[tuple[str, str]]) -> None:
    operators = desk.config.desk.operator
    if not operators:
        log.warning("no [desk] operator to tell: %s", subject)
        return
    for to in operators:
        message = compose.staff_note(
            desk.sender, to=to, subject=f"[{desk.config.desk.name}] {subject}", greeting=to,
            intro="售后邮件处理台需要您处理以下问题（`aftersales status` 可查看全部）：",
            rows=rows, case_no=None, purpose="problem",
            closing="问题解决后会自动关闭；需手动关闭的，用 `aftersales status --close KEY`。",
        )
        outbox.queue(session, message, "problem")


# ---------------------------------------------------------------- sources


def polled(desk: Desk, source: str, error: str | None = None) -> None:
    """Note a source's pass: read through, or failed (since when, and why)."""
    now = utcnow()
    with desk.store.transaction() as session:
        row = session.get(SourcePoll, source) or SourcePoll(source=source)
        session.add(row)
        if error is None:
            row.last_success_at, row.failing_since, row.last_error = now, None, None
        else:
            row.failing_since, row.last_error = row.failing_since or now, error[:1000]
