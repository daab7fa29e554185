"""Who may do what by mail. A mail's sender is its one identity (parsers.addresses); this
module decides what that identity may do: whether the desk's own mail server vouched for it
(Authentication-Results, RFC 8601, read by `authres`), which roles it holds and so which
staff commands it may send, whether it may send inspection verdicts, and whether it is a
party of a case it quotes. What a sender may not do is recorded for staff, never acted on."""

from __future__ import annotations

import logging
import re

import authres
from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.addresses import domain_of, normalise
from parsers.model import ParsedDocument
from processor.desk import Rulebook
from processor.store.models import Case, Document

log = logging.getLogger(__name__)

STAFF_ROLE = "staff"  # the role of the config's [desk] staff_addresses
RECEIVED_BY = re.compile(r"\bby\s+([^\s;()]+)", re.IGNORECASE)


# ---------------------------------------------------------------- the mail server's word


def trusted_results(
    headers: list[tuple[str, str]], server: str
) -> list[authres.AuthenticationResultsHeader]:
    """The Authentication-Results our own server wrote: those above its first Received (what
    lies below was in the mail when it arrived, and anyone can write it), whose authserv-id is
    exactly `server`. Its Received is the first one `by` that host; without one, the first
    Received at all; a mail that no server received has no trusted results."""
    received = [index for index, (name, _) in enumerate(headers) if name.lower() == "received"]
    if not received:
        return []
    ours = [
        index
        for index in received
        if (m := RECEIVED_BY.search(str(headers[index][1])))
        and m.group(1).lower().rstrip(".") == server.lower()
    ]
    boundary = (ours or received)[0]
    found = []
    for name, value in headers[:boundary]:
        if name.lower() != "authentication-results":
            continue
        try:
            parsed = authres.AuthenticationResultsHeader.parse(
                "Authentication-Results: " + " ".join(str(value).split())
            )
        except authres.AuthResError as exc:
            log.info("unreadable Authentication-Results ignored: %s", exc)
            continue
        if (parsed.authserv_id or "").lower() == server.lower():
            found.append(parsed)
    return found


def _property(result: authres.AuthenticationResult, kind: str, name: str) -> str | None:
    return next(
        (str(p.value) for p in result.properties if p.type == kind and p.name == name), None
    )


def _aligned(domain: str | None, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489 §3.1): the same domain, or one the other is part of."""
    domain = (domain or "").lower().lstrip("@").rpartition("@")[2].rstrip(".")
    return bool(domain) and (
        from_domain == domain
        or from_domain.endswith("." + domain)
        or domain.endswith("." + from_domain)
    )


def vouched(headers: list[tuple[str, str]], server: str, sender: str | None) -> bool:
    """Whether our server's results say the From domain is genuine: DMARC pass for that
    domain, or a DKIM signature that passed and is aligned with it; never when DMARC failed.
    SPF alone vouches for the envelope, not for the From a person reads, so it never counts."""
    from_domain = domain_of(sender)
    if not from_domain:
        return False
    results = [result for header in trusted_results(headers, server) for result in header.results]
    dmarc = [r for r in results if r.method == "dmarc"]
    if any(r.result == "fail" for r in dmarc):
        return False
    if any(_aligned(_property(r, "header", "from"), from_domain) for r in dmarc):
        return True
    return any(
        r.method == "dkim"
        and r.result == "pass"
        and _aligned(_property(r, "header", "d") or _property(r, "header", "i"), from_domain)
        for r in results
    )


# ---------------------------------------------------------------- roles and permissions


def roles_of(book: Rulebook, address: str | None) -> set[str]:
    """The rule file's roles an address holds ([roles], [[people]]), and `staff` for the
    config's staff_addresses."""
    if not address:
        return set()
    key = normalise(address)
    rules = book.rules
    held = {name for name, role in rules.roles.items() if normalise(role.email) == key}
    for person in rules.people:
        if normalise(person.email) == key:
            held |= set(person.roles)
    if key in {normalise(a) for a in book.config.desk.staff_addresses}:
        held.add(STAFF_ROLE)
    return held


def authenticated_roles(book: Rulebook, doc: ParsedDocument) -> set[str]:
    """The roles of a mail's sender, where the mail may speak for them: a mail (not a file —
    files dropped into a shared folder are staff's own), with one sender identity, vouched for
    by the mail server when `[desk] staff_auth_server` names it."""
    if doc.format != "eml":
        return set()
    sender = doc.meta.get("sender")
    held = roles_of(book, sender)
    server = book.config.desk.staff_auth_server
    if held and server is not None and not vouched(doc.meta.get("headers", []), server, sender):
        return set()
    return held


def is_staff(book: Rulebook, doc: ParsedDocument) -> bool:
    return bool(authenticated_roles(book, doc))


def may_send_command(book: Rulebook, roles: set[str], command: str) -> bool:
    allowed = book.rules.permissions.commands
    return any(command in allowed.get(role, []) or "*" in allowed.get(role, []) for role in roles)


def may_send_verdicts(book: Rulebook, doc: ParsedDocument, source: str) -> bool:
    """Inspection verdicts come from the quality department's addresses, or as files staff
    drop into a shared folder."""
    if doc.format != "eml" and source.startswith("folder:"):
        return True
    return bool(authenticated_roles(book, doc) & set(book.rules.permissions.inspection_verdicts))


# ---------------------------------------------------------------- parties of a case


def is_party(session: Session, book: Rulebook, case: Case, doc: ParsedDocument) -> bool:
    """A mail may act on a case it quotes when it comes from a party of the case: its
    customer's address, someone who already wrote in its thread, or staff. A staff address
    counts only as staff (vouched for), never as a mere participant."""
    if doc.format != "eml" or is_staff(book, doc):
        return True  # staff, or a file staff dropped into a shared folder
    sender = doc.meta.get("sender")
    if not sender or roles_of(book, sender):
        return False
    key = normalise(sender)
    if case.sender and normalise(case.sender) == key:
        return True
    writers = session.scalars(
        select(Document.sender).where(Document.case_id == case.id, Document.sender.is_not(None))
    )
    return any(normalise(writer) == key for writer in writers)
