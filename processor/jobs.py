"""The desk's clock-driven jobs, run by the worker after each poll. Each is idempotent: what it
did is an event on the case (or a mail with a fixed Message-ID), so running it twice, or on
two workers, does nothing twice.

- escalate_overdue: a step past its deadline reminds its owner, then each role of the
  escalation ladder in turn, `every` apart (rule file [escalation]).
- request_callbacks: a case replied to `[callback] after` ago gets its callback — a survey
  mail to the customer, or a request to customer care to call.
- auto_close: cases matching an [[auto_close]] rule, with nothing done by a person for its
  `after`, close themselves.
- send_digests: once each working day from `[worker] digest_at`, each owner gets the list of
  what is due today and what is overdue.
- send_due_reports: the weekly, monthly and quarterly reports, each once per period.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from outputs import compose, outbox
from processor.cases import (
    case_facts,
    from_utc_naive,
    last_activity,
    open_deadlines,
    record,
    to_utc_naive,
)
from processor.config import clock
from processor.desk import Desk
from processor.reports import send_due_reports
from processor.rules.engine import Role, matches
from processor.store.models import Case, CaseEvent, OutboxMessage

STEP_NAMES = {
    "first_contact": "首次联系客户", "report_to_supervisor": "上报主管", "reply": "答复客户", "close": "结案",
    "return_slip": "寄出退货单", "callback": "回访验证", "rework": "重新处理",
}


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


def ladder(desk: Desk, case: Case) -> list[Role]:
    """Who hears of an overdue step, in order: the owner, then the escalation ladder."""
    people = [Role(name=case.owner or case.owner_email, email=case.owner_email)] if case.owner_email else []
    for key in desk.rules.escalation.ladder:
        role = desk.rules.roles[key]
        if role.email.lower() not in {person.email.lower() for person in people}:
            people.append(role)
    return people


def escalate_overdue(desk: Desk, now: datetime) -> int:
    sent = 0
    with desk.store.transaction() as session:
        overdue = session.scalars(
            select(Case).where(Case.status != "closed", Case.next_deadline_at <= to_utc_naive(now))
        ).all()
        for case in overdue:
            sent += escalate_case(session, desk, case, now)
    return sent


def escalate_case(session: Session, desk: Desk, case: Case, now: datetime) -> int:
    reached: dict[str, int] = {}
    for event in case.events:
        if event.type == "overdue":
            step = event.detail.get("step")
            reached[step] = max(reached.get(step, -1), event.detail.get("level", 0))
    people, sent = ladder(desk, case), 0
    for deadline in open_deadlines(case):
        step, moment = deadline["step"], datetime.fromisoformat(deadline["due"])
        for level, person in enumerate(people):
            if level > 0:
                moment = desk.calendar.due(moment, desk.rules.escalation.every)
            if moment > now:
                break
            if level <= reached.get(step, -1):
                continue
            overdue_notice(session, desk, case, deadline, level, person)
            record(session, desk, case, "overdue", "desk", at=now, step=step, level=level, to=person.email,
                   due=deadline["due"])
            sent += 1
    return sent


def overdue_notice(session: Session, desk: Desk, case: Case, deadline: dict, level: int, person: Role) -> None:
    step = STEP_NAMES.get(deadline["step"], deadline["step"])
    intro = (f"案件 {case.case_no} 的“{step}”已超过期限 {deadline['due']}。" if level == 0 else
             f"案件 {case.case_no} 的“{step}”已超过期限 {deadline['due']}，负责人 {case.owner or '—'} 尚未处理，现上报给您（第 {level} 级）。")
    message = compose.staff_note(
        desk.sender, to=person.email, subject=f"[{case.case_no}] 逾期：{step} / overdue",
        greeting=person.name, intro=intro,
        rows=[("客户", case.customer_name or case.sender or "—"), ("类别", case.category or "—"),
              ("级别", case.level or "—"), ("状态", case.status), ("依据", deadline.get("why", ""))],
        case_no=case.case_no, purpose=f"overdue{level}",
        cc=[case.owner_email] if level > 0 and case.owner_email else None,
        closing="回复本邮件即可处理此案件（例如 #status investigating、#reply 答复内容）。",
    )
    outbox.queue(session, message, "overdue", case_id=case.id)


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
                care = desk.rules.roles.get("customer_care") or ladder(desk, case)[0]
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
    closed = 0
    with desk.store.transaction() as session:
        for rule in desk.rules.auto_close:
            for case in session.scalars(select(Case).where(Case.status.in_(rule.statuses))).all():
                idle_since = from_utc_naive(last_activity(case), desk)
                if matches(rule.when, case_facts(case)) and desk.calendar.due(idle_since, rule.after) <= now:
                    record(session, desk, case, "auto_closed", "desk", status="closed", at=now, rule=rule.name,
                           why=rule.why)
                    closed += 1
    return closed


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
        for email, items in sorted(by_owner.items()):
            digest_id = f"<digest.{now:%Y-%m-%d}.{hashlib.sha256(email.encode()).hexdigest()[:12]}@{desk.sender.domain}>"
            if session.scalar(select(OutboxMessage.id).where(OutboxMessage.message_id == digest_id)):
                continue
            rows = []
            for case, deadline in sorted(items, key=lambda item: item[1]["due"]):
                late = "逾期 " if datetime.fromisoformat(deadline["due"]) <= now else ""
                rows.append((f"{case.case_no} {STEP_NAMES.get(deadline['step'], deadline['step'])}",
                             f"{late}{deadline['due'].replace('T', ' ')[:16]}  {case.customer_name or ''}"))
            overdue = sum(1 for row in rows if row[1].startswith("逾期"))
            message = compose.staff_note(
                desk.sender, to=email, subject=f"今日待办 {now:%Y-%m-%d}：{len(rows)} 项，逾期 {overdue} 项 / daily digest",
                greeting=items[0][0].owner or email, intro="以下案件步骤今天到期或已经逾期：", rows=rows,
                case_no=None, purpose="digest", msgid=digest_id,
            )
            outbox.queue(session, message, "digest")
            sent += 1
    return sent
