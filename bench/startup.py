"""Benchmark: how long a hand-typed command takes to start, beside the bare interpreter in the
same run. Measures the CPU time (user + system, from the child's rusage) of `python -c pass`,
`aftersales --help` and `aftersales inspect` of one plain mail, each run several times, and
prints the median of each and its ratio to the bare interpreter's (targets: --help ≤ 8×,
inspect ≤ 12×). CPU time, not wall time: other engineers' load on the machine does not count.

    .venv/bin/python bench/startup.py [--runs 7] [--mail FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAIL = ROOT.parent / "shared" / "samples" / "003-mail-complaint-auto.eml"  # a complaint in the mail's text
TARGETS = {"--help": 8, "inspect": 12}


def cpu_seconds(command: list[str]) -> float:
    """The CPU a command took, itself and its children."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    _, status, usage = os.wait4(process.pid, 0)
    if status:
        raise SystemExit(f"{' '.join(command)} failed ({status})")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--mail", type=Path, default=MAIL)
    args = parser.parse_args()
    commands = {
        "bare interpreter": [sys.executable, "-c", "pass"],
        "--help": [sys.executable, "-m", "processor", "--help"],
        "inspect": [sys.executable, "-m", "processor", "inspect", str(args.mail)],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):  # interleaved, so that a busy moment falls on all alike
        for name, command in commands.items():
            times[name].append(cpu_seconds(command))
    bare = statistics.median(times["bare interpreter"])
    for name, values in times.items():
        median = statistics.median(values)
        ratio = f"  {median / bare:5.1f}× the bare interpreter" if name != "bare interpreter" else ""
        target = f" (target ≤ {TARGETS[name]}×)" if name in TARGETS else ""
        print(f"{name:18} {1000 * median:7.0f} ms CPU (median of {len(values)}){ratio}{target}")


if __name__ == "__main__":
    main()
