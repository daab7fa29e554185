"""The desk's vocabulary, below every other package: the names of things, and their words in
each language (the message catalogs, vocabulary/catalogs.py).

Each name is a StrEnum: it equals its string (`Kind.COMPLAINT == "complaint"`), so the store,
the `inspect --json` contract, the rule file and the catalogs' ids (`kind.complaint`,
`status.closed`) keep the very strings they had; code names them by these members, so a typo
is an AttributeError, not a branch never taken."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What a document is (parsers: parsers/kinds.toml scores the forms, parsers/mail.py the mails)."""

    COMPLAINT = "complaint"
    RETURN_SHEET = "return_sheet"
    FEEDBACK_FORM = "feedback_form"
    INSPECTION = "inspection"
    CALLBACK = "callback"
    REPLY = "reply"  # a mail about a case we know
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    UNKNOWN = "unknown"


SILENT_KINDS = frozenset({Kind.AUTO_REPLY, Kind.BOUNCE})  # robots' mails: recorded, never answered


class ActionType(StrEnum):
    """A step of a document's plan (processor/actions: one handler each, registry.py)."""

    QUARANTINE = "quarantine"
    NOTIFY_SENDER = "notify_sender"
    RECORD = "record"
    RECORD_BOUNCE = "record_bounce"
    RECORD_ON_CASE = "record_on_case"
    RETURN_ON_CASE = "return_on_case"
    OPEN_CASE = "open_case"
    ACKNOWLEDGE = "acknowledge"
    RETURN_SLIP = "return_slip"
    NOTIFY_OWNER = "notify_owner"
    INFORM = "inform"
    ESCALATE = "escalate"
    LINK_CASE = "link_case"
    APPLY_INSPECTION = "apply_inspection"
    FILE_FOR_STAFF = "file_for_staff"


class DocumentStatus(StrEnum):
    """Where a registered document is (the `documents` table)."""

    RECEIVED = "received"  # registered, still to be processed
    PROCESSED = "processed"  # on a case
    RECORDED = "recorded"  # kept without a case of its own
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"


class OutboxStatus(StrEnum):
    """Where a mail to send is (the `outbox` table)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    BOUNCED = "bounced"
    FAILED = "failed"  # for good


class CaseStatus(StrEnum):
    """A case's way, in order (the rule file's [steps] name them)."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    REPLIED = "replied"
    CALLBACK = "callback"
    CLOSED = "closed"
    REOPENED = "reopened"
