"""The desk: configuration, store, rules and calendar, opened once and passed to every job."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from outputs.compose import Sender
from parsers import ParsedDocument, isolated, parse_document
from parsers.limits import ParseLimits
from processor.config import Config, clock
from processor.rules.engine import RuleSet, load_rules, working_calendar
from processor.rules.working_days import WorkingCalendar

if TYPE_CHECKING:
    from processor.store import (
        Store,  # the store (SQLAlchemy) is imported when a desk opens: `inspect` has none
    )


@dataclass
class Rulebook:
    """What parse + rules need, without any store: `inspect` runs on this alone."""

    config: Config
    rules: RuleSet
    calendar: WorkingCalendar
    timezone: ZoneInfo
    limits: ParseLimits
    sender: Sender
    separate_processes: bool = False  # parse in the pool of parsers.isolated (the worker), or here

    def parse(self, data: bytes, filename: str) -> ParsedDocument:
        if self.separate_processes:
            return isolated.parse(data, filename, self.limits)
        return parse_document(data, filename, self.limits)

    @classmethod
    def from_config(cls, config: Config) -> Rulebook:
        rules = load_rules(config.path(config.rules.file) if config.rules.file else None)
        calendar = working_calendar(rules, clock(config.office.opens), clock(config.office.closes))
        limits = ParseLimits(
            **config.limits.model_dump(exclude={"separate_processes"}),
            case_number_format=config.desk.case_number_format,
        )
        address = (config.smtp.from_address if config.smtp else None) or config.desk.address
        return cls(
            config,
            rules,
            calendar,
            ZoneInfo(config.desk.timezone),
            limits,
            Sender(config.desk.name, address),
        )

    def now(self) -> datetime:
        return datetime.now(self.timezone).replace(second=0, microsecond=0)

    def own_addresses(self) -> set[str]:
        """Our own addresses: never answered (a mail from ourselves is a loop)."""
        config = self.config
        found = {
            config.desk.address,
            self.sender.address,
            *(mailbox.username for mailbox in config.imap),
        }
        return {address.lower() for address in found if address and "@" in address}

    def attention_addresses(self) -> list[str]:
        """Who is told of what needs a person (items filed for staff, the digest's "needs
        attention"): the desk's operator, else its staff addresses."""
        return list(self.config.desk.operator or self.config.desk.staff_addresses)

    def staff_addresses(self) -> set[str]:
        return self.rules.staff_emails() | {
            address.lower() for address in self.config.desk.staff_addresses
        }


@dataclass
class Desk(Rulebook):
    store: Store | None = None
    cache: dict[str, object] = field(
        default_factory=dict
    )  # what a process reads once (master data)

    @classmethod
    def open(cls, config: Config) -> Desk:
        book = Rulebook.from_config(config)
        from processor.store import open_store

        desk = cls(**{**book.__dict__, "separate_processes": config.limits.separate_processes})
        desk.store = open_store(config.database_url)
        return desk

    def close(self) -> None:
        if self.store:
            self.store.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
