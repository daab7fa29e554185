"""A real PostgreSQL on 127.0.0.1 for the tests: a throw-away cluster under /tmp, started by
the test run (as the `postgres` user when the tests run as root) and stopped after it."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.mailservers import free_port


def bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


def as_service_user() -> list[str]:
    """PostgreSQL refuses to run as root: run it as `postgres` then."""
    return (
        ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
        if os.geteuid() == 0
        else []
    )


@dataclass
class PostgresServer:
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp")))
    port: int = 0
    process: subprocess.Popen | None = None
    settings: tuple[
        str, ...
    ] = ()  # more `name=value` server settings (a benchmark's pg_stat_statements)

    def start(self) -> None:
        binaries = bindir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            [
                *as_service_user(),
                str(binaries / "initdb"),
                "-D",
                str(self.root / "data"),
                "-A",
                "trust",
                "-U",
                "aftersales",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
        )
        self.port = free_port()
        server = [
            str(binaries / "postgres"),
            "-D",
            str(self.root / "data"),
            "-p",
            str(self.port),
            "-k",
            str(self.root),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ]
        server += [part for setting in self.settings for part in ("-c", setting)]
        # the server's log goes to a file: a pipe nobody reads fills up, and then every backend
        # that logs (a duplicate queueing lock does) blocks on it
        with open(self.root / "postgres.log", "wb") as log:
            self.process = subprocess.Popen(
                ["setpriv", *as_service_user()[1:], "--pdeathsig", "TERM", "--", *server],
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while (
            subprocess.run(
                [str(binaries / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
            ).returncode
            != 0
        ):
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"postgres exited: {(self.root / 'postgres.log').read_text(errors='replace')}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError("postgres did not start within 30 s")
            time.sleep(0.05)

    def database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=aftersales dbname=postgres", autocommit=True
        ) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://aftersales@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)
