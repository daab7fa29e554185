"""The rules engine: reads the rule file and decides category, level, business line, owner,
deadlines and what to do for one parsed document. It only answers questions; the pipeline's
actions act on the answers."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from outputs.report_values import HEADLINE  # the KPIs a report shows
from parsers.labels import load_table
from parsers.meaning import Hit, Lexicon, Term, prepare
from parsers.model import ParsedDocument
from parsers.people import without_signature
from processor.config import describe_validation_error
from processor.errors import ConfigError
from processor.return_conditions.table import CONDITIONS
from processor.rules.lifecycle import (
    AutoClose,
    BatchAlert,
    Callback,
    DeadlineRule,
    Escalation,
    Step,
    check_lifecycle,
    deadline_json,
    matches,
)
from processor.rules.wording import WordingModel, load_model, read_fact
from processor.rules.working_days import WorkingCalendar, YearDays

BUILTIN_RULES = Path(__file__).parent.parent / "data" / "rules.toml"
CASE_KINDS = ("complaint", "return_sheet")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Family(_Strict):
    """Signals of one meaning (media, injury, demands, …) with the weight each hit adds;
    `ignore` lists longer terms that contain a signal but mean something else (冰箱报警).
    Weight 0 makes a cue: it counts only inside a combination (修 alone is no repair fault).
    `negatable = false` for context (a product, "after the repair", our staff): a negator
    before it negates what follows ("still not cold after the repair" is still after one)."""

    weight: float = Field(default=1.0, ge=0)
    signals: list[str] = []
    ignore: list[str] = []
    negatable: bool = True


class Combination(_Strict):
    """Evidence that needs its parts together: one signal (not negated) of each family in
    `all`, all of them within `within` characters — 修了两次 near 又漏 is a repair that failed,
    either alone is not. A family is named by its key in this group (`work`) or in full
    (`category.product_quality/faults`). A combination counts once, with its weight."""

    all: list[str] = Field(min_length=1)
    weight: float = Field(default=2.0, gt=0)
    within: int = Field(default=60, gt=0)
    same_sentence: bool = (
        False  # all parts in one sentence (批号 B261058，共22桶。 names a lot; 这批…不良 blames it)
    )


class SignalGroup(_Strict):
    """A category, level or business line: the evidence for it is the weighted sum of its
    signals found (not negated); `threshold` is how much evidence it takes."""

    label: str
    signals: list[str] = []  # each weighs 1
    requests: list[str] = []
    families: dict[str, Family] = {}
    combinations: dict[str, Combination] = {}
    threshold: float = Field(default=1.0, gt=0)

    def terms(self, group: str) -> list[Term]:
        found = [Term(signal, f"{group}/signals", 1.0) for signal in self.signals]
        for name, family in self.families.items():
            found += [
                Term(signal, f"{group}/{name}", family.weight, negatable=family.negatable)
                for signal in family.signals
            ]
            found += [Term(word, f"{group}/{name}", ignore=True) for word in family.ignore]
        return found


class Defaults(_Strict):
    category: str
    level: str
    business_line: str


class Routing(_Strict):
    name: str
    when: dict[str, str] = {}
    owner: str
    inform: list[str] = []
    escalate: bool = False


class Role(_Strict):
    name: str
    email: str


class ReturnReason(_Strict):
    accept_when: list[str] = []  # names of processor/return_conditions/table.py
    report_within_days: int = 7
    hold: bool = False
    await_: Literal["inspection"] | None = Field(default=None, alias="await")

    @field_validator("accept_when")
    @classmethod
    def known_conditions(cls, names: list[str]) -> list[str]:
        if unknown := [name for name in names if name not in CONDITIONS]:
            raise ValueError(
                f"unknown condition {', '.join(unknown)}; known: {', '.join(CONDITIONS)}"
            )
        return names


class ReturnsPolicy(_Strict):
    ratio_period: Literal["month", "quarter", "year"] = "month"
    default_ratio_limit: float = 0.05
    default_window_days: int = 90
    amount_tolerance: float = 0.01
    slip_number_format: str = "TH-{yy}{mm}-{seq:04d}"
    reasons: dict[str, ReturnReason] = {"other": ReturnReason(hold=True)}
    verdicts: dict[str, Literal["accepted", "refused"]] = {
        "quality": "accepted",
        "non_quality": "refused",
    }


class Person(_Strict):
    name: str
    email: str
    roles: list[str] = []


# the commands staff may send by mail (processor/staff.py's HANDLERS carry them out; a test
# keeps the two the same): named here so that checking a rule file does not import the store
STAFF_COMMANDS = ("assign", "status", "reply", "category", "level", "close", "note", "line")


class Permissions(_Strict):
    """Who may do what by mail. `commands`: role key → the staff commands its holders may send
    (`*`: all; the role `staff` is the config's [desk] staff_addresses). `inspection_verdicts`:
    the roles whose addresses may send inspection verdicts. `return_sheets`: who may send a
    dealer's return sheet by mail — `dealer` (the dealer's own addresses in the master data),
    `staff`. Anything else from anyone else is recorded for staff, never acted on."""

    commands: dict[str, list[str]] = {}
    inspection_verdicts: list[str] = []
    return_sheets: list[Literal["dealer", "staff"]] = ["dealer"]


class CalendarYear(_Strict):
    holidays: list[date] = []
    workdays: list[date] = []


class Wording(_Strict):
    """The second reader (processor/rules/wording.py): a model of the labelled corpus' wording
    beside the lexicon. `trust`: the bonus the lexicon's answer gets against the model's
    probabilities, per fact (a fact not listed is the lexicon's alone; 1 or more: the model only
    settles what the lexicon was unsure of). `model`: a model file, relative to the rule file
    (default: the built-in one); `enabled = false` leaves judging to the lexicon."""

    enabled: bool = True
    model: str | None = None
    trust: dict[Literal["category", "level", "business_line"], float] = {}
    # families (`level.major/injury`) whose un-negated trigger of weight 2 the model cannot read
    # away: seed 004 §四.3 puts personal safety first, and for major complaints recall comes first
    binding: list[str] = []


class RuleSet(_Strict):
    categories: dict[str, SignalGroup]
    levels: dict[str, SignalGroup]
    business_lines: dict[str, SignalGroup]
    defaults: Defaults
    routing: list[Routing]
    roles: dict[str, Role]
    deadlines: list[DeadlineRule] = []
    steps: dict[str, Step] = {}
    escalation: Escalation = Escalation()
    callback: Callback = Callback()
    auto_close: list[AutoClose] = []
    batch_alert: BatchAlert | None = None
    people: list[Person] = []
    returns: ReturnsPolicy = ReturnsPolicy()
    calendar: dict[int, CalendarYear] = {}
    required: dict[str, list[str]] = {}
    permissions: Permissions = Permissions()
    targets: dict[str, float] = {}  # KPI name (processor/reports.py) → the target the reports show
    wording: Wording = Wording()
    _lexicon: Lexicon | None = PrivateAttr(default=None)
    _folder: Path | None = PrivateAttr(
        default=None
    )  # the rule file's, for a model file named in it

    @field_validator("targets")
    @classmethod
    def _known_kpis(cls, targets: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(targets) - set(HEADLINE))
        if unknown:
            raise ValueError(f"unknown KPI {', '.join(unknown)}: use one of {', '.join(HEADLINE)}")
        return targets

    def wording_model(self) -> WordingModel | None:
        if not self.wording.enabled:
            return None
        if self.wording.model is None or self._folder is None:
            return load_model()
        return load_model((self._folder / self.wording.model).resolve())

    def lexicon(self) -> Lexicon:
        """Every signal of the rule file in one matcher, built on first use and kept."""
        if self._lexicon is None:
            terms = [
                term
                for fact, groups in self.signal_groups().items()
                for name, group in groups.items()
                for term in group.terms(f"{fact}.{name}")
            ]
            self._lexicon = Lexicon(terms)
        return self._lexicon

    def combinations(self) -> dict[str, dict[str, Combination]]:
        return {
            f"{fact}.{name}": group.combinations
            for fact, groups in self.signal_groups().items()
            for name, group in groups.items()
            if group.combinations
        }

    def signal_groups(self) -> dict[str, dict[str, SignalGroup]]:
        return {
            "category": self.categories,
            "level": self.levels,
            "business_line": self.business_lines,
        }

    def labels(self) -> dict[str, dict[str, str]]:
        """The rule file's own names of its categories, levels and lines: what a mail shows for a
        value the catalogs do not name (a desk's own category)."""
        return {
            fact: {key: group.label for key, group in groups.items()}
            for fact, groups in self.signal_groups().items()
        }

    def staff_emails(self) -> set[str]:
        return {role.email.lower() for role in self.roles.values()} | {
            p.email.lower() for p in self.people
        }

    def find_staff(self, who: str) -> Role | None:
        """A person or role by name, role key or address (`#assign 张伟`)."""
        key = who.strip().lower()
        for person in self.people:
            if key in (person.name.lower(), person.email.lower()):
                return Role(name=person.name, email=person.email)
        for name, role in self.roles.items():
            if key in (name.lower(), role.name.lower(), role.email.lower()):
                return role
        return None

    def check_references(self) -> None:
        """Every name a rule uses must be defined: a typo is an error, not a silent miss."""
        known = {
            "category": self.categories,
            "level": self.levels,
            "business_line": self.business_lines,
        }
        for fact, value in self.defaults.model_dump().items():
            if value not in known[fact]:
                raise ValueError(f"defaults.{fact}: `{value}` is not defined")
        for index, rule in enumerate(self.routing):
            for role in [rule.owner, *rule.inform]:
                if role not in self.roles:
                    raise ValueError(
                        f"routing.{index} ({rule.name}): role `{role}` is not in [roles]"
                    )
            for fact, value in rule.when.items():
                if fact in known and value not in known[fact]:
                    raise ValueError(
                        f"routing.{index} ({rule.name}): {fact} `{value}` is not defined"
                    )
        if not self.routing or self.routing[-1].when:
            raise ValueError(
                "routing: the last rule must have an empty `when` so every case has an owner"
            )
        for person in self.people:
            for role in person.roles:
                if role not in self.roles:
                    raise ValueError(f"people ({person.name}): role `{role}` is not in [roles]")
        self.check_combinations()
        check_lifecycle(self)
        self.check_permissions()
        if "major" not in self.levels:
            raise ValueError("levels: a `major` level is required (major complaints are escalated)")

    def check_combinations(self) -> None:
        """Every family a combination or `[wording] binding` names must exist: a typo would
        silently never fire."""
        families = {
            f"{fact}.{name}/{family}"
            for fact, groups in self.signal_groups().items()
            for name, group in groups.items()
            for family in group.families
        }
        for fact, groups in self.signal_groups().items():
            for name, group in groups.items():
                for key, combination in group.combinations.items():
                    for part in combination.all:
                        if family_key(f"{fact}.{name}", part) not in families:
                            raise ValueError(
                                f"{fact}.{name}.combinations.{key}: family `{part}` is not defined"
                            )
        for family in self.wording.binding:
            if family not in families:
                raise ValueError(
                    f"wording.binding: family `{family}` is not defined (write it as `level.major/injury`)"
                )

    def check_permissions(self) -> None:
        roles = {*self.roles, "staff"}
        for role, commands in self.permissions.commands.items():
            if role not in roles:
                raise ValueError(
                    f"permissions.commands: role `{role}` is not in [roles] (nor `staff`)"
                )
            for command in commands:
                if command != "*" and command not in STAFF_COMMANDS:
                    raise ValueError(
                        f"permissions.commands.{role}: `{command}` is not a command; "
                        f"use * or {', '.join(STAFF_COMMANDS)}"
                    )
        for role in self.permissions.inspection_verdicts:
            if role not in roles:
                raise ValueError(
                    f"permissions.inspection_verdicts: role `{role}` is not in [roles]"
                )


@dataclass
class Deadline:
    step: str
    due: datetime
    why: str
    provisional: bool = False  # counted on a year whose holiday schedule is not published
    outside: str | None = None  # why it falls outside the working calendar ("a holiday")
    after: str | None = None  # the earlier step it was moved to (it never falls due before it)

    @classmethod
    def from_json(cls, shown: dict[str, Any]) -> Deadline:
        return cls(
            shown["step"],
            datetime.fromisoformat(shown["due"]),
            shown["why"],
            bool(shown.get("provisional")),
            shown.get("outside"),
            shown.get("after"),
        )

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "step": self.step,
            "due": self.due.isoformat(timespec="minutes"),
            "why": self.why,
        }
        for name in ("provisional", "outside", "after"):
            if getattr(self, name):
                shown[name] = getattr(self, name)
        return shown


@dataclass
class Decision:
    category: str | None = None
    level: str | None = None
    business_line: str | None = None
    owner: str | None = None
    owner_role: str | None = None
    owner_email: str | None = None
    inform: list[Role] = field(default_factory=list)
    escalate: bool = False
    escalate_to: Role | None = None
    deadlines: list[Deadline] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    fired: list[dict[str, str]] = field(default_factory=list)
    uncertain: list[str] = field(
        default_factory=list
    )  # facts staff should confirm (#level, #category)

    def explain_uncertain(self) -> str:
        """The fired rules behind the uncertain facts, for the owner's notice."""
        facts = set(self.uncertain)
        return "; ".join(
            f"{f['rule']}: {f['why']}" for f in self.fired if f["rule"].split(" ")[0] in facts
        )

    def deadline(self, step: str) -> Deadline | None:
        return next((d for d in self.deadlines if d.step == step), None)


def load_rules(path: Path | None = None) -> RuleSet:
    path = path or BUILTIN_RULES
    return _load_rules(path.resolve(), path.stat().st_mtime)


@lru_cache(maxsize=8)
def _load_rules(path: Path, _mtime: float) -> RuleSet:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the rule file: {exc}") from None
    try:
        rules = RuleSet.model_validate(data)
        rules._folder = path.parent
        rules.check_references()
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation_error(exc)}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return rules


def working_calendar(rules: RuleSet, opens: time, closes: time) -> WorkingCalendar:
    extra = {
        year: YearDays(frozenset(days.holidays), frozenset(days.workdays))
        for year, days in rules.calendar.items()
    }
    return WorkingCalendar(opens=opens, closes=closes, extra_years=extra)


def decide(
    doc: ParsedDocument, rules: RuleSet, calendar: WorkingCalendar, received: datetime
) -> Decision:
    """What the rules say about one document received at `received` (an aware datetime)."""
    decision = Decision()
    facts: dict[str, Any] = {"kind": doc.kind}
    if doc.kind == "complaint":
        prepared = prepare(document_text(doc))
        hits = rules.lexicon().find(prepared)
        # what happened decides the category (the subject saying what it is about) and the line;
        # a threat's condition counts for the level, another's hypothetical for nothing
        happened = Evidence([hit for hit in hits if not hit.hypothetical], rules.combinations())
        about = dataclasses.replace(happened, topic_end=max(prepared.find("\n"), 0))
        evidence = Evidence([hit for hit in hits if not hit.counterfactual], rules.combinations())
        decision.category = _strongest(
            rules.categories, "category", rules.defaults.category, about, decision
        )
        decision.level = _level(rules, doc, evidence, decision)
        decision.business_line = _strongest(
            rules.business_lines, "business_line", rules.defaults.business_line, happened, decision
        )
        _second_reading(
            rules,
            lambda: prepare(document_text(doc, signature=True)),
            {"category": about, "level": evidence, "business_line": happened},
            decision,
        )
        facts |= {
            "category": decision.category,
            "level": decision.level,
            "business_line": decision.business_line,
        }
    decision.missing = [
        name for name in rules.required.get(doc.kind, []) if doc.value(name) is None
    ]
    if doc.kind in CASE_KINDS:
        _route(rules, facts, decision)
        decision.deadlines = _deadlines(rules, facts, calendar, received, decision)
    return decision


STRONG = 4  # evidence four times a group's threshold: the lexicon is as sure as it gets


def _second_reading(
    rules: RuleSet,
    wording: Callable[[], str],
    evidence_for: dict[str, Evidence],
    decision: Decision,
) -> None:
    """The wording model's reading beside the lexicon's, fact by fact (wording.py says why):
    the lexicon's answer weighs `trust` for each time its evidence reaches its group's threshold
    (at most STRONG times; an answer without a group, the default level, once), more where the
    text is too short for the model to read much; an answer the lexicon was unsure of weighs
    only that much more. Where the two disagree, staff are asked to
    confirm. Each fact's strength is read on the evidence it was decided on (`evidence_for`:
    the category's with its subject, the level's with its threats); a `binding` family's
    trigger (bodily harm beyond doubt: `level.major/harm`) settles it."""
    model = rules.wording_model()
    if model is None:
        return
    # the text as the model reads it, worked out only when there is a model
    weights = model.weights(wording())
    groups = rules.signal_groups()
    for fact, trust in rules.wording.trust.items():
        evidence = evidence_for[fact]
        lexicon = getattr(decision, fact)
        if evidence.triggered(
            [family for family in rules.wording.binding if family.startswith(f"{fact}.{lexicon}/")]
        ):
            decision.fired.append(
                {
                    "rule": f"{fact} = {lexicon}",
                    "why": "a binding trigger: the wording model is not asked",
                }
            )
            continue
        group = groups[fact].get(lexicon)
        strength = (
            evidence.score(f"{fact}.{lexicon}") / group.threshold
            if group and group.threshold
            else 1.0
        )
        confidence = model.confidence(weights)
        if (
            fact in decision.uncertain
        ):  # the lexicon unsure: its answer stands only where the model read little
            bonus = trust * (1 / confidence - 1)
        else:
            bonus = trust * min(max(strength, 1.0), STRONG) / confidence
        reading = read_fact(model, fact, weights, lexicon, bonus)
        setattr(decision, fact, reading.value)
        decision.fired.append({"rule": f"{fact} = {reading.value}", "why": reading.explain()})
        if not reading.agree and fact not in decision.uncertain:
            decision.uncertain.append(fact)


def document_text(doc: ParsedDocument, signature: bool = False) -> str:
    """What the signals are matched on: title, body and the free-text fields; a form's labels
    and the writer's signature block left out (a 购车日期 row, or 律师 under a name, says
    nothing about what the complaint is about). The wording model reads the signature too
    (`signature=True`): who writes (a company's quality department) is part of how a mail reads."""
    body = doc.text if signature else without_signature(doc.text)
    parts = [
        doc.title,
        without_labels(body),
        str(doc.value("description") or ""),
        str(doc.value("customer_opinion") or ""),
    ]
    return "\n".join(parts)


LEADING_LABEL = re.compile(r"^\s*(?P<label>[^\s:：]{1,16})\s*(?:[:：]|\s|$)")


def without_labels(text: str) -> str:
    """Each line without the known label it starts with (`购车日期 2026/9/22`, `购车日期：…`)."""
    table = load_table()
    kept = []
    for line in text.splitlines():
        match = LEADING_LABEL.match(line)
        kept.append(line[match.end() :] if match and table.field_for(match["label"]) else line)
    return "\n".join(kept)


FAMILY_CAP = 2
# The subject says what a mail is about (电视屏幕一条条的 over a runaround told in the body):
# a category or line with a signal in it gains this much. Levels do not: 投诉 in a subject is
# no claim.
TOPIC_BONUS = 1.5
TOPIC_WEIGHT = (
    0.75  # a fault (0.75) tells the topic; a product or a delivery named (≤ 0.5) does not
)


def family_key(group: str, part: str) -> str:
    """A combination's part as the hits name it: `work` in `category.repair_quality` is
    `category.repair_quality/work`; a full `category.product_quality/faults` stays."""
    return part if "/" in part else f"{group}/{part}"


@dataclass
class Evidence:
    """The signals found in one document, each counted once per group it speaks for."""

    hits: list[Hit]

    def _of(self, group: str, negated: bool) -> dict[tuple[str, str], Hit]:
        """The group's distinct signals (a signal found twice counts once per family)."""
        prefix = group + "/"
        return {
            (h.written, h.group): h
            for h in self.hits
            if h.group.startswith(prefix) and h.negated == negated
        }

    combinations: dict[str, dict[str, Combination]] = field(
        default_factory=dict
    )  # group → its combinations
    topic_end: int = 0  # where the subject line ends: what a mail is about is said there first
    # asked for many times per document (score, uncertainty, explanation): worked out once
    _families: dict[str, list[Hit]] = field(default_factory=dict, init=False, repr=False)
    _combined: dict[str, dict[str, list[Hit]]] = field(default_factory=dict, init=False, repr=False)
    _scores: dict[str, float] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for hit in self.hits:
            if not hit.negated:
                self._families.setdefault(hit.group, []).append(hit)

    def triggered(self, families: list[str]) -> bool:
        """Whether a trigger of one of these families was found, not negated: a signal of weight 2
        or more (a weak one, 差点 or 烫手, needs company)."""
        return any(
            hit.group in families and hit.weight >= 2 and not hit.negated for hit in self.hits
        )

    def score(self, group: str) -> float:
        """The weights of the distinct signals found, each family counting at most its
        FAMILY_CAP strongest (ten fault words do not outweigh one "after the repair"), plus
        the weight of each combination found, plus TOPIC_BONUS when the subject speaks for it."""
        if group not in self._scores:
            self._scores[group] = self._score(group)
        return self._scores[group]

    def _score(self, group: str) -> float:
        per_family: dict[str, list[float]] = {}
        for hit in self._of(group, negated=False).values():
            per_family.setdefault(hit.group, []).append(hit.weight)
        signals = sum(
            sum(sorted(weights, reverse=True)[:FAMILY_CAP]) for weights in per_family.values()
        )
        combined = sum(self.combinations[group][name].weight for name in self.combined(group))
        return (
            signals
            + combined
            + (TOPIC_BONUS if signals + combined and self.in_topic(group) else 0.0)
        )

    def in_topic(self, group: str) -> bool:
        """Whether the subject line holds a signal of the group (保固內還收檢測費？) or a part of one
        of its combinations (空调加了两次氟还是不凉). Naming a product or a delivery (weight below TOPIC_WEIGHT)
        is no topic: 热水器 in a subject says what, not which kind of complaint."""
        prefix = group + "/"
        if any(
            h.start < self.topic_end
            and h.weight >= TOPIC_WEIGHT
            and not h.negated
            and h.group.startswith(prefix)
            for h in self.hits
        ):
            return True
        for combination in self.combinations.get(group, {}).values():
            parts = [
                [
                    h
                    for h in self._families.get(family_key(group, part), [])
                    if h.start < self.topic_end
                ]
                for part in combination.all
            ]
            if all(parts) and _together(parts, combination.within, combination.same_sentence):
                return True
        return False

    def combined(self, group: str) -> dict[str, list[Hit]]:
        """The group's combinations found, each with the hits that make it."""
        if group not in self._combined:
            found = {}
            for name, combination in self.combinations.get(group, {}).items():
                parts = [
                    self._families.get(family_key(group, part), []) for part in combination.all
                ]
                if all(parts) and (
                    together := _together(parts, combination.within, combination.same_sentence)
                ):
                    found[name] = together
            self._combined[group] = found
        return self._combined[group]

    def found(self, group: str) -> list[str]:
        signals = [
            f"{hit.written} ({hit.group.split('/')[1]})"
            for hit in self._of(group, negated=False).values()
            if hit.weight
        ]
        return signals + [
            f"{' + '.join(hit.written for hit in hits)} ({name})"
            for name, hits in self.combined(group).items()
        ]

    def negated(self, group: str) -> list[str]:
        return list(dict.fromkeys(written for written, _ in self._of(group, negated=True)))

    def explain(self, group: str) -> str:
        found, negated = self.found(group), self.negated(group)
        parts = [f"signals: {', '.join(found)}" if found else "no signals"]
        if negated:
            parts.append(f"negated: {', '.join(negated)}")
        return f"{parts[0]} (score {self.score(group):g})" + "".join(
            f"; {part}" for part in parts[1:]
        )


def _together(parts: list[list[Hit]], within: int, same_sentence: bool = False) -> list[Hit] | None:
    """One hit of each part, all within `within` characters of each other (the closest set),
    and in the anchor's sentence when `same_sentence`."""
    best: list[Hit] | None = None
    for anchor in parts[0]:
        chosen = [anchor]
        for candidates in parts[1:]:
            near = [
                h
                for h in candidates
                if abs(h.start - anchor.start) <= within
                and (not same_sentence or h.sentence == anchor.sentence)
            ]
            if not near:
                break
            chosen.append(min(near, key=lambda h: abs(h.start - anchor.start)))
        else:
            if _span(chosen) <= within and (best is None or _span(chosen) < _span(best)):
                best = chosen
    return best


def _span(hits: list[Hit]) -> int:
    """How far apart the hits start."""
    return max(h.start for h in hits) - min(h.start for h in hits)


def _strongest(
    groups: dict[str, SignalGroup], fact: str, default: str, evidence: Evidence, decision: Decision
) -> str:
    """The group with the most evidence (ties: the earlier one); the default without any."""
    scores = {name: evidence.score(f"{fact}.{name}") for name in groups}
    qualified = {name: score for name, score in scores.items() if score >= groups[name].threshold}
    if not qualified:
        decision.fired.append({"rule": f"{fact} = {default}", "why": "no signals: the default"})
        if fact == "category":
            decision.uncertain.append(fact)
        return default
    best = max(qualified, key=qualified.__getitem__)
    if default in qualified and qualified[default] == qualified[best]:
        best = default  # a tie with the default: the default
    runner_up = max((score for name, score in qualified.items() if name != best), default=0.0)
    decision.fired.append({"rule": f"{fact} = {best}", "why": evidence.explain(f"{fact}.{best}")})
    if runner_up and runner_up >= scores[best]:
        decision.uncertain.append(fact)
        decision.fired.append(
            {"rule": f"{fact} uncertain", "why": f"as much evidence for another: {scores}"}
        )
    return best


def _level(rules: RuleSet, doc: ParsedDocument, evidence: Evidence, decision: Decision) -> str:
    """Levels in the rule file's order (major first): the first with enough evidence, or a
    stated request it lists. Weak or negated evidence for a higher level makes it uncertain."""
    request = doc.value("request")
    for name, group in rules.levels.items():
        if name == rules.defaults.level:
            continue
        key = f"level.{name}"
        score = evidence.score(key)
        if score >= group.threshold or (request in group.requests and request is not None):
            why = evidence.explain(key) + (
                f"; request {request}" if request in group.requests else ""
            )
            decision.fired.append({"rule": f"level = {name}", "why": why})
            return name
        if score or evidence.negated(key):
            decision.uncertain.append("level")
            decision.fired.append(
                {
                    "rule": f"level {name}? uncertain",
                    "why": evidence.explain(key) + f", below its threshold {group.threshold:g}",
                }
            )
    decision.fired.append(
        {"rule": f"level = {rules.defaults.level}", "why": "no claim and no major trigger"}
    )
    return rules.defaults.level


def _route(rules: RuleSet, facts: dict[str, Any], decision: Decision) -> None:
    for rule in rules.routing:
        if matches(rule.when, facts):
            owner = rules.roles[rule.owner]
            decision.owner, decision.owner_role, decision.owner_email = (
                owner.name,
                rule.owner,
                owner.email,
            )
            decision.inform = [rules.roles[role] for role in rule.inform]
            decision.escalate = rule.escalate
            decision.escalate_to = owner if rule.escalate else None
            decision.fired.append({"rule": f"routing: {rule.name}", "why": f"owner {owner.name}"})
            return


def _deadlines(
    rules: RuleSet,
    facts: dict[str, Any],
    calendar: WorkingCalendar,
    received: datetime,
    decision: Decision,
) -> list[Deadline]:
    """The steps that start at receipt, the first matching rule per step, each counted after
    the steps it must follow."""
    chosen: dict[str, DeadlineRule] = {}
    for rule in rules.deadlines:
        if rule.on is None and rule.step not in chosen and matches(rule.when, facts):
            chosen[rule.step] = rule
    counted: list[dict[str, Any]] = []
    for rule in sorted(chosen.values(), key=lambda rule: _depth(rules, rule.step)):
        counted.append(deadline_json(calendar, received, rule, counted, rules.steps))
        decision.fired.append({"rule": f"deadline {rule.step}: {rule.within}", "why": rule.why})
    return sorted(
        (Deadline.from_json(shown) for shown in counted), key=lambda deadline: deadline.due
    )


def _depth(rules: RuleSet, step: str) -> int:
    """How many steps must come before this one (the rule file has no cycles: checked)."""
    before = rules.steps[step].after if step in rules.steps else []
    return 1 + max((_depth(rules, name) for name in before), default=-1)
