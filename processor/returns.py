"""Returns and exchanges (seed 001 §4.2): a return sheet becomes a return request with lines;
each line is checked, then decided by the rule file's [returns] policy; the dealer gets a
return slip (退货单) for the decided lines. Quality lines wait for the quality department's
inspection verdict; staff decide held lines, and may override any line by mail
(`#line 2 accept 原因` / `#line 3 refuse 原因`).

Decisions: accepted · refused · pending (waits for an inspection) · held (waits for staff).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outputs import compose
from outputs.i18n import gettext
from outputs.reasons import reason_text  # the line's and request's coded reasons
from parsers.addresses import normalise
from parsers.language import to_simplified
from parsers.model import ParsedDocument
from processor import outbox, trust
from processor.case_numbers import next_number
from processor.cases import record
from processor.desk import Desk
from processor.return_conditions import Asked, Verdict, because, period_of, reason
from processor.return_conditions.table import CONDITIONS
from processor.store.models import (
    Case,
    CaseEvent,
    Party,
    Product,
    Purchase,
    ReturnLine,
    ReturnRequest,
)

log = logging.getLogger(__name__)

DECISIONS = ("accepted", "refused", "pending", "held")  # named by the catalogs: decision.*
OPEN_DECISIONS = ("pending", "held")


def decision_label(decision: str, language: str) -> str:
    return gettext(language, f"decision.{decision}")


# ---------------------------------------------------------------- periods and ratios


def _in_period(day: date | None, period: str, kind: str) -> bool:
    return day is not None and period_of(day, kind) == period


def purchases_in(session: Session, dealer_code: str, period: str) -> float | None:
    return session.scalar(
        select(Purchase.amount).where(
            Purchase.dealer_code == dealer_code, Purchase.period == period
        )
    )


def returned_in(
    session: Session,
    dealer_code: str,
    period: str,
    kind: str,
    reasons: tuple[str, ...] | None = None,
) -> float:
    """Amount of accepted return lines of a dealer in a period (by the sheet's date)."""
    query = (
        select(ReturnLine.amount, ReturnRequest.sheet_date, ReturnRequest.received_at)
        .join(ReturnRequest, ReturnLine.request_id == ReturnRequest.id)
        .where(ReturnRequest.dealer_code == dealer_code, ReturnLine.decision == "accepted")
    )
    if reasons:
        query = query.where(ReturnLine.reason.in_(reasons))
    return sum(
        amount or 0
        for amount, sheet, received in session.execute(query)
        if _in_period(sheet or received.date(), period, kind)
    )


def exchange_ratio(
    session: Session, dealer_code: str, period: str, kind: str = "month"
) -> float | None:
    """Accepted returns ÷ purchases of a dealer in a period (None without purchases on record)."""
    bought = purchases_in(session, dealer_code, period)
    return None if not bought else returned_in(session, dealer_code, period, kind) / bought


# ---------------------------------------------------------------- opening a request


def find_dealer(session: Session, code: str | None, sender: str | None) -> Party | None:
    if code:
        return session.scalars(
            select(Party).where(Party.kind == "dealer", func.upper(Party.code) == code.upper())
        ).first()
    if sender:
        for dealer in session.scalars(select(Party).where(Party.kind == "dealer")):
            if normalise(sender) in dealer_addresses(dealer):
                return dealer
    return None


def dealer_addresses(dealer: Party) -> set[str]:
    """A dealer's addresses in the master data, in normal form."""
    return {
        normalise(address)
        for address in [dealer.email, *(dealer.attributes or {}).get("emails", [])]
        if address
    }


def slip_address(session: Session, request: ReturnRequest, case: Case) -> str | None:
    """Where the slip goes: who sent the sheet, else the dealer's address on record."""
    if case.sender:
        return case.sender
    dealer = find_dealer(session, request.dealer_code, None)
    return dealer.email if dealer else None


def sender_may_speak_for(desk: Desk, dealer: Party, doc: ParsedDocument, source: str) -> bool:
    """A sheet by mail must come from whom the rule file's `[permissions] return_sheets` names:
    one of the dealer's own addresses on record (a dealer with none has no mail that speaks for
    it), or staff; one dropped into a shared folder was put there by staff."""
    if doc.format != "eml" and not source.startswith(("imap:", "maildir:")):
        return True
    allowed = desk.rules.permissions.return_sheets
    sender = doc.meta.get("sender")
    if "dealer" in allowed and sender and normalise(sender) in dealer_addresses(dealer):
        return True
    return "staff" in allowed and trust.is_staff(desk, doc)


def open_request(
    session: Session,
    desk: Desk,
    case: Case,
    doc: ParsedDocument,
    *,
    document_id: int,
    source: str,
    received: datetime,
) -> ReturnRequest:
    sheet_date = _date(doc.value("sheet_date"))
    sender = doc.meta.get("sender")
    dealer = find_dealer(session, doc.value("dealer_code"), sender)
    request = ReturnRequest(
        case_id=case.id,
        document_id=document_id,
        sheet_date=sheet_date,
        received_at=received.replace(tzinfo=None),
        status="open",
        dealer_code=dealer.code if dealer else doc.value("dealer_code"),
        dealer_name=dealer.name if dealer else doc.value("company"),
    )
    session.add(request)
    session.flush()
    for number, line in enumerate(doc.lines, start=1):
        session.add(
            ReturnLine(
                request_id=request.id,
                line_no=number,
                order_no=line.get("order_no"),
                part_no=line.get("part_no"),
                product_name=line.get("product_name"),
                spec=line.get("spec"),
                batch_no=line.get("batch_no"),
                quantity=line.get("quantity"),
                unit=line.get("unit"),
                unit_price=line.get("unit_price"),
                amount=line.get("amount"),
                ship_date=_date(line.get("ship_date")),
                reason=line.get("reason"),
                action=line.get("action"),
                decision="held",
                problems=[],
            )
        )
    session.flush()
    session.refresh(request)
    if dealer is None:
        hold(
            request,
            because(
                reason(
                    "return.unknown_dealer",
                    dealer=doc.value("dealer_code") or "—",
                    sender=sender or "—",
                )
            ),
        )
    elif not sender_may_speak_for(desk, dealer, doc, source):
        hold(
            request,
            because(
                reason(
                    "return.not_dealer_address",
                    dealer=dealer.code,
                    sender=sender or gettext(desk.config.desk.default_language, "return.no_sender"),
                )
            ),
        )
    elif not request.lines:
        hold(request, because(reason("return.no_lines")))
    else:
        decide_lines(session, desk, request, dealer, received.date())
    record(
        session,
        desk,
        case,
        "return_request",
        "desk",
        document_id=document_id,
        request=request.id,
        dealer=request.dealer_code,
        lines=len(request.lines),
        request_status=request.status,
        held=request.held_reason,
    )
    return request


def hold(request: ReturnRequest, reason: str) -> None:
    request.status, request.held_reason = "held", reason
    for line in request.lines:
        line.decision, line.decision_reason = "held", reason


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


# ---------------------------------------------------------------- checks and policy


def decide_lines(
    session: Session, desk: Desk, request: ReturnRequest, dealer: Party, received: date
) -> None:
    for line in request.lines:
        verdict = check(session, desk, request, line) or policy(
            session, desk, request, dealer, line, received
        )
        line.decision, line.decision_reason, line.decided_by = (
            verdict.decision,
            verdict.reason,
            "rules",
        )
        session.flush()  # the next line's ratio counts this one
    request.status = (
        "open" if any(line.decision in OPEN_DECISIONS for line in request.lines) else "decided"
    )


def check(session: Session, desk: Desk, request: ReturnRequest, line: ReturnLine) -> Verdict | None:
    """The line's problems, kept on it; a refusal or a hold when one is found."""
    policy_settings = desk.rules.returns
    product = (
        session.scalars(select(Product).where(Product.part_no == line.part_no)).first()
        if line.part_no
        else None
    )
    problems: list[str] = []
    if not line.quantity or line.quantity <= 0:
        problems.append("bad_quantity")
    if product is None:
        problems.append("unknown_part")
    price = (
        line.unit_price
        if line.unit_price is not None
        else (product.unit_price if product else None)
    )
    if (
        product
        and product.unit_price is not None
        and line.unit_price is not None
        and abs(line.unit_price - product.unit_price) > policy_settings.amount_tolerance
    ):
        problems.append("price_differs")
    if (
        price is not None
        and line.quantity
        and line.amount is not None
        and abs(line.quantity * price - line.amount) > policy_settings.amount_tolerance
    ):
        problems.append("amount_mismatch")
    if line.amount is None and price is not None and line.quantity:
        line.amount = round(line.quantity * price, 2)
    if product and not same_name(line.product_name, product.name):
        problems.append("name_differs")  # flagged on the slip: the part number may be the wrong one
    earlier = _returned_before(session, request, line)
    if earlier:
        problems.append("already_returned")
    line.problems = problems
    if "bad_quantity" in problems:
        return Verdict("refused", because(reason("return.quantity_not_positive")))
    if earlier:
        return Verdict("refused", because(reason("return.already_returned", earlier=earlier)))
    if "unknown_part" in problems:
        return Verdict("held", because(reason("return.unknown_part", part_no=line.part_no or "—")))
    if "price_differs" in problems:
        return Verdict(
            "held",
            because(
                reason(
                    "return.price_differs",
                    price=f"{line.unit_price:g}",
                    list_price=f"{product.unit_price:g}",
                )
            ),
        )
    if "amount_mismatch" in problems:
        return Verdict(
            "held",
            because(
                reason(
                    "return.amount_differs",
                    amount=f"{line.amount:g}",
                    expected=f"{line.quantity * price:g}",
                )
            ),
        )
    return None


def same_name(sheet: str | None, catalog: str | None) -> bool:
    """Whether a sheet's product name is the catalog's (either script, one containing the other:
    `全合成机油 4L` is `全合成机油`); a missing name differs from nothing."""
    if not sheet or not catalog:
        return True
    a, b = (to_simplified(name).replace(" ", "").lower() for name in (sheet, catalog))
    return a in b or b in a


def _returned_before(session: Session, request: ReturnRequest, line: ReturnLine) -> str | None:
    if not line.order_no or not line.part_no:
        return None
    found = session.execute(
        select(ReturnLine.slip_no, ReturnRequest.id, Case.case_no)
        .join(ReturnRequest, ReturnLine.request_id == ReturnRequest.id)
        .outerjoin(Case, Case.id == ReturnRequest.case_id)
        .where(
            ReturnRequest.dealer_code == request.dealer_code,
            ReturnRequest.id != request.id,
            ReturnLine.order_no == line.order_no,
            ReturnLine.part_no == line.part_no,
            ReturnLine.decision != "refused",
        )
    ).first()
    if found is None:
        return None
    slip, request_id, case_no = found
    return slip or case_no or f"request {request_id}"


def policy(
    session: Session,
    desk: Desk,
    request: ReturnRequest,
    dealer: Party,
    line: ReturnLine,
    received: date,
) -> Verdict:
    settings = desk.rules.returns
    rule = settings.reasons.get(line.reason or "other") or settings.reasons.get("other")
    if rule is None or rule.hold:
        return Verdict(
            "held",
            because(
                reason("return.reviewed", reason_label=f"return_reason.{line.reason or 'other'}")
            ),
        )
    if rule.await_ == "inspection":
        return Verdict("pending", because(reason("return.awaiting_inspection")))
    asked = Asked(
        line,
        rule,
        settings,
        dealer.attributes or {},
        request.sheet_date or received,
        received,
        purchases=lambda period: purchases_in(session, dealer.code, period),
        returned=lambda period: returned_in(
            session, dealer.code, period, settings.ratio_period, ("unsaleable",)
        ),
    )
    reasons = []
    for (
        condition
    ) in rule.accept_when:  # each one must hold; the first that does not decides the line
        held = CONDITIONS[condition](asked)
        if isinstance(held, Verdict):
            return held
        reasons.append(held)
    return Verdict("accepted", because(*(reasons or [reason("return.within_policy")])))


# ---------------------------------------------------------------- inspection verdicts and overrides


def apply_inspection(
    session: Session, desk: Desk, doc: ParsedDocument, case: Case, *, document_id: int, actor: str
) -> list[ReturnLine]:
    """An inspection verdict decides the pending quality lines of the case it names that it
    names (by part number, and batch when both have one). Whether its sender may send verdicts
    is the pipeline's question (processor/trust.py); a part number alone never decides."""
    verdict = doc.value("verdict")
    outcome = desk.rules.returns.verdicts.get(verdict or "")
    part_no = doc.value("part_no")
    if outcome is None or not part_no:
        return []
    query = (
        select(ReturnLine)
        .join(ReturnRequest, ReturnLine.request_id == ReturnRequest.id)
        .where(
            ReturnLine.decision == "pending",
            ReturnLine.part_no == part_no,
            ReturnRequest.case_id == case.id,
        )
    )
    batch = doc.value("batch_no")
    lines = [
        line
        for line in session.scalars(query)
        if not (batch and line.batch_no and line.batch_no != batch)
    ]
    why = because(
        reason(
            "return.inspected",
            verdict_label=f"verdict.{verdict}",
            number=doc.value("inspection_no") or "—",
        )
    )
    for line in lines:
        line.decision, line.decision_reason, line.decided_by = (
            outcome,
            why,
            f"inspection {doc.value('inspection_no') or document_id}",
        )
        record(
            session,
            desk,
            case,
            "inspection",
            actor,
            document_id=document_id,
            line=line.line_no,
            verdict=verdict,
            decision=outcome,
        )
    return lines


def request_of(session: Session, case: Case) -> ReturnRequest | None:
    return session.scalars(select(ReturnRequest).where(ReturnRequest.case_id == case.id)).first()


def override(
    session: Session, desk: Desk, case: Case, line_no: int, decision: str, reason: str, actor: str
) -> ReturnLine:
    request = request_of(session, case)
    if request is None:
        raise LookupError(
            "command.error.no_request", {}
        )  # (catalog id, values): worded for the staff member
    line = next((line for line in request.lines if line.line_no == line_no), None)
    if line is None:
        raise LookupError("command.error.no_line", {"number": line_no, "count": len(request.lines)})
    record(
        session,
        desk,
        case,
        "line_override",
        actor,
        line=line_no,
        **{"from": line.decision, "to": decision},
        why=reason,
    )
    line.decision, line.decision_reason, line.decided_by = (
        decision,
        reason or because(("return.management", {})),
        actor,
    )
    if line.slip_no:  # decided again after its slip: it goes on the next slip
        line.slip_no = None
    if request.status == "held":
        request.status = "open"
    return line


# ---------------------------------------------------------------- the slip


def issue_slip(
    session: Session, desk: Desk, request: ReturnRequest, *, to: str | None, now: datetime
) -> str | None:
    """A slip for the lines not on a slip yet (pending and held ones shown as such on the first
    slip only); mailed to the dealer. Returns the slip number, or None when nothing is new."""
    fresh = [line for line in request.lines if line.slip_no is None]
    decided = [line for line in fresh if line.decision not in OPEN_DECISIONS]
    first = not session.scalar(
        select(func.count(CaseEvent.id)).where(
            CaseEvent.case_id == request.case_id,
            CaseEvent.type.in_(("return_slip_sent", "return_slip_made")),
        )
    )
    shown = fresh if first else decided
    if not decided and not (first and shown and request.status != "held"):
        return None
    case = session.get(Case, request.case_id)
    slip_no = next_number(session, f"slip:{now:%Y%m}", now, desk.rules.returns.slip_number_format)
    for line in decided:
        line.slip_no = slip_no
    language = case.language or desk.config.desk.default_language
    context = slip_context(desk, request, case, slip_no, shown, now, language)
    # docxtpl and python-docx: imported only when a slip is made
    from outputs.slips import render_slip, slip_pdf

    docx = render_slip(context)
    pdf = slip_pdf(docx, desk.limits.max_seconds)
    if to:
        message = compose.return_slip(
            desk.sender,
            to=to,
            case_no=case.case_no,
            slip_no=slip_no,
            language=language,
            greeting_name=request.dealer_name,
            rows=slip_rows(shown, language),
            docx=docx,
            pdf=pdf,
            decisions={line.decision for line in shown},
            return_days=SHIP_BACK_DAYS,
        )
        outbox.queue(session, message, "return_slip", case_id=case.id)
    record(
        session,
        desk,
        case,
        "return_slip_sent" if to else "return_slip_made",
        "desk",
        at=now,
        slip=slip_no,
        lines=[line.line_no for line in decided],
        to=to,
    )
    if all(line.decision not in OPEN_DECISIONS for line in request.lines):
        request.status = "decided"
    return slip_no


SHIP_BACK_DAYS = (
    15  # the time limit for sending accepted goods back: the slip and its mail both state it
)
SLIP_LABELS = (
    "slip_no",
    "issued",
    "dealer_name",
    "dealer_code",
    "case_no",
    "sheet_date",
    "column_no",
    "column_order_no",
    "column_part_no",
    "column_product_name",
    "column_spec",
    "column_quantity",
    "column_unit",
    "column_unit_price",
    "column_amount",
    "column_decision",
    "column_reason",
    "total",
    "notes",
)


def line_reason(line: ReturnLine, language: str) -> str:
    """The line's reason in the reader's language, and a name that differs from the product
    catalog's flagged (the dealer may have the wrong part number)."""
    text = reason_text(line.decision_reason, language)
    if "name_differs" in (line.problems or []) and (catalog_name := _catalog_name(line)):
        flag = gettext(language, "slip.name_differs", catalog=catalog_name)
        text = gettext(language, "punct.list_sep").join(filter(None, [text, flag]))
    return text


def _catalog_name(line: ReturnLine) -> str | None:
    session = Session.object_session(line)
    product = (
        session.scalars(select(Product).where(Product.part_no == line.part_no)).first()
        if session and line.part_no
        else None
    )
    return product.name if product else None


def slip_rows(lines: list[ReturnLine], language: str) -> list[tuple[str, str]]:
    """(line, decision and reason) of each line, for the slip's mail."""
    return [
        (
            f"{line.line_no}. {line.part_no or ''} {line.product_name or ''}".strip(),
            f"{decision_label(line.decision, language)}（{line_reason(line, language)}）"
            if language != "en"
            else f"{decision_label(line.decision, language)} ({line_reason(line, language)})",
        )
        for line in lines
    ]


def held_rows(session: Session, case: Case, language: str) -> list[tuple[str, str]]:
    """The return lines held for staff and why, for the owner's notice (none without a request)."""
    request = request_of(session, case)
    if request is None:
        return []
    held = [line for line in request.lines if line.decision == "held"]
    return slip_rows(held, language)


def slip_context(
    desk: Desk,
    request: ReturnRequest,
    case: Case,
    slip_no: str,
    lines: list[ReturnLine],
    now: datetime,
    language: str = "zh-Hans",
) -> dict[str, Any]:
    """Every value of the slip, its words from the catalogs in the dealer's language; a slip
    that accepts nothing is titled a decision notice."""
    accepted = [line for line in lines if line.decision == "accepted"]
    decisions = {line.decision for line in lines}
    counts = {key: sum(line.decision == key for line in lines) for key in DECISIONS}
    notes, number = [], 1
    for decision, note in (("accepted", "slip.note_accepted"), ("refused", "slip.note_refused")):
        if decision in decisions:
            notes.append(gettext(language, note, n=number, days=SHIP_BACK_DAYS))
            number += 1
    if decisions & set(OPEN_DECISIONS):
        notes.append(gettext(language, "slip.note_waiting", n=number))
    name = compose.desk_name(desk.sender, language)
    issued = f"{now:%Y-%m-%d}"
    return {
        "desk_name": name,
        "slip_no": slip_no,
        "issued": issued,
        "title": gettext(language, "slip.title" if accepted else "slip.title_decision"),
        "t": {key: gettext(language, f"slip.label.{key}") for key in SLIP_LABELS},
        "dealer_name": request.dealer_name or "—",
        "dealer_code": request.dealer_code or "—",
        "case_no": case.case_no,
        "sheet_date": str(request.sheet_date or "—"),
        "handler": case.owner or "",
        "ship_back_days": SHIP_BACK_DAYS,
        "notes": notes + [""] * (4 - len(notes)),
        "lines": [
            {
                "no": line.line_no,
                "order_no": line.order_no or "",
                "part_no": line.part_no or "",
                "product_name": line.product_name or "",
                "spec": line.spec or "",
                "quantity": f"{line.quantity:g}" if line.quantity is not None else "",
                "unit": line.unit or "",
                "unit_price": f"{line.unit_price:,.2f}" if line.unit_price is not None else "",
                "amount": f"{line.amount:,.2f}" if line.amount is not None else "",
                "decision": decision_label(line.decision, language),
                "reason": line_reason(line, language),
            }
            for line in lines
        ],
        "accepted_quantity": f"{sum(line.quantity or 0 for line in accepted):g}",
        "accepted_amount": f"{sum(line.amount or 0 for line in accepted):,.2f}",
        "summary": gettext(language, "punct.list_sep").join(
            gettext(language, "slip.summary_item", label=decision_label(key, language), count=count)
            for key, count in counts.items()
            if count
        ),
        "signature": gettext(
            language, "slip.signature", desk=name, handler=case.owner or "—", date=issued
        ),
    }
