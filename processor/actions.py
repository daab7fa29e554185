"""What the desk would do for a document: a list of plain actions decided from the parsed
document and the rules' decision. Deciding is here; doing is in the pipeline and outputs."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from parsers.addresses import normalise
from parsers.model import ParsedDocument, reason_text
from processor.rules.engine import Decision

NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?)([+.-]|@)", re.IGNORECASE)
SILENT_KINDS = {"auto_reply", "bounce"}


@dataclass
class Action:
    type: str
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


def plan(doc: ParsedDocument, decision: Decision, own_addresses: set[str], staff_to: str | None = None) -> list[Action]:
    """`staff_to`: who is told of what is filed for staff (the desk's operator or staff addresses)."""
    if doc.format == "eml" and from_ourselves(doc.meta.get("sender"), own_addresses):
        # our own mail come back, or a stranger's in our name: a loop or a forgery, never a case
        return [Action("record", None, {"note": "from our own address: recorded for staff, not acted on"})]
    to = reply_address(doc, own_addresses) if doc.kind not in SILENT_KINDS else None
    if doc.errors or doc.kind == "unknown":
        # the reasons as codes, worded in the reader's language by the catalogs; `reason` is
        # the log's (English) wording, and the only one a reason without a code has
        reasons = list(doc.reasons) or ([] if doc.errors else [{"code": "not_understood"}])
        reason = "; ".join(doc.errors) or "; ".join(reason_text(found) for found in reasons)
        actions = [Action("quarantine", None, {"reason": reason, "reasons": reasons})]
        if to:
            actions.append(Action("notify_sender", to, {"reason": reason, "reasons": reasons}))
        return actions
    if doc.kind in SILENT_KINDS:
        return [Action("record", None, {"note": f"{doc.kind}: recorded, never answered (loop safety)"})]
    if doc.kind in ("reply", "callback") or (doc.case_ref and doc.kind in ("feedback_form", "inspection")):
        detail = {"case": doc.case_ref}
        if doc.kind == "callback":
            detail["satisfied"] = doc.value("satisfied")
        return [Action("record_on_case", None, detail)]
    if decision.owner_email is None:  # feedback forms and inspection verdicts: filed for staff
        return [Action("file_for_staff", staff_to, {"kind": doc.kind})]
    actions = []
    if to:
        actions.append(Action("acknowledge", to, {"missing": decision.missing}))
    actions.append(Action("notify_owner", decision.owner_email, {"owner": decision.owner}))
    actions.extend(Action("inform", role.email, {"who": role.name}) for role in decision.inform)
    if decision.escalate and decision.escalate_to:
        actions.append(Action("escalate", decision.escalate_to.email, {"who": decision.escalate_to.name}))
    if doc.kind == "return_sheet" and to:
        actions.append(Action("return_slip", to, {"lines": len(doc.lines)}))
    return actions
