"""What the desk will do for a document: a list of plain actions decided from the parsed
document and the rules' decision, by `plan` — every decision is here, and nothing here needs
the store (`aftersales inspect` shows the plan). Doing is one handler per action type, each in
its own module of this package (`processor/actions/<type>.py`), in one table
(processor/actions/registry.py) that the pipeline runs the plan through."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from parsers.addresses import normalise
from parsers.model import ParsedDocument, reason_text
from processor.rules.engine import Decision
from vocabulary import SILENT_KINDS, ActionType, Kind

NO_REPLY = re.compile(
    r"^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?)([+.-]|@)", re.IGNORECASE
)


@dataclass
class Action:
    type: ActionType
    to: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        detail = data.pop("detail")
        return {**data, **detail}


def reply_address(doc: ParsedDocument, own_addresses: set[str]) -> str | None:
    """Whom we may answer: a mail's one sender identity (a file: the form's e-mail), never a
    robot or ourselves. A mail without an identity is answered by nobody: an address read from
    its body may be anyone's."""
    address = doc.meta.get("sender") if doc.format == "eml" else doc.value("email")
    if not address or from_ourselves(address, own_addresses) or NO_REPLY.match(address):
        return None
    return address


def from_ourselves(address: str | None, own_addresses: set[str]) -> bool:
    return bool(address) and normalise(address) in {normalise(own) for own in own_addresses}


def plan(
    doc: ParsedDocument, decision: Decision, own_addresses: set[str], staff_to: str | None = None
) -> list[Action]:
    """Every step the desk will take for the document, in the order they are taken (each
    type is one handler, processor/actions/registry.py). `staff_to`: who is told of what is
    filed for staff (the desk's operator or staff addresses)."""
    if doc.format == "eml" and from_ourselves(doc.meta.get("sender"), own_addresses):
        # our own mail come back, or a stranger's in our name: a loop or a forgery, never a case
        return [
            Action(
                ActionType.RECORD,
                None,
                {"note": "from our own address: recorded for staff, not acted on"},
            ),
            *robots_and_verdicts(doc),
        ]
    to = reply_address(doc, own_addresses) if doc.kind not in SILENT_KINDS else None
    if doc.errors or doc.kind == Kind.UNKNOWN:
        # the reasons as codes, worded in the reader's language by the catalogs; `reason` is
        # the log's (English) wording, and the only one a reason without a code has
        reasons = list(doc.reasons) or ([] if doc.errors else [{"code": "not_understood"}])
        reason = "; ".join(doc.errors) or "; ".join(reason_text(found) for found in reasons)
        actions = [Action(ActionType.QUARANTINE, None, {"reason": reason, "reasons": reasons})]
        if to:
            actions.append(
                Action(ActionType.NOTIFY_SENDER, to, {"reason": reason, "reasons": reasons})
            )
        return actions
    if doc.kind in SILENT_KINDS:
        return [
            Action(
                ActionType.RECORD,
                None,
                {"note": f"{doc.kind}: recorded, never answered (loop safety)"},
            ),
            *robots_and_verdicts(doc),
        ]
    if doc.kind in (Kind.REPLY, Kind.CALLBACK) or (
        doc.case_ref and doc.kind in (Kind.FEEDBACK_FORM, Kind.INSPECTION)
    ):
        detail = {"case": doc.case_ref}
        if doc.kind == Kind.CALLBACK:
            detail["satisfied"] = doc.value("satisfied")
        return [Action(ActionType.RECORD_ON_CASE, None, detail), *robots_and_verdicts(doc)]
    # a return sheet naming a case goes on it when its sender is a party of it (the rest is then not done)
    on_case = (
        [Action(ActionType.RETURN_ON_CASE, None, {"case": doc.case_ref})]
        if doc.kind == Kind.RETURN_SHEET and doc.case_ref
        else []
    )
    if decision.owner_email is None:  # feedback forms and inspection verdicts: filed for staff
        return [
            *on_case,
            *robots_and_verdicts(doc),
            Action(ActionType.FILE_FOR_STAFF, staff_to, {"kind": doc.kind}),
        ]
    actions = [*on_case, Action(ActionType.OPEN_CASE)]
    if to:
        actions.append(Action(ActionType.ACKNOWLEDGE, to, {"missing": decision.missing}))
    if (
        doc.kind == Kind.RETURN_SHEET
    ):  # before the owner's notice, which names the lines held for staff
        actions.append(Action(ActionType.RETURN_SLIP, to, {"lines": len(doc.lines)}))
    actions.append(Action(ActionType.NOTIFY_OWNER, decision.owner_email, {"owner": decision.owner}))
    actions.extend(
        Action(ActionType.INFORM, role.email, {"who": role.name}) for role in decision.inform
    )
    if decision.escalate and decision.escalate_to:
        actions.append(
            Action(
                ActionType.ESCALATE, decision.escalate_to.email, {"who": decision.escalate_to.name}
            )
        )
    if (
        doc.case_ref
    ):  # quoted by someone who is no party of it (a party's return sheet went on it above)
        actions.append(Action(ActionType.LINK_CASE, None, {"case": doc.case_ref}))
    return [*actions, *robots_and_verdicts(doc)]


def robots_and_verdicts(doc: ParsedDocument) -> list[Action]:
    """What any document that is not quarantined also gets: a bounce marks the mail it bounces,
    an inspection verdict decides the return lines waiting for it."""
    if doc.kind == Kind.BOUNCE:
        return [Action(ActionType.RECORD_BOUNCE)]
    if doc.kind == Kind.INSPECTION:
        return [Action(ActionType.APPLY_INSPECTION)]
    return []
