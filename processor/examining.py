"""Parse + decide, with no side effects: what `aftersales inspect` shows and what the pipeline
(processor/pipeline.py) then records and acts on. Nothing here needs the store, so `inspect`
does not import SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from parsers import ParsedDocument, ParseError
from parsers.products import name_known_product
from parsers.shapes import line_value, match_known
from processor.actions import Action, plan
from processor.desk import Desk, Rulebook
from processor.rules.engine import Decision, decide


@dataclass
class Examined:
    doc: ParsedDocument
    decision: Decision
    actions: list[Action]
    received: datetime


def received_time(
    doc: ParsedDocument, book: Rulebook, otherwise: datetime | None = None
) -> datetime:
    """When an item arrived: the mail's Date header when it is sane, else `otherwise` (a
    file's time), else now."""
    try:
        sent = parsedate_to_datetime(doc.meta["date"]) if doc.meta.get("date") else None
    except (TypeError, ValueError, IndexError):
        sent = None
    if sent is None or sent.tzinfo is None:
        return otherwise or book.now()
    return sent.astimezone(book.timezone)


def examine(
    data: bytes,
    filename: str,
    book: Rulebook,
    received: datetime | None = None,
    refusal: ParseError | None = None,
    otherwise: datetime | None = None,
) -> Examined:
    doc = book.parse(data, filename)
    if isinstance(book, Desk):
        match_master_data(book, doc)
    if refusal:  # only its headers were fetched: say why, to the sender they name
        doc.kind, doc.errors, doc.reasons = "unknown", [], []
        doc.fail(refusal.code, **refusal.params)
    when = received or received_time(doc, book, otherwise)
    decision = decide(doc, book.rules, book.calendar, when)
    return Examined(doc, decision, planned(doc, decision, book), when)


def planned(doc: ParsedDocument, decision: Decision, book: Rulebook) -> list[Action]:
    """The actions for a decided document, with this desk's own addresses and staff."""
    return plan(
        doc, decision, book.own_addresses(), staff_to=", ".join(book.attention_addresses()) or None
    )


def match_master_data(desk: Desk, doc: ParsedDocument) -> None:
    """Codes read by OCR (the document's, or a scanned attachment's) taken for the master
    data's: a close reading is mended and unverified, an exact one changes nothing. A
    complaint in prose that names a product on record is about that product."""
    if desk.store is None:
        return
    # the store's side: `inspect` has none and never comes here
    from processor.master_data import known

    scanned = [part for part in (doc, *doc.attachments) if part.meta.get("ocr")]
    if doc.kind != "complaint" and not scanned:
        return
    master = known(desk)  # one read per process, cached until master data is imported
    if doc.kind == "complaint":
        name_known_product(doc, "\n".join([doc.title, doc.text]), master.products)
    for part in scanned:
        if unsure := match_known(part, master.codes):
            part.meta["unverified"] = list(
                dict.fromkeys([*part.meta.get("unverified", []), *unsure])
            )


def as_json(examined: Examined) -> dict[str, Any]:
    """The `inspect --json` contract (keep it stable; later issues only add keys)."""
    doc, decision = examined.doc, examined.decision
    return {
        "file": doc.file,
        "kind": doc.kind,
        "format": doc.format,
        "language": doc.language,
        "fields": doc.field_values,
        "provenance": doc.provenance,
        "lines": doc.lines,
        "category": decision.category,
        "level": decision.level,
        "business_line": decision.business_line,
        "case_ref": doc.case_ref,
        "owner": decision.owner,
        "deadlines": [deadline.as_json() for deadline in decision.deadlines],
        "missing": decision.missing,
        "unverified": unverified(doc),
        "actions": [action.as_json() for action in examined.actions],
        "rules_fired": decision.fired,
        "uncertain": list(dict.fromkeys(decision.uncertain)),
        "attachments": [
            {"file": a.file, "format": a.format, "kind": a.kind, "errors": a.errors}
            for a in doc.attachments
        ],
        "evidence": doc.evidence,
        "received": examined.received.isoformat(timespec="minutes"),
        "date_header": doc.meta.get(
            "date"
        ),  # what the sender's Date said; `received` is what counts
        "warnings": doc.warnings,
        "errors": doc.errors,
    }


def unverified(doc: ParsedDocument) -> list[str]:
    """Fields read with low confidence or mended (OCR), the mail's own or its attachments', and
    return lines' values (`lines[0].amount`) the reader could not vouch for."""
    found = list(doc.meta.get("unverified", []))
    for attachment in doc.attachments:
        found.extend(name for name in attachment.meta.get("unverified", []) if name in doc.fields)
    return [name for name in dict.fromkeys(found) if name in doc.fields or is_line_value(doc, name)]


def is_line_value(doc: ParsedDocument, name: str) -> bool:
    found = line_value(name)
    return found is not None and found[0] < len(doc.lines)
