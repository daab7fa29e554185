"""Getting the outbox out, and what the desk does about mail that could not be delivered:
over SMTP when `[smtp]` is set, else as .eml files in the outbox folder. A mail refused for
good, or bounced back later (a DSN naming one of our Message-IDs), flags its case — the
customer's address is bad — and tells its owner, so someone phones instead."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from outputs import compose
from outputs.i18n import gettext
from outputs.reasons import because, reason
from parsers.model import ParsedDocument
from processor import outbox, problems
from processor.cases import record
from processor.desk import Desk
from processor.ladders import name_of
from processor.smtp import deliver_by_smtp
from processor.store.models import Case, OutboxMessage

log = logging.getLogger(__name__)

# Mails about mail problems are never themselves reported: no loops.
NOT_REPORTED = {"delivery_failed", "notice"}


def deliver(desk: Desk) -> int:
    if desk.config.smtp is None:
        return outbox.deliver_to_folder(desk.store, desk.config.outbox_dir)
    envelope_from = desk.config.smtp.from_address or desk.config.desk.address

    def failed(row: OutboxMessage) -> None:
        undeliverable(desk, object_session(row), row, row.last_error or "refused")

    result = deliver_by_smtp(desk.store, desk.config, envelope_from, on_failure=failed)
    with (
        desk.store.transaction() as session
    ):  # the operator is told; the problem ends with a mail sent
        if result.login_refused:
            problems.report(
                desk,
                session,
                "smtp_login",
                "smtp:login",
                because(reason("problem.smtp_login", detail=result.login_refused)),
            )
        elif result.sent:
            problems.resolve(session, "smtp:login")
    return result.sent


def undeliverable(desk: Desk, session: Session, row: OutboxMessage, why: str) -> None:
    """Flag the case of a mail that will never arrive and tell whoever can phone instead."""
    case = session.get(Case, row.case_id) if row.case_id else None
    if case is not None:
        record(
            session,
            desk,
            case,
            "undeliverable",
            "desk",
            to=row.recipients,
            purpose=row.purpose,
            why=why[:500],
        )
        case.fields = {**(case.fields or {}), "email_undeliverable": ", ".join(row.recipients)}
    if row.purpose in NOT_REPORTED:
        return
    to = (case.owner_email if case and case.owner_email else None) or next(
        iter(desk.config.desk.staff_addresses), None
    )
    if to is None or to in row.recipients:
        return
    language = desk.config.desk.default_language  # a staff mail: the desk's
    message = compose.staff_note(
        desk.sender,
        to=to,
        language=language,
        subject=gettext(
            language,
            "staff.undeliverable.subject_case" if case else "staff.undeliverable.subject",
            case_no=case.case_no if case else "",
        ),
        greeting=name_of(desk, (case.owner if case else None) or to, language),
        intro=gettext(language, "staff.undeliverable.intro"),
        rows=[
            (gettext(language, "staff.row.recipients"), ", ".join(row.recipients)),
            (gettext(language, "staff.row.subject"), row.subject),
            (gettext(language, "staff.row.server_answer"), why[:300]),
        ],
        case_no=case.case_no if case else None,
        purpose="undeliverable",
    )
    outbox.queue(session, message, "delivery_failed", case_id=case.id if case else None)


def record_bounce(desk: Desk, session: Session, doc: ParsedDocument) -> str:
    """A bounce (DSN) of one of our mails: mark its outbox row and flag its case."""
    ids = doc.meta.get("bounced_message_ids") or []
    if doc.meta.get("bounce_action") == "delayed":
        return "delay notice: nothing to do yet"
    rows = (
        session.scalars(select(OutboxMessage).where(OutboxMessage.message_id.in_(ids))).all()
        if ids
        else []
    )
    for row in rows:
        if row.status != "bounced":
            row.status, row.last_error = (
                "bounced",
                (doc.meta.get("bounce_status") or "bounced")[:2000],
            )
            undeliverable(desk, session, row, doc.meta.get("bounce_status") or "bounced")
    return f"bounce of {len(rows)} of our mails" if rows else "bounce of no mail we know"
