"""The store: SQLAlchemy over SQLite (WAL) by default, PostgreSQL by URL; migrated on open."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
# the newest migration: each file is named after its revision ("0010_batch_alerts.py" is 0010;
# tests/test_startup.py checks this against Alembic's own head)
HEAD = max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))
SQLITE_BUSY_TIMEOUT_MS = 30_000


class Store:
    """An engine and its session factory. `with store.transaction() as session:` commits or rolls back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def shared(self) -> bool:
        """A server several hosts use (PostgreSQL), not a file on this one (SQLite)."""
        return not self.url.startswith("sqlite")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def migrate(self) -> None:
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            private_file(Path(path))
        engine = create_engine(url, connect_args={"isolation_level": None, "timeout": 30})
        _make_sqlite_transactions_immediate(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def private_file(path: Path) -> None:
    """The SQLite file made before SQLite opens it, readable by its owner only (0600, its folder
    0700 when we make it): it holds names, phones, ID numbers and raw mails. SQLite gives its
    -wal and -shm files the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


def _make_sqlite_transactions_immediate(engine: Engine) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so that two writers queue on the busy
    timeout instead of one failing with 'database is locked' when it upgrades a read lock."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # noqa: ANN001
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def at_head(engine: Engine) -> bool:
    """Whether the store's schema is the newest already: one SELECT, where Alembic would take
    a second of CPU to import and read its scripts before saying so."""
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("select version_num from alembic_version")
            ).scalars().all() == [HEAD]
    except exc.DBAPIError:  # a new store: no version table yet
        return False


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic), on SQLite and PostgreSQL alike."""
    if at_head(engine):
        return
    from alembic import command  # only when there is something to migrate (see at_head)
    from alembic.config import Config as AlembicConfig

    alembic_config = AlembicConfig()
    alembic_config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if (
            engine.dialect.name == "postgresql"
        ):  # workers starting together migrate one after the other
            connection.execute(text("select pg_advisory_xact_lock(4242000)"))
        alembic_config.attributes["connection"] = connection
        command.upgrade(alembic_config, "head")


def open_store(url: str) -> Store:
    store = Store(url)
    store.migrate()
    return store
