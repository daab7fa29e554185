"""Staff act on a case by replying to its mails with commands on their own lines:

    #assign 张伟            hand the case to a person or role
    #status investigating   move it on (received … callback, closed)
    #reply <text>           answer the customer (the lines below belong to the reply)
    #category 产品质量类     #level 重大投诉     correct the rules' decision
    #close [why]            close it
    #note <text>            keep a note on the timeline
    #line 2 accept|refuse <reason>   decide a line of a return request (a new slip follows)

Commands run only for staff addresses (the rule file's roles and people, and the config's
staff), vouched for by the mail server when `[desk] staff_auth_server` is set, and only the
commands the rule file's [permissions] give their roles (processor/trust.py); for anyone
else they are ordinary text. Every command is an event; the sender gets one mail back saying
what was done and what was not understood or not permitted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from outputs import compose
from outputs.i18n import LANGUAGES, gettext, label, to_traditional
from parsers.language import to_simplified
from parsers.model import ParsedDocument
from processor import outbox, returns, trust
from processor.cases import STATUSES, case_facts, record
from processor.desk import Desk
from processor.ladders import name_of
from processor.rules.engine import Role, SignalGroup, matches
from processor.store.models import Case
from vocabulary import CaseStatus

COMMAND_LINE = re.compile(r"^\s*#([A-Za-z_]+)\b[ \t:：]*(.*)$")
STATUS_WORDS = {
    "受理": CaseStatus.RECEIVED,
    "已受理": CaseStatus.ACKNOWLEDGED,
    "分派": CaseStatus.ASSIGNED,
    "调查": CaseStatus.INVESTIGATING,
    "调查中": CaseStatus.INVESTIGATING,
    "处理中": CaseStatus.INVESTIGATING,
    "已答复": CaseStatus.REPLIED,
    "已回复": CaseStatus.REPLIED,
    "回访": CaseStatus.CALLBACK,
    "关闭": CaseStatus.CLOSED,
    "结案": CaseStatus.CLOSED,
    "重开": CaseStatus.REOPENED,
}


class CommandError(Exception):
    """A command that cannot be carried out: a catalog id and its values, worded in the desk's
    language in the mail back to the staff member (str(): English, for the log)."""

    def __init__(self, msgid: str, **values: object) -> None:
        super().__init__(msgid)
        self.msgid, self.values = msgid, values

    def text(self, language: str) -> str:
        return gettext(language, self.msgid, **self.values)

    def __str__(self) -> str:
        return self.text("en")


@dataclass
class Command:
    name: str
    argument: str


@dataclass
class StaffAction:
    session: Session
    desk: Desk
    case: Case
    actor: str
    doc: ParsedDocument
    document_id: int
    roles: set[str] = field(default_factory=set)
    done: list[tuple[str, str]] = field(default_factory=list)


def commands_in(text: str) -> list[Command]:
    """Commands on their own lines; the lines after `#reply` or `#note`, up to the next
    command, continue its text."""
    commands: list[Command] = []
    for line in text.splitlines():
        if match := COMMAND_LINE.match(line):
            commands.append(Command(match.group(1).lower(), match.group(2).strip()))
        elif commands and commands[-1].name in ("reply", "note"):
            commands[-1].argument = (commands[-1].argument + "\n" + line).strip("\n")
    for command in commands:
        command.argument = command.argument.strip()
    return commands


def act(
    session: Session, desk: Desk, case: Case, doc: ParsedDocument, *, actor: str, document_id: int
) -> str:
    """Carry out a staff mail's commands on its case and answer the sender; returns a summary."""
    action = StaffAction(
        session, desk, case, actor, doc, document_id, trust.authenticated_roles(desk, doc)
    )
    commands = commands_in(doc.text)
    if not commands:
        record(
            session, desk, case, "staff_note", actor, document_id=document_id, text=doc.text[:2000]
        )
        return "staff note recorded"
    for command in commands:
        handler = HANDLERS.get(command.name)
        try:
            if handler is None:
                raise CommandError(
                    "command.error.unknown", known=", ".join("#" + name for name in HANDLERS)
                )
            if not trust.may_send_command(desk, action.roles, permission_for(command)):
                _event(
                    action,
                    "command_refused",
                    command=command.name,
                    why="not permitted for the sender's roles",
                    roles=sorted(action.roles),
                )
                raise CommandError(
                    "command.error.not_permitted", roles=", ".join(sorted(action.roles)) or "—"
                )
            action.done.append(
                (
                    f"#{command.name} {command.argument}".strip()[:80],
                    handler(action, command.argument),
                )
            )
        except CommandError as exc:
            action.done.append(
                (
                    f"#{command.name} {command.argument}".strip()[:80],
                    say(action, "result.not_done", why=exc.text(language_of(action))),
                )
            )
    send_new_slip(action)
    confirm(action)
    return "; ".join(f"{what}: {result}" for what, result in action.done)


def say(action: StaffAction, msgid: str, **values: object) -> str:
    """A result for the staff member, in the desk's language."""
    return gettext(action.desk.config.desk.default_language, msgid, **values)


def language_of(action: StaffAction) -> str:
    return action.desk.config.desk.default_language


def permission_for(command: Command) -> str:
    """The permission a command needs: its name; `#status closed` closes, so it needs `close`."""
    word = command.argument.split()[0] if command.argument else ""
    if command.name == "status" and STATUS_WORDS.get(word, word.lower()) == CaseStatus.CLOSED:
        return "close"
    return command.name


def confirm(action: StaffAction) -> None:
    case = action.case
    message = compose.staff_note(
        action.desk.sender,
        to=action.actor,
        subject=say(action, "subject.commands", case_no=case.case_no),
        greeting=action.actor,
        intro=say(
            action,
            "commands.intro",
            case_no=case.case_no,
            owner=name_of(action.desk, case.owner, language_of(action)),
            status=label(language_of(action), "status", case.status),
        ),
        rows=action.done,
        case_no=case.case_no,
        purpose="commands",
        in_reply_to=action.doc.meta.get("message_id"),
        language=language_of(action),
    )
    outbox.queue(action.session, message, "command_result", case_id=case.id)


def _event(action: StaffAction, type_: str, **detail) -> None:  # noqa: ANN003
    record(
        action.session,
        action.desk,
        action.case,
        type_,
        action.actor,
        document_id=action.document_id,
        **detail,
    )


def assign(action: StaffAction, argument: str) -> str:
    person = find_person(action.desk, argument)
    if person is None:
        raise CommandError("command.error.nobody", who=argument)
    case = action.case
    case.owner, case.owner_email = person.name, person.email
    status = (
        CaseStatus.ASSIGNED
        if case.status in (CaseStatus.RECEIVED, CaseStatus.ACKNOWLEDGED)
        else None
    )
    _event(action, "assigned", owner=person.name, to=person.email, status=status)
    notice = compose.staff_note(
        action.desk.sender,
        to=person.email,
        subject=say(action, "subject.assigned", case_no=case.case_no),
        greeting=name_of(action.desk, person.name, language_of(action)),
        intro=say(action, "assigned.intro", actor=action.actor, case_no=case.case_no),
        rows=compose.understood(case.fields or {}, language_of(action)),
        case_no=case.case_no,
        purpose="assign",
        closing=say(action, "assigned.closing"),
        language=language_of(action),
    )
    outbox.queue(action.session, notice, "owner_notice", case_id=case.id)
    return say(
        action,
        "result.owner",
        name=name_of(action.desk, person.name, language_of(action)),
        email=person.email,
    )


def find_person(desk: Desk, who: str) -> Role | None:
    """`#assign` by a person's or role's name (in either script, or a role's name in any catalog
    language: 技術經理, Technical Manager), role key or address."""
    rules = desk.rules
    found = rules.find_staff(who) or rules.find_staff(to_simplified(who))
    wanted = to_simplified(who.strip()).lower()
    return found or next(
        (
            role
            for key, role in rules.roles.items()
            if wanted
            in {
                to_simplified(label(language, "role", key, role.name)).lower()
                for language in LANGUAGES
            }
        ),
        None,
    )


def set_status(action: StaffAction, argument: str) -> str:
    word = to_simplified(argument.split()[0]) if argument else ""
    status = STATUS_WORDS.get(word, word.lower())
    if status not in STATUSES:
        raise CommandError(
            "command.error.not_status", word=argument, known=status_words(language_of(action))
        )
    if status == CaseStatus.CLOSED:
        return close(action, argument[len(word) :].strip())
    _event(action, "status", status=status)
    return say(action, "result.status", status=label(language_of(action), "status", status))


def reply(action: StaffAction, text: str) -> str:
    case = action.case
    if not text:
        raise CommandError("command.error.reply_text")
    if not case.sender:
        raise CommandError("command.error.no_address")
    message = compose.customer_mail(
        action.desk.sender,
        "case_reply",
        to=case.sender,
        case_no=case.case_no,
        kind=case.kind,
        language=case.language,
        greeting_name=case.customer_name,
        automatic=False,
        text=text,
    )
    outbox.queue(action.session, message, "case_reply", case_id=case.id)
    _event(
        action,
        "staff_reply",
        status=CaseStatus.REPLIED,
        to=case.sender,
        text=text[:4000],
        message_id=message["Message-ID"],
    )
    return say(action, "result.replied", to=case.sender)


def _pick(action: StaffAction, groups: dict[str, SignalGroup], argument: str, what: str) -> str:
    """A category or level by its id, its rule label or its name in any catalog language."""
    wanted = to_simplified(argument.strip()).lower()
    for name, group in groups.items():
        names = {
            name.lower(),
            to_simplified(group.label).lower(),
            *(
                to_simplified(label(language, what, name, group.label)).lower()
                for language in LANGUAGES
            ),
        }
        if wanted in names:
            return name
    language = language_of(action)
    raise CommandError(
        "command.error.not_a",
        word=argument,
        what=gettext(language, f"attention.fact.{what}"),
        known=gettext(language, "punct.list_sep").join(
            label(language, what, name, g.label) for name, g in groups.items()
        ),
    )


def status_words(language: str) -> str:
    """The words `#status` takes, as a staff member of the desk's language would write them."""
    if language == "en":
        return ", ".join(STATUSES)
    first = {}
    for word, status in STATUS_WORDS.items():
        first.setdefault(status, word)
    words = [first.get(status, status) for status in STATUSES]
    shown = [to_traditional(word, {}) for word in words] if language == "zh-Hant" else words
    return gettext(language, "punct.list_sep").join(shown)


def set_category(action: StaffAction, argument: str) -> str:
    category = _pick(action, action.desk.rules.categories, argument, "category")
    _event(action, "category", **{"from": action.case.category, "to": category})
    action.case.category = category
    return say(
        action,
        "result.category",
        label=label(
            language_of(action), "category", category, action.desk.rules.categories[category].label
        ),
    )


def set_level(action: StaffAction, argument: str) -> str:
    level = _pick(action, action.desk.rules.levels, argument, "level")
    _event(action, "level", **{"from": action.case.level, "to": level})
    action.case.level = level
    return say(
        action,
        "result.level",
        label=label(language_of(action), "level", level, action.desk.rules.levels[level].label),
    ) + escalate_if_routed(action)


def escalate_if_routed(action: StaffAction) -> str:
    """A case made major reaches whom the routing table sends major complaints to, at once."""
    rules, case = action.desk.rules, action.case
    rule = next((r for r in rules.routing if matches(r.when, case_facts(case))), None)
    if rule is None or not rule.escalate:
        return ""
    to = rules.roles[rule.owner]
    message = compose.staff_note(
        action.desk.sender,
        to=to.email,
        subject=say(action, "subject.escalation", case_no=case.case_no),
        greeting=name_of(action.desk, to.name, language_of(action)),
        intro=say(action, "escalation.intro", actor=action.actor, case_no=case.case_no),
        rows=[
            (
                say(action, "escalation.owner"),
                name_of(action.desk, case.owner, language_of(action)),
            ),
            (say(action, "escalation.customer"), case.customer_name or case.sender or "—"),
        ],
        case_no=case.case_no,
        purpose="escalate",
        cc=[case.owner_email] if case.owner_email else None,
        language=language_of(action),
    )
    outbox.queue(action.session, message, "escalation", case_id=case.id)
    _event(action, "escalated", to=to.email, why="made a major complaint")
    return say(action, "result.escalated", name=name_of(action.desk, to.name, language_of(action)))


def close(action: StaffAction, why: str) -> str:
    if action.case.status == CaseStatus.CLOSED:
        raise CommandError("command.error.closed")
    _event(action, "closed", status=CaseStatus.CLOSED, why=why or "closed by staff")
    return say(action, "result.closed")


LINE_WORDS = {
    "accept": "accepted",
    "同意": "accepted",
    "接受": "accepted",
    "refuse": "refused",
    "reject": "refused",
    "不同意": "refused",
    "拒绝": "refused",
}


def line(action: StaffAction, argument: str) -> str:
    """`#line 2 accept 特批` / `#line 3 refuse 超出调换比例`: management decides a return line."""
    parts = argument.split(maxsplit=2)
    if len(parts) < 2 or not parts[0].isdigit() or parts[1].lower() not in LINE_WORDS:
        raise CommandError("command.error.line_usage")
    decision = LINE_WORDS[parts[1].lower()]
    try:
        returns.override(
            action.session,
            action.desk,
            action.case,
            int(parts[0]),
            decision,
            parts[2] if len(parts) > 2 else "",
            action.actor,
        )
    except LookupError as exc:  # (catalog id, values): no request, or no such line
        raise CommandError(exc.args[0], **exc.args[1]) from None
    return say(
        action,
        "result.line",
        number=parts[0],
        decision=returns.decision_label(decision, language_of(action)),
    )


def send_new_slip(action: StaffAction) -> None:
    """Lines decided by these commands go to the dealer on a new slip at once."""
    request = returns.request_of(action.session, action.case)
    if request is None or not any(c.startswith("#line") for c, _ in action.done):
        return
    slip = returns.issue_slip(
        action.session,
        action.desk,
        request,
        to=returns.slip_address(action.session, request, action.case),
        now=action.desk.now(),
    )
    if slip:
        action.done.append(
            (say(action, "result.slip_row"), say(action, "result.slip_sent", slip_no=slip))
        )


def note(action: StaffAction, text: str) -> str:
    if not text:
        raise CommandError("command.error.note_text")
    _event(action, "note", text=text[:4000])
    return say(action, "result.note")


HANDLERS: dict[str, Callable[[StaffAction, str], str]] = {
    "assign": assign,
    "status": set_status,
    "reply": reply,
    "category": set_category,
    "level": set_level,
    "close": close,
    "note": note,
    "line": line,
}
