"""Mail addresses: the one sender identity of a mail, and the normal form addresses are
compared in (case, plus-tags and IDN folded), so that `Flood+7@Example.Test` is the same
sender as `flood@example.test` for every cap, permission and loop check."""

from __future__ import annotations

from email.errors import InvalidHeaderDefect
from email.headerregistry import Address, HeaderRegistry
from email.utils import getaddresses

ENCODED_WORD = "=?"
_HEADERS = HeaderRegistry()


def sender_identity(raw_from_values: list[str]) -> str | None:
    """The sender's address, lower-cased, from the raw (undecoded) From header values: RFC 2047
    words stay encoded, so an address hidden in a display name is never taken for the sender.
    More than one From header, more than one address, or none, is no identity (None). Both of
    the standard library's parsers must find the same single address: where they disagree
    (a malformed header), one of them was fooled, and so there is no identity."""
    if len(raw_from_values) != 1:
        return None
    raw = " ".join(str(raw_from_values[0]).split())
    simple = [address for _, address in getaddresses([raw]) if address]
    header = _HEADERS("From", raw)
    strict = [address.addr_spec for address in header.addresses]
    if any(isinstance(defect, InvalidHeaderDefect) for defect in header.defects):
        return None
    if len(simple) != 1 or strict != simple:
        return None
    return valid_address(simple[0])


def valid_address(address: str) -> str | None:
    """`address` lower-cased when it is one plain addr-spec (local@domain), else None."""
    if ENCODED_WORD in address or address.count("@") != 1 or any(ch.isspace() for ch in address):
        return None
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError, TypeError):
        return None
    domain = parsed.domain.strip(".")
    if not parsed.username or not ("." in domain or domain == "localhost"):
        return None
    return address.lower()


def normalise(address: str) -> str:
    """The form addresses are compared in: lower case, without a `+tag` on the local part,
    the domain in IDNA ASCII (`bücher.example` → `xn--bcher-kva.example`)."""
    local, _, domain = address.strip().lower().rpartition("@")
    if not local:
        return address.strip().lower()
    local = local.split("+", 1)[0] or local
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass  # not a name IDNA can encode: compared as written
    return f"{local}@{domain}"


def domain_of(address: str | None) -> str:
    return normalise(address).rpartition("@")[2] if address else ""
