"""Reasons as the store keeps them, worded for each reader by the catalogs: a JSON list of
catalog ids with their values (`[{"code": "quarantine.poison", "tries": "3", "detail": "…"}]`).

A value named `*_label` is itself a catalog id (`return_reason.other`), named in the reader's
language too; a value named `detail` is technical text (an exception, a server's answer) that
helps a person act, shown on a line of its own and never translated. Text stored before reasons
had codes, or a person's own words (`#line 2 accept 特批`), is shown as it was written."""

from __future__ import annotations

import json
from typing import Any

from outputs.i18n import gettext

DETAIL = "detail"


def reason(msgid: str, /, **values: Any) -> tuple[str, dict[str, Any]]:
    return msgid, values


def because(*reasons: tuple[str, dict[str, Any]]) -> str:
    """Reasons as stored: catalog ids with their values, as JSON."""
    return json.dumps(
        [
            {"code": code, **{k: str(v) for k, v in values.items() if v is not None}}
            for code, values in reasons
        ],
        ensure_ascii=False,
    )


def parsed(stored: str | None) -> list[dict[str, str]] | None:
    """The coded reasons of a stored reason; None for plain text (or nothing)."""
    if not stored:
        return None
    try:
        found = json.loads(stored)
    except ValueError:
        return None
    if not isinstance(found, list) or not all(
        isinstance(item, dict) and "code" in item for item in found
    ):
        return None
    return found


def codes(stored: str | None) -> list[str]:
    return [item["code"] for item in parsed(stored) or []]


def reason_text(stored: str | None, language: str) -> str:
    """A stored reason for a reader: coded reasons from the catalog, joined; plain text as kept."""
    found = parsed(stored)
    if found is None:
        return stored or ""
    texts = []
    for item in found:
        values = {
            k: (gettext(language, v) if k.endswith("_label") else v)
            for k, v in item.items()
            if k != "code"
        }
        texts.append(gettext(language, item["code"], **values))
    return gettext(language, "punct.list_sep").join(texts)


def details(stored: str | None) -> list[str]:
    """The technical details kept with coded reasons (an exception's text), for a detail line."""
    return [item[DETAIL] for item in parsed(stored) or [] if item.get(DETAIL)]


def with_detail(stored: str | None, language: str) -> str:
    """The reason, then its technical detail on a line of its own (`技术细节：ValueError: …`)."""
    lines = [reason_text(stored, language)]
    lines += [gettext(language, "reason.detail", detail=detail) for detail in details(stored)]
    return "\n".join(lines)


def added(stored: str | None, *more: tuple[str, dict[str, Any]]) -> str | None:
    """Coded reasons with `more` after them (a quarantine's, then why no notice went out);
    text kept uncoded stays as it was."""
    found = parsed(stored) if stored else []
    if found is None:
        return stored
    kept = [(item["code"], {k: v for k, v in item.items() if k != "code"}) for item in found]
    return because(*kept, *more)
