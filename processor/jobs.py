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
from outputs.i18n import gettext
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


def step_name(desk: Desk, step: str) -> str:
    known = desk.rules.steps.get(step)
    return known.name if known and known.name else step


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


def new_rungs(session: Session, desk: Desk, case: Case, now: datetime) -> list[tuple[Overdue, Role]]:
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
            record(session, desk, case, "overdue", "desk", at=now, step=step, level=level, to=person.email,
                   due=deadline["due"])
            found.append((Overdue(case, deadline, level), person))
    return found


def overdue_notice(session: Session, desk: Desk, person: Role, items: list[Overdue], now: datetime) -> None:
    """One mail to one person listing every overdue step that reached them in this run (a
    step that climbed two rungs at once, as its monitor sees it, is listed once)."""
    highest = {(item.case.id, item.deadline["step"]): item for item in sorted(items, key=lambda item: item.level)}
    items = sorted(highest.values(), key=lambda item: (item.deadline["due"], item.case.case_no))
    rows = []
    for item in items:
        case, deadline = item.case, item.deadline
        whose = "" if item.level == 0 else f"（第 {item.level} 级上报，负责人 {case.owner or '—'}）"
        outside = f"，期限落在{OUTSIDE.get(deadline['outside'], deadline['outside'])}" if deadline.get("outside") else ""
        rows.append((f"{case.case_no} {step_name(desk, deadline['step'])}",
                     f"期限 {deadline['due'].replace('T', ' ')[:16]}{outside}{whose}  "
                     f"{case.customer_name or case.sender or '—'} / {case.category or '—'} / {case.level or '—'}"
                     f"  依据：{deadline.get('why', '')}"))
    single = items[0].case.case_no if len({item.case.case_no for item in items}) == 1 else None
    subject = (f"[{single}] 逾期：{step_name(desk, items[0].deadline['step'])} / overdue" if len(items) == 1 and single
               else f"逾期案件 {len(items)} 项 / {len(items)} overdue steps")
    message = compose.staff_note(
        desk.sender, to=person.email, subject=subject, greeting=person.name,
        intro="以下案件步骤已超过期限，请处理：" if all(item.level == 0 for item in items)
        else "以下案件步骤已超过期限，负责人尚未处理，现上报给您：",
        rows=rows, case_no=single, purpose=f"overdue.{now:%Y%m%d%H%M}",
        closing="回复带案件编号的邮件即可处理此案件（例如 #status investigating、#reply 答复内容）。",
    )
    outbox.queue(session, message, "overdue", case_id=items[0].case.id if single else None)


OUTSIDE = {"a holiday": "节假日", "a weekend": "周末", "after office hours": "下班时间"}


# ---------------------------------------------------------------- callback


def _last(case: Case, type_: str) -> CaseEvent | None:
    return max((event for event in case.events if event.type == type_), key=lambda e: e.at, default=None)


def request_callbacks(desk: Desk, now: datetime) -> int:
    settings, sent = desk.rules.callback, 0
    with desk.store.transaction() as session:
        for case in session.scalars(select(Case).where(Case.status == "replied")).all():
            replied = _last(case, "staff_reply") or _last(case, "status")
            since = from_utc_naive(replied.at if replied else case.updated_at or case.opened_at, desk)
            if desk.calendar.due(since, settings.after) > now:
                continue
            if settings.survey and case.sender:
                message = compose.customer_mail(
                    desk.sender, "survey", to=case.sender, case_no=case.case_no, kind=case.kind,
                    language=case.language, greeting_name=case.customer_name,
                    replied_on=since.strftime("%Y-%m-%d"),
                )
                how = f"survey mailed to {case.sender}"
            else:
                care = ladders.ladder(desk, case, "callback")[0]
                message = compose.staff_note(
                    desk.sender, to=care.email, subject=f"[{case.case_no}] 请回访客户 / callback",
                    greeting=care.name, intro=f"案件 {case.case_no} 已于 {since:%Y-%m-%d} 答复客户，请电话回访并回复本邮件“满意”或“不满意”。",
                    rows=[("客户", case.customer_name or "—"), ("电话", str((case.fields or {}).get("phone", "—")))],
                    case_no=case.case_no, purpose="callback",
                )
                how = f"callback requested from {care.email}"
            outbox.queue(session, message, "callback", case_id=case.id)
            record(session, desk, case, "callback_requested", "desk", status="callback", at=now, how=how)
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
                if not matches(rule.when, case_facts(case)) or any(e.type in rule.unless_on for e in case.events):
                    continue
                closes_at = later(desk.calendar, from_utc_naive(case.opened_at, desk), rule.after)
                if closes_at <= now:
                    record(session, desk, case, "auto_closed", "desk", status="closed", at=now, rule=rule.name,
                           why=rule.why)
                    closed += 1
                elif rule.notice_before and later(desk.calendar, now, rule.notice_before) >= closes_at:
                    auto_close_notice(session, desk, case, rule, closes_at, now)
    return closed


def auto_close_notice(session: Session, desk: Desk, case: Case, rule: AutoClose, closes_at: datetime,
                      now: datetime) -> None:
    """Once per case: the owner hears that it will close itself, and how to keep it open."""
    if not case.owner_email or any(event.type == "auto_close_notice" for event in case.events):
        return
    message = compose.staff_note(
        desk.sender, to=case.owner_email, subject=f"[{case.case_no}] 将于 {closes_at:%Y-%m-%d} 自动关闭 / closes itself",
        greeting=case.owner or case.owner_email,
        intro=f"案件 {case.case_no} 自受理起将满期限，将于 {closes_at:%Y-%m-%d %H:%M} 自动关闭。如需继续处理，请回复本邮件（例如 #status investigating）。",
        rows=[("客户", case.customer_name or case.sender or "—"), ("类别", case.category or "—"),
              ("状态", case.status), ("依据", rule.why)],
        case_no=case.case_no, purpose="auto_close_notice",
    )
    outbox.queue(session, message, "auto_close_notice", case_id=case.id)
    record(session, desk, case, "auto_close_notice", "desk", at=now, to=case.owner_email,
           closes=closes_at.isoformat(timespec="minutes"))


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
            by_owner.setdefault(email, [])  # the desk's operator gets the section even with no step of their own
        for email, items in sorted(by_owner.items()):
            digest_id = f"<digest.{now:%Y-%m-%d}.{hashlib.sha256(email.encode()).hexdigest()[:12]}@{desk.sender.domain}>"
            if session.scalar(select(OutboxMessage.id).where(OutboxMessage.message_id == digest_id)):
                continue
            section = needs if email in {address.lower() for address in desk.attention_addresses()} else []
            if not items and not section:
                continue
            rows = []
            for case, deadline in sorted(items, key=lambda item: item[1]["due"]):
                late = "逾期 " if datetime.fromisoformat(deadline["due"]) <= now else ""
                rows.append((f"{case.case_no} {step_name(desk, deadline['step'])}",
                             f"{late}{deadline['due'].replace('T', ' ')[:16]}  {case.customer_name or ''}"))
            overdue = sum(1 for row in rows if row[1].startswith("逾期"))
            language = desk.config.desk.default_language
            subject = (f"今日待办 {now:%Y-%m-%d}：{len(rows)} 项，逾期 {overdue} 项 / daily digest" if rows else
                       gettext(language, "attention.digest_subject", day=f"{now:%Y-%m-%d}", count=len(section)))
            if section:  # what needs a person, after the steps (its own heading row)
                rows += [("", ""), (gettext(language, "attention.digest_intro"), ""), *section]
            message = compose.staff_note(
                desk.sender, to=email, subject=subject,
                greeting=items[0][0].owner if items else gettext(language, "attention.digest_greeting"),
                intro="以下案件步骤今天到期或已经逾期：" if items else gettext(language, "attention.digest_intro"),
                rows=rows if items else section, case_no=None, purpose="digest", msgid=digest_id,
            )
            outbox.queue(session, message, "digest")
            sent += 1
    return sent


def attention_section(desk: Desk, session: Session, now: datetime) -> list[tuple[str, str]]:
    """The digest's "needs attention" rows (processor/attention.py): the same list as
    `aftersales attention`, in the desk's language."""
    items = attention.gather(session, now)
    return attention.digest_rows(items, desk, desk.config.desk.default_language)
