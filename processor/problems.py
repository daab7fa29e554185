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
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outputs import compose, reasons
from outputs.i18n import gettext
from outputs.reasons import because, reason
from processor import outbox
from processor.desk import Desk
from processor.store.models import Document, Problem, SourcePoll, utcnow

log = logging.getLogger(__name__)

SUMMARY_EVERY = timedelta(days=1)

Finding = tuple[
    str, str
]  # (key: what it is about, summary: coded (outputs/reasons.py), one line for the operator)
Check = Callable[[Desk, Session, datetime], list[Finding]]


# ---------------------------------------------------------------- the checks


def unreachable_mailboxes(desk: Desk, session: Session, now: datetime) -> list[Finding]:
    """A mailbox that could not be read for `[worker] unreachable_minutes`."""
    since = now - timedelta(minutes=desk.config.worker.unreachable_minutes)
    rows = session.scalars(
        select(SourcePoll).where(
            SourcePoll.source.startswith("imap:"), SourcePoll.failing_since <= since
        )
    ).all()
    return [
        (
            row.source,
            because(
                reason(
                    "problem.unreachable",
                    **source_named(row.source),
                    since=local_time(desk, row.failing_since),
                    detail=row.last_error,
                )
            ),
        )
        for row in rows
    ]


SOURCE_KINDS = ("imap", "maildir", "folder")  # named by the catalogs' source.*


def source_named(source: str) -> dict[str, str]:
    """A source (`imap:complaints`) as coded values for a reader: its kind's catalog id and its name."""
    kind, _, name = source.partition(":")
    return {
        "source_label": f"source.{kind if kind in SOURCE_KINDS else 'other'}",
        "source": name or source,
    }


def quarantine_growing(desk: Desk, session: Session, now: datetime) -> list[Finding]:
    """More items quarantined in a day than `[worker] quarantine_per_day`."""
    count = session.scalar(
        select(func.count(Document.id)).where(
            Document.status == "quarantined", Document.received_at >= now - timedelta(days=1)
        )
    )
    limit = desk.config.worker.quarantine_per_day
    return (
        [("quarantine", because(reason("problem.quarantine_growing", count=count, limit=limit)))]
        if count >= limit
        else []
    )


def calendar_not_published(desk: Desk, session: Session, now: datetime) -> list[Finding]:
    """This year's holiday schedule, or from November next year's, is not published: deadlines
    in it are provisional until the rule file or the packages carry it."""
    years = desk.calendar.unpublished(desk.now().date())
    return (
        [
            (
                "calendar",
                because(
                    reason("problem.calendar", years=", ".join(map(str, years)), last=years[-1])
                ),
            )
        ]
        if years
        else []
    )


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
    """Open a problem, or note that it is still there; a new one is mailed to the operator.
    `summary`: coded (outputs/reasons.because), worded in the desk's language for the mail."""
    problem = session.scalars(select(Problem).where(Problem.key == key)).first()
    now = utcnow()
    if problem is not None and problem.status == "open":
        problem.last_seen, problem.summary = now, summary
        return problem
    if problem is None:
        problem = Problem(key=key, kind=kind, first_seen=now)
        session.add(problem)
    problem.kind, problem.summary, problem.status = kind, summary, "open"
    problem.first_seen, problem.last_seen, problem.closed_at, problem.summarised_at = (
        now,
        now,
        None,
        now,
    )
    log.error("problem: %s", reasons.with_detail(summary, "en"))
    tell_operator(desk, session, "problem.subject_new", [problem])
    return problem


def resolve(session: Session, key: str) -> bool:
    """The problem `key` is over (found so, or the operator says so); False when none was open."""
    problem = session.scalars(
        select(Problem).where(Problem.key == key, Problem.status == "open")
    ).first()
    if problem is None:
        return False
    close(problem)
    return True


def close(problem: Problem) -> None:
    problem.status, problem.closed_at = "closed", utcnow()
    log.info("problem over: %s", reasons.reason_text(problem.summary, "en"))


def open_problems(session: Session, kind: str | None = None) -> list[Problem]:
    query = select(Problem).where(Problem.status == "open").order_by(Problem.first_seen)
    return list(session.scalars(query.where(Problem.kind == kind) if kind else query))


def summarise(desk: Desk, session: Session, now: datetime) -> None:
    """While problems are open, one mail a day listing them all."""
    problems = open_problems(session)
    if not problems or min(p.summarised_at or p.first_seen for p in problems) > now - SUMMARY_EVERY:
        return
    tell_operator(desk, session, "problem.subject_open", problems)
    for problem in problems:
        problem.summarised_at = now


def tell_operator(desk: Desk, session: Session, subject: str, found: list[Problem]) -> None:
    """One mail to each operator listing `found`, in the desk's language: each problem's
    summary, since when, and its technical detail on a line of its own."""
    operators = desk.config.desk.operator
    language = desk.config.desk.default_language
    first = reasons.reason_text(found[0].summary, language)
    title = gettext(
        language,
        subject,
        desk=compose.desk_name(desk.sender, language),
        count=len(found),
        summary=first if len(first) <= 80 else first[:78] + "…",
    )
    if not operators:
        log.warning("no [desk] operator to tell: %s", title)
        return
    rows = [
        (
            gettext(language, f"problem.kind.{problem.kind}", default=problem.kind),
            "\n    ".join(
                [
                    gettext(
                        language,
                        "problem.row",
                        summary=reasons.reason_text(problem.summary, language),
                        since=local_time(desk, problem.first_seen),
                        key=problem.key,
                    ),
                    *(
                        gettext(language, "reason.detail", detail=detail)
                        for detail in reasons.details(problem.summary)
                    ),
                ]
            ),
        )
        for problem in found
    ]
    for to in operators:
        message = compose.staff_note(
            desk.sender,
            to=to,
            subject=title,
            greeting=to,
            language=language,
            intro=gettext(language, "problem.intro"),
            rows=rows,
            case_no=None,
            purpose="problem",
            closing=gettext(language, "problem.closing"),
        )
        outbox.queue(session, message, "problem")


def local_time(desk: Desk, moment: datetime) -> str:
    """A stored (naive UTC) moment in the desk's time."""
    return moment.replace(tzinfo=UTC).astimezone(desk.timezone).strftime("%Y-%m-%d %H:%M")


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
