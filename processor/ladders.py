"""Who hears of a case's step: the rule file's ladder for its business line and step kind, with
`owner` and `line_director` made into people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from outputs.i18n import label
from processor.rules.engine import Role
from processor.rules.lifecycle import LINE_DIRECTOR, OWNER, case_facts

if TYPE_CHECKING:
    from processor.desk import Rulebook
    from processor.store.models import Case


def person(book: Rulebook, case: Case, rung: str) -> Role | None:
    """One rung of a ladder as a person with an address."""
    rules = book.rules
    if rung == OWNER:
        return (
            Role(name=case.owner or case.owner_email, email=case.owner_email)
            if case.owner_email
            else None
        )
    if rung == LINE_DIRECTOR:
        rung = rules.escalation.directors.get(
            case.business_line or rules.defaults.business_line, ""
        )
    return rules.roles.get(rung)


def people(book: Rulebook, case: Case, rungs: list[str]) -> list[Role]:
    """The rungs as people, each address once (a sales case's owner is its line's director)."""
    found: list[Role] = []
    for rung in rungs:
        each = person(book, case, rung)
        if each and each.email.lower() not in {known.email.lower() for known in found}:
            found.append(each)
    return found


def ladder(book: Rulebook, case: Case, step: str) -> list[Role]:
    """Who hears of this step overdue, in order (the owner alone when no ladder matches)."""
    chosen = book.rules.escalation.ladder_for(step, case_facts(case))
    return people(book, case, chosen.ladder if chosen else [OWNER])


def name_of(book: Rulebook, who: str | None, language: str) -> str:
    """A person as a staff mail names them: one of the rule file's roles (by its name or
    address) by the catalog's name of that role in `language` (`role.service_manager`), else
    as the rule file or the case writes them."""
    if not who:
        return "—"
    for key, role in book.rules.roles.items():
        if who in (role.name, role.email):
            return label(language, "role", key, role.name)
    return who
