"""The desk's clock-driven jobs, run by the worker after each poll. Each is idempotent: what it
did is an event on the case (or a mail with a fixed Message-ID), so running it twice, or on
two workers, does nothing twice.

- escalate_overdue: a step past its deadline reaches the first rung of its ladder (per business
  line and step kind), then each next rung `every` apart (rule file [escalation]); each
  recipient gets one mail per run listing everything that reached them.
- request_callbacks: a case replied to `[callback] after` ago gets its callback — a survey
  mail to the customer, or a request to customer care to call.
- auto_close: cases matching an [[auto_close]] rule close themselves `after` their receipt,
  their owner told `notice_before`.
- send_digests: once each working day from `[worker] digest_at`, each owner gets the list of
  what is due today and what is overdue; the desk's operator (else its staff addresses) gets
  a "needs attention" section too: quarantined, filed for staff, held returns, uncertain.
- send_due_reports: the weekly, monthly and quarterly reports, each once per period.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from outputs import compose
from outputs.i18n import gettext, label
from processor import attention, ladders, outbox
from processor.cases import (
    case_facts,
    from_utc_naive,
    open_deadlines,
    record,
    to_utc_naive,
)
from processor.config import clock
from processor.desk import Desk
from processor.reports import send_due_reports
from processor.rules.engine import Role, matches
from processor.rules.lifecycle import AutoClose, later, rung_moments
from processor.store.models import Case, CaseEvent, OutboxMessage


def run_jobs(desk: Desk, now: datetime | None = None) -> dict[str, int]:
    now = now or desk.now()
    return {
        "escalated": escalate_overdue(desk, now),
        "callbacks": request_callbacks(desk, now),
        "auto_closed": auto_close(desk, now),
        "digests": send_digests(desk, now),
        "reports": send_due_reports(desk, now),
    }


# ---------------------------------------------------------------- escalation


@dataclass
class Overdue:
    """One step of one case that reached one rung of its ladder in this run."""

    case: Case
    deadline: dict
    level: int


def step_name(desk: Desk, step: str, language: str) -> str:
    """A step's name in `language`: the catalog's, else the rule file's own name for it."""
    known = desk.rules.steps.get(step)
    return label(language, "step", step, known.name if known and known.name else None)


def desk_language(desk: Desk) -> str:
    """Staff mails are in the desk's language."""
    return desk.config.desk.default_language


def case_labels(desk: Desk, case: Case, language: str) -> dict[str, str]:
    """The case's canonical facts named for a reader (a desk's own category by its rule label)."""
    own = desk.rules.labels()
    return {
        fact: compose.fact_label(language, fact, getattr(case, fact), own)
        for fact in compose.FACT_KINDS
    }


def escalate_overdue(desk: Desk, now: datetime) -> int:
    """Every rung each overdue step has reached since the last run, then one mail per
    recipient listing all of them: after a gap in runs each person hears once, not once per
    step and rung. Returns the number of mails."""
    reached: dict[str, tuple[Role, list[Overdue]]] = {}
    with desk.store.transaction() as session:
        overdue = session.scalars(
            select(Case).where(Case.status != "closed", Case.next_deadline_at <= to_utc_naive(now))
        ).all()
        for case in overdue:
            for item, person in new_rungs(session, desk, case, now):
                reached.setdefault(person.email.lower(), (person, []))[1].append(item)
                if item.level > 0:
                    for role in desk.rules.escalation.monitor:
                        watcher = desk.rules.roles[role]
                        reached.setdefault(watcher.email.lower(), (watcher, []))[1].append(item)
        for person, items in (reached[address] for address in sorted(reached)):
            overdue_notice(session, desk, person, items, now)
    return len(reached)


def new_rungs(
    session: Session, desk: Desk, case: Case, now: datetime
) -> list[tuple[Overdue, Role]]:
    """The rungs of each open step's ladder that fell due since the last run, each recorded
    on the case (so no run repeats it)."""
    reached: dict[str, int] = {}
    for event in case.events:
        if event.type == "overdue":
            step = event.detail.get("step")
            reached[step] = max(reached.get(step, -1), event.detail.get("level", 0))
    found = []
    for deadline in open_deadlines(case):
        step, due = deadline["step"], datetime.fromisoformat(deadline["due"])
        people = ladders.ladder(desk, case, step)
        moments = rung_moments(desk.calendar, due, desk.rules.escalation.every, len(people))
        for level, (person, moment) in enumerate(zip(people, moments, strict=True)):
            if moment > now:
                break
            if level <= reached.get(step, -1):
                continue
            record(
                session,
                desk,
                case,
                "overdue",
                "desk",
                at=now,
                step=step,
                level=level,
                to=person.email,
                due=deadline["due"],
            )
            found.append((Overdue(case, deadline, level), person))
    return found


def overdue_notice(
    session: Session, desk: Desk, person: Role, items: list[Overdue], now: datetime
) -> None:
    """One mail to one person listing every overdue step that reached them in this run (a
    step that climbed two rungs at once, as its monitor sees it, is listed once)."""
    language = desk_language(desk)
    highest = {
        (item.case.id, item.deadline["step"]): item
        for item in sorted(items, key=lambda item: item.level)
    }
    items = sorted(highest.values(), key=lambda item: (item.deadline["due"], item.case.case_no))
    rows = []
    for item in items:
        case, deadline, labels = item.case, item.deadline, case_labels(desk, item.case, language)
        whose = (
            ""
            if item.level == 0
            else gettext(
                language,
                "staff.overdue.escalated",
                level=item.level,
                owner=ladders.name_of(desk, case.owner, language),
            )
        )
        outside = (
            gettext(
                language,
                "staff.overdue.outside",
                when=gettext(language, f"outside.{OUTSIDE[deadline['outside']]}"),
            )
            if deadline.get("outside") in OUTSIDE
            else ""
        )
        rows.append(
            (
                f"{case.case_no} {step_name(desk, deadline['step'], language)}",
                gettext(
                    language,
                    "staff.overdue.row",
                    due=due_text(deadline["due"]),
                    outside=outside,
                    whose=whose,
                    who=case.customer_name or case.sender or "—",
                    category=labels["category"],
                    level=labels["level"],
                ),
            )
        )
    single = items[0].case.case_no if len({item.case.case_no for item in items}) == 1 else None
    subject = (
        gettext(
            language,
            "staff.overdue.subject_one",
            case_no=single,
            step=step_name(desk, items[0].deadline["step"], language),
        )
        if len(items) == 1 and single
        else gettext(language, "staff.overdue.subject_many", count=len(items))
    )
    message = compose.staff_note(
        desk.sender,
        to=person.email,
        subject=subject,
        greeting=ladders.name_of(desk, person.name, language),
        language=language,
        intro=gettext(
            language,
            "staff.overdue.intro"
            if all(item.level == 0 for item in items)
            else "staff.overdue.intro_escalated",
        ),
        rows=rows,
        case_no=single,
        purpose=f"overdue.{now:%Y%m%d%H%M}",
        closing=gettext(language, "staff.overdue.closing"),
    )
    outbox.queue(session, message, "overdue", case_id=items[0].case.id if single else None)


# where a deadline falls outside the working calendar (processor/rules/lifecycle.outside_calendar) → its id
OUTSIDE = {"a holiday": "holiday", "a weekend": "weekend", "after office hours": "after_hours"}


def due_text(due: str) -> str:
    """`2026-11-29T12:40+08:00` → `2026-11-29 12:40`."""
    return due.replace("T", " ")[:16]


# ---------------------------------------------------------------- callback


def _last(case: Case, type_: str) -> CaseEvent | None:
    return max(
        (event for event in case.events if event.type == type_), key=lambda e: e.at, default=None
    )


def request_callbacks(desk: Desk, now: datetime) -> int:
    settings, sent = desk.rules.callback, 0
    with desk.store.transaction() as session:
        for case in session.scalars(select(Case).where(Case.status == "replied")).all():
            replied = _last(case, "staff_reply") or _last(case, "status")
            since = from_utc_naive(
                replied.at if replied else case.updated_at or case.opened_at, desk
            )
            if desk.calendar.due(since, settings.after) > now:
                continue
            if settings.survey and case.sender:
                message = compose.customer_mail(
                    desk.sender,
                    "survey",
                    to=case.sender,
                    case_no=case.case_no,
                    kind=case.kind,
                    language=case.language,
                    greeting_name=case.customer_name,
                    replied_on=since.strftime("%Y-%m-%d"),
                )
                how = f"survey mailed to {case.sender}"
            else:
                care, language = ladders.ladder(desk, case, "callback")[0], desk_language(desk)
                message = compose.staff_note(
                    desk.sender,
                    to=care.email,
                    subject=gettext(language, "staff.callback.subject", case_no=case.case_no),
                    greeting=ladders.name_of(desk, care.name, language),
                    language=language,
                    intro=gettext(
                        language,
                        "staff.callback.intro",
                        case_no=case.case_no,
                        day=f"{since:%Y-%m-%d}",
                    ),
                    rows=[
                        (gettext(language, "staff.row.customer"), case.customer_name or "—"),
                        (
                            gettext(language, "staff.row.phone"),
                            str((case.fields or {}).get("phone", "—")),
                        ),
                    ],
                    case_no=case.case_no,
                    purpose="callback",
                )
                how = f"callback requested from {care.email}"
            outbox.queue(session, message, "callback", case_id=case.id)
            record(
                session,
                desk,
                case,
                "callback_requested",
                "desk",
                status="callback",
                at=now,
                how=how,
            )
            sent += 1
    return sent


# ---------------------------------------------------------------- auto-close


def auto_close(desk: Desk, now: datetime) -> int:
    """Cases an [[auto_close]] rule matches close themselves `after` their receipt (seed 004
    §10: 从受理之日起满三个月), whatever open state they are in, unless one of `unless_on`
    happened; the owner is told `notice_before`."""
    closed = 0
    with desk.store.transaction() as session:
        for rule in desk.rules.auto_close:
            for case in session.scalars(select(Case).where(Case.status.in_(rule.statuses))).all():
                if not matches(rule.when, case_facts(case)) or any(
                    e.type in rule.unless_on for e in case.events
                ):
                    continue
                closes_at = later(desk.calendar, from_utc_naive(case.opened_at, desk), rule.after)
                if closes_at <= now:
                    record(
                        session,
                        desk,
                        case,
                        "auto_closed",
                        "desk",
                        status="closed",
                        at=now,
                        rule=rule.name,
                        why=rule.why,
                    )
                    closed += 1
                elif (
                    rule.notice_before
                    and later(desk.calendar, now, rule.notice_before) >= closes_at
                ):
                    auto_close_notice(session, desk, case, rule, closes_at, now)
    return closed


def auto_close_notice(
    session: Session, desk: Desk, case: Case, rule: AutoClose, closes_at: datetime, now: datetime
) -> None:
    """Once per case: the owner hears that it will close itself, and how to keep it open."""
    if not case.owner_email or any(event.type == "auto_close_notice" for event in case.events):
        return
    language = desk_language(desk)
    labels = case_labels(desk, case, language)
    message = compose.staff_note(
        desk.sender,
        to=case.owner_email,
        language=language,
        subject=gettext(
            language, "staff.auto_close.subject", case_no=case.case_no, day=f"{closes_at:%Y-%m-%d}"
        ),
        greeting=ladders.name_of(desk, case.owner or case.owner_email, language),
        intro=gettext(
            language,
            "staff.auto_close.intro",
            case_no=case.case_no,
            after=compose.span_text(rule.after, language),
            at=f"{closes_at:%Y-%m-%d %H:%M}",
        ),
        rows=[
            (gettext(language, "staff.row.customer"), case.customer_name or case.sender or "—"),
            (gettext(language, "staff.row.category"), labels["category"]),
            (gettext(language, "staff.row.status"), labels["status"]),
        ],
        case_no=case.case_no,
        purpose="auto_close_notice",
    )
    outbox.queue(session, message, "auto_close_notice", case_id=case.id)
    record(
        session,
        desk,
        case,
        "auto_close_notice",
        "desk",
        at=now,
        to=case.owner_email,
        closes=closes_at.isoformat(timespec="minutes"),
    )


# ---------------------------------------------------------------- daily digest


def send_digests(desk: Desk, now: datetime) -> int:
    """Each owner's list for the day, once per working day (a fixed Message-ID per owner and
    day makes a second run a no-op)."""
    if not desk.calendar.is_workday(now.date()) or now.time() < clock(desk.config.worker.digest_at):
        return 0
    end_of_day = datetime.combine(now.date(), time(23, 59), now.tzinfo)
    by_owner: dict[str, list[tuple[Case, dict]]] = {}
    sent = 0
    with desk.store.transaction() as session:
        for case in session.scalars(select(Case).where(Case.status != "closed")).all():
            for deadline in open_deadlines(case):
                if case.owner_email and datetime.fromisoformat(deadline["due"]) <= end_of_day:
                    by_owner.setdefault(case.owner_email.lower(), []).append((case, deadline))
        needs = attention_section(desk, session, now)
        for email in (address.lower() for address in desk.attention_addresses()):
            by_owner.setdefault(
                email, []
            )  # the desk's operator gets the section even with no step of their own
        for email, items in sorted(by_owner.items()):
            digest_id = f"<digest.{now:%Y-%m-%d}.{hashlib.sha256(email.encode()).hexdigest()[:12]}@{desk.sender.domain}>"
            if session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.message_id == digest_id)
            ):
                continue
            section = (
                needs
                if email in {address.lower() for address in desk.attention_addresses()}
                else []
            )
            if not items and not section:
                continue
            language = desk_language(desk)
            rows, overdue = [], 0
            for case, deadline in sorted(items, key=lambda item: item[1]["due"]):
                late = datetime.fromisoformat(deadline["due"]) <= now
                overdue += late
                rows.append(
                    (
                        f"{case.case_no} {step_name(desk, deadline['step'], language)}",
                        gettext(
                            language,
                            "staff.digest.row_overdue" if late else "staff.digest.row",
                            due=due_text(deadline["due"]),
                            who=case.customer_name or "",
                        ).rstrip(),
                    )
                )
            subject = (
                gettext(
                    language,
                    "staff.digest.subject",
                    day=f"{now:%Y-%m-%d}",
                    count=len(rows),
                    overdue=overdue,
                )
                if rows
                else gettext(
                    language, "attention.digest_subject", day=f"{now:%Y-%m-%d}", count=len(section)
                )
            )
            if section:  # what needs a person, after the steps (its own heading row)
                rows += [("", ""), (gettext(language, "attention.digest_intro"), ""), *section]
            message = compose.staff_note(
                desk.sender,
                to=email,
                subject=subject,
                language=language,
                greeting=ladders.name_of(desk, items[0][0].owner, language)
                if items
                else gettext(language, "attention.digest_greeting"),
                intro=gettext(language, "staff.digest.intro")
                if items
                else gettext(language, "attention.digest_intro"),
                rows=rows if items else section,
                case_no=None,
                purpose="digest",
                msgid=digest_id,
            )
            outbox.queue(session, message, "digest")
            sent += 1
    return sent


def attention_section(desk: Desk, session: Session, now: datetime) -> list[tuple[str, str]]:
    """The digest's "needs attention" rows (processor/attention.py): the same list as
    `aftersales attention`, in the desk's language."""
    items = attention.gather(session, now)
    return attention.digest_rows(items, desk, desk_language(desk))
