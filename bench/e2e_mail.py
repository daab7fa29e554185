"""Benchmark: mails end to end on real servers — N mixed mails in a local Dovecot mailbox,
processed and acknowledged through a local SMTP server by the embedded default (`run --once`,
SQLite) and by 1 and 2 distributed workers (procrastinate on a local PostgreSQL), beside the
floor: a bare loop that only fetches each mail, marks it seen and sends one reply over the same
servers (and, for comparison, the same loop sending two, as the desk sends an acknowledgement
and the owner's notice).

The measure is CPU time per mail read, the desk's own (the worker processes', from their
rusage) against the floor loop's own (its thread's CPU; the SMTP relay is another thread of
this process): CPU time does not depend on what else the machine is doing, wall time does.
Targets: the embedded default ≤ 4× the floor, distributed ≤ 6×, two workers ≤ 1.1× one
worker's CPU per mail, peak memory per worker < 300 MB. Also printed: mails per second, how
busy the cores were, each server's CPU per mail, and the outbox by purpose and status.

    BENCH_PROFILE=DIR   each worker sampled by py-spy into DIR
    BENCH_WORKER_ARGS   more arguments for `aftersales run` (e.g. "--concurrency 4")

    .venv/bin/python bench/e2e_mail.py [--mails 400]
"""

from __future__ import annotations

import argparse
import os
import re
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mailservers import USERS, Dovecot, SmtpServer  # noqa: E402
from tests.pgserver import PostgresServer  # noqa: E402
from tests.test_mail_servers import DESK, complaint, write_config  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "samples"


def mixed(count: int) -> list[bytes]:
    """Made complaints and the sample mails, each copy made a mail of its own (a Message-ID of
    its own: the desk takes a second mail with the same Message-ID for the same mail)."""
    samples = [p.read_bytes() for p in sorted(SAMPLES.glob("*.eml")) if "bounce" not in p.name and "auto" not in p.name]
    mails = []
    for number in range(count):
        if number % 3 == 0 and samples:
            data = samples[number % len(samples)]
            data = re.sub(rb"(?im)^message-id:", b"X-Original-Message-ID:", data, count=1)
            mails.append(data.replace(b"\nSubject:", f"\nMessage-ID: <bench-{number}@example.test>\nSubject:".encode(), 1))
        else:
            mails.append(complaint(number + 1))
    return mails


def load(dovecot: Dovecot, mails: list[bytes]) -> None:
    dovecot.empty()
    for data in mails:
        dovecot.deliver(data, DESK)


def floor(dovecot: Dovecot, smtp: SmtpServer, count: int, replies: int = 1) -> tuple[float, float]:
    """(seconds, CPU seconds of this loop alone: its thread's, not the SMTP relay's)."""
    from imapclient import IMAPClient

    started, cpu_started = time.perf_counter(), time.thread_time()
    client = IMAPClient("127.0.0.1", port=dovecot.imap, ssl=False)
    client.login(DESK, USERS[DESK])
    client.select_folder("INBOX")
    sender = smtplib.SMTP("127.0.0.1", smtp.port)
    sender.starttls(context=ssl.create_default_context(cafile=str(dovecot.cert)))
    sender.login(DESK, USERS[DESK])
    uids = client.search("UNSEEN")
    for start in range(0, len(uids), 50):
        batch = uids[start:start + 50]
        client.fetch(batch, ["BODY.PEEK[]"])
        for uid in batch:
            client.add_flags([uid], [b"\\Seen"])
            for _ in range(replies):
                reply = EmailMessage()
                reply["From"], reply["To"], reply["Subject"] = DESK, "alice@example.test", f"Re: {uid}"
                reply.set_content("收到")
                sender.send_message(reply)
    sender.quit()
    client.logout()
    return time.perf_counter() - started, time.thread_time() - cpu_started


def outbox_by_status(database: str) -> list[tuple[str, str, int]]:
    """(purpose, status, count) of the rows of the run's outbox."""
    import psycopg

    with psycopg.connect("postgresql://" + database.split("://", 1)[1]) as connection:
        return connection.execute("select purpose, status, count(*) from outbox group by 1, 2 order by 1, 2").fetchall()


def family_cpu(pid: int) -> float:
    """CPU seconds of a server so far: the process, its live children and those it reaped
    (a PostgreSQL backend or a Dovecot login process that has ended counts in its parent)."""
    hz = os.sysconf("SC_CLK_TCK")
    parents, own = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            parents[int(entry.name)] = int(fields[1])
            own[int(entry.name)] = sum(int(value) for value in fields[11:15]) / hz  # utime stime cutime cstime

    def total(root: int) -> float:
        return own.get(root, 0.0) + sum(total(child) for child, parent in parents.items() if parent == root)

    return total(pid)


def servers_cpu(dovecot: Dovecot, postgres: PostgresServer) -> dict[str, float]:
    """CPU seconds so far of each server the run uses; the SMTP relay is a thread of this process."""
    mine = os.times()
    return {"PostgreSQL": family_cpu(postgres.process.pid), "Dovecot": family_cpu(dovecot.process.pid),
            "SMTP relay": mine.user + mine.system}


def busy_cores() -> tuple[float, float]:
    """(busy, total) jiffies of all cores so far, from /proc/stat."""
    fields = [float(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def workers(config: Path, count: int, distributed: bool = True) -> tuple[float, list[float], float]:
    """Start `count` workers on one config and wait for them: (seconds, peak MB each, CPU
    seconds of all). Each worker's log is kept beside the config (worker-N.log)."""
    command = [sys.executable, "-m", "processor", "--config", str(config), "run", "--once",
               *(["--distributed", *os.environ.get("BENCH_WORKER_ARGS", "").split()] if distributed else [])]
    if profile := os.environ.get("BENCH_PROFILE"):  # a folder: each worker sampled by py-spy
        command = ["py-spy", "record", "--subprocesses", "--threads", "--format", "raw", "-r", "50",
                   "-o", f"{profile}/worker-{count}-{time.monotonic_ns()}.txt", "--", *command]
    started = time.perf_counter()
    processes = []
    for number in range(count):
        with open(config.parent / f"worker-{number}.log", "wb") as log:
            processes.append(subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
                                              env=os.environ.copy()))
    peaks, cpu = [], 0.0
    for process in processes:
        _, status, usage = os.wait4(process.pid, 0)
        peaks.append(usage.ru_maxrss / 1024)
        cpu += usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, peaks, cpu


def desk_config(dovecot: Dovecot, smtp: SmtpServer, label: str, database: str | None) -> Path:
    """A desk on the test servers in a folder of its own: SQLite there, or `database`."""
    config = write_config(Path(tempfile.mkdtemp(prefix=f"bench-{label}-")), dovecot, smtp, extra="")
    text = config.read_text(encoding="utf-8").replace("batch_size = 2", "batch_size = 50")
    # the made complaints all come from one test user: lift the per-sender flood cap
    text = text.replace("max_acks_per_sender_per_hour = 50", "max_acks_per_sender_per_hour = 1000000")
    config.write_text((f'[store]\nurl = "{database}"\n' if database else "") + text, encoding="utf-8")
    return config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=400)
    args = parser.parse_args()
    n = args.mails
    os.environ["TEST_DESK_PASSWORD"] = USERS[DESK]
    dovecot, postgres = Dovecot(), PostgresServer()
    dovecot.prepare()
    dovecot.start()
    postgres.start()
    smtp = SmtpServer(dovecot)
    smtp.start()
    try:
        mails = mixed(n)
        load(dovecot, mails)
        servers_before = servers_cpu(dovecot, postgres)
        bare, bare_cpu = floor(dovecot, smtp, n)
        dovecot.settle()  # the SMTP server answers at once and delivers after: its work counts, its time not
        servers_after = servers_cpu(dovecot, postgres)
        print(f"floor (fetch, mark seen, send one reply): {n / bare:7.1f} mails/s  ({bare:.1f} s); CPU per mail read: "
              f"the loop {1000 * bare_cpu / n:.2f} ms, "
              + ", ".join(f"{name} {1000 * (servers_after[name] - servers_before[name]) / n:.1f} ms"
                          for name in ("Dovecot", "SMTP relay")))
        load(dovecot, mails)
        two, two_cpu = floor(dovecot, smtp, n, replies=2)
        dovecot.settle()
        print(f"the same sending two mails per mail read, as the desk does (acknowledgement and owner's notice): "
              f"{n / two:7.1f} mails/s  ({two:.1f} s), the loop {1000 * two_cpu / n:.2f} ms CPU per mail read")
        runs = {"embedded": ("embedded default (run --once, SQLite)", 1, False),
                "1 worker": ("distributed, 1 worker (PostgreSQL)", 1, True),
                "2 workers": ("distributed, 2 workers (PostgreSQL)", 2, True)}
        cpu_per_mail, peaks_of = {}, {}
        for key, (title, count, distributed) in runs.items():
            database = postgres.database() if distributed else None
            config = desk_config(dovecot, smtp, key.replace(" ", ""), database)
            load(dovecot, mails)
            before, servers_before = busy_cores(), servers_cpu(dovecot, postgres)
            elapsed, peaks, cpu = workers(config, count, distributed)
            dovecot.settle()
            after, servers_after = busy_cores(), servers_cpu(dovecot, postgres)
            cpu_per_mail[key], peaks_of[key] = 1000 * cpu / n, max(peaks)
            print(f"{title}: {n / elapsed:7.1f} mails/s ({elapsed:.1f} s), peak memory per worker {max(peaks):.0f} MB, "
                  f"machine's cores {100 * (after[0] - before[0]) / (after[1] - before[1]):.0f} % busy")
            if database:
                outbox = outbox_by_status(database)
                handed = sum(rows for _, status, rows in outbox if status in ("sent", "failed"))  # to the server
                print(f"   {handed / n:.1f} mails handed to SMTP per mail read; outbox:",
                      ", ".join(f"{purpose} {status} {rows}" for purpose, status, rows in outbox))
            spent = {"desk": cpu, **{name: servers_after[name] - servers_before[name] for name in servers_after}}
            print("   CPU per mail read:", ", ".join(f"{name} {1000 * seconds / n:.1f} ms" for name, seconds in spent.items()))
        floor_ms = 1000 * bare_cpu / n
        print(f"\nCPU per mail read, the desk's own against the floor loop's own ({floor_ms:.2f} ms), {n} mails:")
        print(f"   embedded default    {cpu_per_mail['embedded']:6.1f} ms  {cpu_per_mail['embedded'] / floor_ms:5.1f}× the floor "
              f"(target ≤ 4×)  peak {peaks_of['embedded']:.0f} MB")
        print(f"   distributed, 1      {cpu_per_mail['1 worker']:6.1f} ms  {cpu_per_mail['1 worker'] / floor_ms:5.1f}× the floor "
              f"(target ≤ 6×)  peak {peaks_of['1 worker']:.0f} MB")
        print(f"   distributed, 2      {cpu_per_mail['2 workers']:6.1f} ms  {cpu_per_mail['2 workers'] / cpu_per_mail['1 worker']:5.2f}× "
              f"one worker's (target ≤ 1.1×)  peak {peaks_of['2 workers']:.0f} MB per worker (target < 300)")
    finally:
        smtp.stop()
        dovecot.cleanup()
        postgres.stop()


if __name__ == "__main__":
    main()
