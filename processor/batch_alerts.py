"""Batch alerts (seed 002's quality information, seed 000's quality routing): complaints naming
the same batch — or the same product and model — reaching the rule file's `threshold` within
its `window` go to the quality department in one mail at once; each case is linked to the
alert, and later cases on that batch join it (with a short mail saying so)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outputs import compose
from outputs.compose import span_text
from outputs.i18n import gettext
from processor import outbox
from processor.ladders import name_of
from processor.rules.lifecycle import since
from processor.store.models import BatchAlert, Case, CaseEvent

if TYPE_CHECKING:
    from processor.desk import Rulebook
    from processor.rules.lifecycle import BatchAlert as BatchAlertRule

_SPACE = re.compile(r"\s+")


def keys(rule: BatchAlertRule, fields: dict[str, Any]) -> list[tuple[str, str]]:
    """What names a batch in these fields, as (key, label), one per field set of `same` that
    the case has in full; values compared without case and spacing."""
    found = []
    for names in rule.same:
        values = [_SPACE.sub(" ", str(fields.get(name) or "")).strip() for name in names]
        if all(values):
            key = "|".join(
                f"{name}={value.upper()}" for name, value in zip(names, values, strict=True)
            )
            found.append((key, " ".join(values)))
    return found


def check(session: Session, book: Rulebook, case: Case) -> str | None:
    """Link a new complaint to its batch's alert, or raise the alert when it is the one that
    reaches the threshold. Returns what it did, or None."""
    rule = book.rules.batch_alert
    if rule is None or case.kind != "complaint":
        return None
    for key, label in keys(rule, case.fields or {}):
        alert = session.scalars(
            select(BatchAlert).where(BatchAlert.key == key).order_by(BatchAlert.id.desc())
        ).first()
        if alert is not None:
            link(session, case, alert, at=case.opened_at, joined=True)
            mail(session, book, rule, alert, [case], joined=True)
            return f"joined batch alert {alert.id} ({label})"
        window_start = since(case.opened_at, rule.window)
        candidates = session.scalars(
            select(Case).where(
                Case.kind == "complaint",
                Case.opened_at >= window_start,
                Case.id != case.id,
                Case.batch_alert_id.is_(None),
            )
        ).all()
        same = [other for other in candidates if key in dict(keys(rule, other.fields or {}))]
        if len(same) + 1 >= rule.threshold:
            alert = BatchAlert(key=key, label=label, opened_at=case.opened_at)
            session.add(alert)
            session.flush()
            members = sorted([*same, case], key=lambda each: each.opened_at)
            for member in members:
                link(session, member, alert, at=case.opened_at, joined=False)
            mail(session, book, rule, alert, members, joined=False)
            return f"batch alert {alert.id}: {len(members)} complaints on {label}"
    return None


def link(session: Session, case: Case, alert: BatchAlert, *, at: datetime, joined: bool) -> None:
    case.batch_alert_id = alert.id
    session.add(
        CaseEvent(
            case_id=case.id,
            type="batch_alert",
            actor="desk",
            at=at,
            detail={"alert": alert.id, "batch": alert.label, "joined": joined},
        )
    )


def mail(
    session: Session,
    book: Rulebook,
    rule: BatchAlertRule,
    alert: BatchAlert,
    cases: list[Case],
    *,
    joined: bool,
) -> None:
    people = [book.rules.roles[role] for role in rule.to]
    rows = [
        (
            case.case_no,
            f"{(case.customer_name or case.sender or '—')}  "
            f"{str((case.fields or {}).get('description') or '')[:80]}",
        )
        for case in cases
    ]
    language = book.config.desk.default_language  # a staff mail: the desk's
    if joined:
        subject = gettext(
            language,
            "staff.batch.subject_joined",
            case_no=cases[0].case_no,
            batch=alert.label,
            alert=alert.id,
        )
        intro = gettext(language, "staff.batch.intro_joined", batch=alert.label, alert=alert.id)
    else:
        subject = gettext(
            language, "staff.batch.subject", batch=alert.label, alert=alert.id, count=len(cases)
        )
        intro = gettext(
            language,
            "staff.batch.intro",
            batch=alert.label,
            count=len(cases),
            window=span_text(rule.window, language),
        )
    message = compose.staff_note(
        book.sender,
        to=people[0].email,
        cc=[person.email for person in people[1:]] or None,
        subject=subject,
        greeting=name_of(book, people[0].name, language),
        intro=intro,
        rows=rows,
        language=language,
        case_no=cases[0].case_no if joined else None,
        purpose=f"batch_alert{alert.id}",
    )
    outbox.queue(session, message, "batch_alert", case_id=cases[0].id if joined else None)
