"""The one validated configuration model, loaded once and passed down.

Relative paths in a config file are relative to the folder that holds it. Secrets never live
in the file: a config names the environment variable (`password_env`) that holds them.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import fields
from datetime import time
from pathlib import Path
from typing import Annotated, Literal, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from parsers.limits import ParseLimits
from processor.errors import ConfigError

CONFIG_ENV = "AFTERSALES_CONFIG"
DEFAULT_CONFIG_NAME = "aftersales.toml"


class Section(BaseModel):
    """Every section refuses keys it does not know: a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Desk(Section):
    name: str = "售后服务中心"
    address: str = "complaints@desk.localhost"
    staff_addresses: list[str] = []
    # Staff commands by mail trust the From address; with a mail server that checks senders
    # (SPF/DKIM/DMARC) set this to the server's authserv-id, and commands run only from mail
    # whose Authentication-Results from that server say pass.
    staff_auth_server: str | None = None
    max_acks_per_sender_per_hour: Annotated[int, Field(ge=1)] = 5  # loop and flood safety
    # who runs the desk: one mail per new problem (poison item, SMTP login refused, a mailbox out
    # of reach, quarantine growing) and a daily summary while problems last
    operator: list[str] = []
    timezone: str = "Asia/Shanghai"
    case_number_format: str = "CS-{yy}{mm}-{seq:04d}"
    default_language: Literal["zh-Hans", "zh-Hant", "en"] = "zh-Hans"

    @field_validator("operator", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as Asia/Shanghai"
            ) from None
        return value

    @field_validator("case_number_format")
    @classmethod
    def _format_has_sequence(cls, value: str) -> str:
        if "{seq" not in value:
            raise ValueError(
                "must contain {seq} (the monthly sequence), e.g. CS-{yy}{mm}-{seq:04d}"
            )
        value.format(yy="26", yyyy="2026", mm="11", seq=1)  # raises on a malformed pattern
        return value


class Store(Section):
    url: str = "sqlite:///aftersales.db"
    archive_dir: Path = Path("archive")
    # originals also kept in a PostgreSQL store, for hosts that do not share archive_dir's disk;
    # false when archive_dir is a share every host mounts (the store stays smaller)
    originals_in_store: bool = True


class Outbox(Section):
    dir: Path = Path("outbox")


class SharedFolder(Section):
    name: str
    path: Path
    processed: Path | None = None
    quarantine: Path | None = None
    channel: str | None = (
        None  # what its items are, for the rules and reports ("dn": DN work orders)
    )


class Maildir(Section):
    name: str
    path: Path


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or the name `localhost`: traffic that never leaves this machine."""
    if host.strip().lower().rstrip(".") in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Server(Section):
    """A mail server the desk logs in to. Without TLS the password and every mail cross the
    network in clear text, so `security = "none"` is only for a server on this machine."""

    host: str
    security: Literal["none", "starttls", "tls"] = "tls"

    @model_validator(mode="after")
    def _clear_text_only_on_loopback(self) -> Server:
        if self.security == "none" and not is_loopback(self.host):
            raise ValueError(
                f'security = "none" sends the password in clear text: allowed only for a loopback '
                f'host (localhost, 127.0.0.1, ::1), not {self.host}; use "tls" or "starttls"'
            )
        return self


class Imap(Server):
    name: str
    port: int = 993
    username: str
    password_env: str | None = None
    oauth2_token_cmd: str | None = None  # prints an access token (XOAUTH2: Microsoft 365, Gmail)
    oauth2_token_env: str | None = None  # or the environment variable holding one
    folder: str = "INBOX"
    processed_folder: str | None = "Processed"
    quarantine_folder: str | None = "Quarantine"
    idle: bool = False
    ca_file: Path | None = None  # a private CA or self-signed server certificate to trust
    batch_size: Annotated[int, Field(ge=1, le=1000)] = 50
    timeout_seconds: Annotated[float, Field(gt=0)] = 60.0


class Smtp(Server):
    port: int = 465
    username: str | None = None
    password_env: str | None = None
    oauth2_token_cmd: str | None = None
    oauth2_token_env: str | None = None
    from_address: str | None = None
    ca_file: Path | None = None
    timeout_seconds: Annotated[float, Field(gt=0)] = 60.0
    retry_seconds: Annotated[float, Field(gt=0)] = (
        60.0  # first retry; doubles each time, at most an hour
    )
    max_attempts: Annotated[int, Field(ge=1)] = 10
    # how long mails claimed for sending stay with the worker that claimed them: after a crash
    # they go out once it runs out; a batch of 100 must be sent well within it
    lease_seconds: Annotated[float, Field(gt=0)] = 600.0


def _clock_time(value: str) -> str:
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ValueError("must be a time of day as HH:MM")
    return value


ClockTime = Annotated[str, AfterValidator(_clock_time)]


def clock(value: str) -> time:
    """`"08:30"` → time(8, 30) (values already checked by ClockTime)."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class Worker(Section):
    poll_seconds: Annotated[int, Field(ge=1)] = 60
    digest_at: ClockTime = "08:30"  # each owner's daily list of what is due, on working days
    # distributed workers: a worker silent this long is taken for dead and its jobs are run again
    stalled_seconds: Annotated[float, Field(ge=1)] = 60.0
    # an item a step fails on is tried this often (once a pass), then quarantined as a poison item
    max_tries: Annotated[int, Field(ge=1)] = 3
    # problems for the operator: a mailbox unreachable this long; this many items quarantined in a day
    unreachable_minutes: Annotated[int, Field(ge=1)] = 60
    quarantine_per_day: Annotated[int, Field(ge=1)] = 20


# [limits]: the bounds every parser keeps. Their names, types and defaults are defined once, in
# parsers.limits.ParseLimits (the parsers' own); here each gets the lowest value a desk may set.
LOWEST = {
    "max_file_bytes": Field(ge=1024),
    "max_message_bytes": Field(ge=1024),
    "max_attachments": Field(ge=1),
    "max_unzipped_bytes": Field(ge=1024),
    "max_zip_ratio": Field(ge=2),
    "max_pages": Field(ge=1),
    "max_rows": Field(ge=1),
    "max_seconds": Field(gt=0),
    "max_memory_mb": Field(ge=64),
}
NOT_LIMITS = {"case_number_format"}  # a parser's, but set in [desk]


def limits_section() -> type[Section]:
    """The [limits] section: ParseLimits' fields, checked, and `separate_processes`."""
    types = get_type_hints(ParseLimits)
    bounds = {
        bound.name: (Annotated[types[bound.name], LOWEST.get(bound.name, Field())], bound.default)
        for bound in fields(ParseLimits)
        if bound.name not in NOT_LIMITS
    }
    # the worker reads documents in a pool of processes, where the time and memory limits always
    # hold (`inspect` reads in its own process: the time limit holds there, on its main thread)
    return create_model(
        "Limits", __base__=Section, __module__=__name__, separate_processes=(bool, True), **bounds
    )


Limits = limits_section()


class Office(Section):
    opens: ClockTime = "08:30"
    closes: ClockTime = "17:30"


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class ReportSchedule(Section):
    enabled: bool = True
    weekday: Weekday = "tuesday"  # weekly reports: the day after the week
    day: Annotated[int, Field(ge=1, le=28)] = 2  # monthly and quarterly: the day of the next month
    at: ClockTime = "09:00"
    # Addresses, or role keys of the rule file ([roles.general_manager] → "general_manager").
    to: list[str] = []


class Reports(Section):
    weekly: ReportSchedule = ReportSchedule(to=["service_director", "service_manager"])
    monthly: ReportSchedule = ReportSchedule(to=["general_manager", "service_director"])
    quarterly: ReportSchedule = ReportSchedule(
        to=["general_manager", "sales_director", "service_director"]
    )
    catch_up: Annotated[int, Field(ge=1, le=24)] = 3  # periods made up after the worker was down


class MasterData(Section):
    # Dealers, products and purchases as .xlsx or .csv files dropped here are imported into
    # the store, then moved to `imported/` (or `rejected/` with a reason) inside it.
    folder: Path | None = None


class Rules(Section):
    file: Path | None = None


class Config(Section):
    desk: Desk = Desk()
    store: Store = Store()
    outbox: Outbox = Outbox()
    folders: list[SharedFolder] = []
    maildirs: list[Maildir] = []
    imap: list[Imap] = []
    smtp: Smtp | None = None
    worker: Worker = Worker()
    limits: Limits = Limits()
    office: Office = Office()
    rules: Rules = Rules()
    master_data: MasterData = MasterData()
    reports: Reports = Reports()
    # Where the config file lives; relative paths resolve against it. Not a key of the file.
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    source_file: Path | None = Field(default=None, exclude=True)

    def path(self, value: Path) -> Path:
        """An absolute path for a path setting, relative ones taken from the config's folder."""
        return value if value.is_absolute() else (self.base_dir / value)

    @property
    def database_url(self) -> str:
        """The store's URL with a relative SQLite file made absolute."""
        prefix = "sqlite:///"
        url = self.store.url
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.path(Path(url[len(prefix) :])))
        return url

    @property
    def archive_dir(self) -> Path:
        return self.path(self.store.archive_dir)

    @property
    def outbox_dir(self) -> Path:
        return self.path(self.outbox.dir)

    def folder_paths(self, folder: SharedFolder) -> tuple[Path, Path, Path]:
        """(incoming, processed, quarantine) of a shared folder; the last two default beside it."""
        incoming = self.path(folder.path)
        processed = (
            self.path(folder.processed) if folder.processed else incoming.parent / "processed"
        )
        quarantine = (
            self.path(folder.quarantine) if folder.quarantine else incoming.parent / "quarantine"
        )
        return incoming, processed, quarantine


def config_path(explicit: str | None) -> Path:
    """--config, else $AFTERSALES_CONFIG, else ./aftersales.toml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME)


def load_config(path: Path, *, check_folders: bool = True) -> Config:
    """Read and validate a config file; every problem is a ConfigError naming file and key."""
    if not path.is_file():
        raise ConfigError(
            f"no config file at {path}: run `aftersales init` to write one, "
            f"or pass --config PATH / set ${CONFIG_ENV}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = Config.model_validate(
            {**data, "base_dir": path.resolve().parent, "source_file": path.resolve()}
        )
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation_error(exc)}") from None
    if check_folders:
        check_source_folders(config, path)
    return config


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem of a pydantic error, as `key a.b: what is wrong`."""
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (check its spelling and section)"
        elif error["type"] == "missing":
            message = "required key is missing"
        problems.append(f"key `{key}`: {message}")
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return problems[0] + more


def check_source_folders(config: Config, path: Path) -> None:
    """A source folder that does not exist is a configuration mistake, said before any work."""
    for index, folder in enumerate(config.folders):
        incoming = config.folder_paths(folder)[0]
        if not incoming.is_dir():
            raise ConfigError(
                f"{path}: key `folders.{index}.path`: folder {incoming} does not exist"
            )
    for index, maildir in enumerate(config.maildirs):
        if not config.path(maildir.path).is_dir():
            raise ConfigError(
                f"{path}: key `maildirs.{index}.path`: Maildir {config.path(maildir.path)} does not exist"
            )
    if config.master_data.folder and not config.path(config.master_data.folder).is_dir():
        raise ConfigError(
            f"{path}: key `master_data.folder`: folder {config.path(config.master_data.folder)} does not exist"
        )
    if config.rules.file and not config.path(config.rules.file).is_file():
        raise ConfigError(
            f"{path}: key `rules.file`: {config.path(config.rules.file)} does not exist"
        )


def secret(variable: str | None, what: str) -> str | None:
    """A secret by the name of its environment variable; None when no variable is named."""
    if variable is None:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise ConfigError(f"{what}: environment variable ${variable} is not set")
    return value
