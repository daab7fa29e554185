"""`apply_inspection`: a verdict from the quality department decides the return lines of the
case it names that wait for it; the dealer gets a slip for them. Any other verdict is kept for
staff (file_for_staff.py tells them)."""

from __future__ import annotations

from outputs import reasons
from parsers.mail import case_ref_pattern
from processor import returns, trust
from processor.actions import Action
from processor.actions.step import Step
from processor.cases import find_case
from processor.store.models import Case


def handle(step: Step, action: Action) -> None:
    step.outcome.reason = apply(step) or step.outcome.reason


def apply(step: Step) -> str | None:
    desk, session, doc, row = step.desk, step.session, step.doc, step.row
    case = named_case(step)
    if not trust.may_send_verdicts(desk, doc, step.item.source):
        why = reasons.reason(
            "filed.verdict_not_quality", sender=doc.meta.get("sender") or step.item.source
        )
    elif case is None:
        why = reasons.reason("filed.verdict_no_case")
    else:
        lines = returns.apply_inspection(
            session, desk, doc, case, document_id=row.id, actor=step.actor
        )
        request = returns.request_of(session, case)
        slip = (
            returns.issue_slip(
                session,
                desk,
                request,
                to=returns.slip_address(session, request, case),
                now=desk.now(),
            )
            if lines
            else None
        )
        return f"inspection decided {len(lines)} return lines of {case.case_no}" + (
            f"; slip {slip}" if slip else ""
        )
    row.reason = reasons.because(why)  # coded: file_for_staff.py and `attention` word it for staff
    return f"{reasons.reason_text(row.reason, 'en')}: recorded for staff, not acted on"


def named_case(step: Step) -> Case | None:
    """The case a document names: the mail's case reference, else one of our case numbers in
    the file's name or the text of the mail and its attachments."""
    doc = step.doc
    ours = case_ref_pattern(step.desk.config.desk.case_number_format)
    texts = [doc.file, doc.text, *(attachment.text for attachment in doc.attachments)]
    for number in [doc.case_ref, *(found for text in texts for found in ours.findall(text or ""))]:
        if number and (case := find_case(step.session, number)) is not None:
            return case
    return None
