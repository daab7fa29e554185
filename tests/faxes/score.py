"""Score the reader on a folder of faxes: kind accuracy and field F1 per tilt band and resolution.

Runs `python -m processor inspect --json` on every fax that has a `NAME.expected.json` beside
it (as tests/faxes/make_faxes.py writes them) and scores with the functions of
tests/accuracy.py, the samples' rules: overall, per kind and field, then by |tilt| ≤ 1, ≤ 3,
≤ 5 and per tilt, per resolution (204x196, 204x98) and per layout. Return lines' amounts are
sorted into right / unverified (wrong or absent, but flagged for the sender to confirm) /
missing (absent, not flagged) / silently wrong (a wrong value not flagged: the worst).

    python tests/faxes/score.py tests/faxes/generated [--limit 12] [--save out.jsonl]
    python tests/faxes/score.py tests/faxes/generated --load out.jsonl   # score a saved run

A line's amount counts as flagged when the answer's `unverified` list names it as
`lines[I].amount`, `lines.I.amount` (I from 0), `line N amount` (N from 1) or `lines` (all),
or the line itself carries `_unverified` (a list of names, or true).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.accuracy import Score, report, run_inspect, same, score_one  # noqa: E402

BANDS = (1.0, 3.0, 5.0)
AMOUNT_CLASSES = ("right", "unverified", "missing", "silently wrong")


def answers(folder: Path, limit: int | None) -> list[tuple[dict, Path]]:
    """(expected answer, fax file) of every fax in the folder, spread over layouts when limited."""
    pairs = []
    for path in sorted(folder.glob("*.expected.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        pairs.append((expected, folder / expected["file"]))
    if limit and limit < len(pairs):
        step = len(pairs) / limit
        pairs = [pairs[int(index * step)] for index in range(limit)]
    return pairs


def inspect(
    faxes: list[Path], command: list[str], batch: int, save: Path | None
) -> dict[str, dict]:
    """The reader's answers by file name, a few faxes per run so progress shows (and is saved
    as it goes); a run that fails is retried one fax at a time, and a fax that still fails
    gets an empty answer."""
    results: dict[str, dict] = {}
    if save:
        save.write_text("", encoding="utf-8")
    for start in range(0, len(faxes), batch):
        chunk = faxes[start : start + batch]
        print(
            f"score: inspecting {start + 1}-{start + len(chunk)} of {len(faxes)}",
            file=sys.stderr,
            flush=True,
        )
        try:
            results.update(run_inspect(chunk, command))
        except subprocess.CalledProcessError:
            for fax in chunk:
                try:
                    results.update(run_inspect([fax], command))
                except subprocess.CalledProcessError as error:
                    print(
                        f"score: inspect failed on {fax.name}: {error.stderr[-300:]}",
                        file=sys.stderr,
                    )
        if save:
            with save.open("a", encoding="utf-8") as out:
                out.writelines(
                    json.dumps(results[f.name], ensure_ascii=False) + "\n"
                    for f in chunk
                    if f.name in results
                )
    return results


def reader_command(max_seconds: float, folder: Path) -> list[str]:
    """`python -m processor`, with a config that lets a page take `max_seconds`: on 2 shared
    cores a fax can pass the default 60 s, and that would score the load, not the reading."""
    config = folder / "limits.toml"
    config.write_text(f"[limits]\nmax_seconds = {max_seconds:g}\n", encoding="utf-8")
    return [sys.executable, "-m", "processor", "--config", str(config)]


def flagged_amounts(actual: dict) -> set[int]:
    """Indexes (from 0) of the lines whose amount the reader marked unverified."""
    lines = actual.get("lines", [])
    flagged: set[int] = set()
    for name in actual.get("unverified", []):
        if name in ("lines", "lines.amount"):
            return set(range(len(lines) + 100))
        if match := re.fullmatch(r"lines?(?:\[(\d+)\]|\.(\d+))(?:\.(\w+))?", name):
            if match[3] in (None, "amount"):
                flagged.add(int(match[1] or match[2]))
        elif match := re.fullmatch(r"line\s*(\d+)(?:\s*[.:]?\s*(\w+))?", name):
            if match[2] in (None, "amount"):
                flagged.add(int(match[1]) - 1)
    for index, line in enumerate(lines):
        marks = line.get("_unverified")
        if marks is True or (isinstance(marks, list) and "amount" in marks):
            flagged.add(index)
    return flagged


def amount_classes(expected: dict, actual: dict) -> Counter:
    """How each expected line's amount came out: right, unverified, missing or silently wrong."""
    got, flagged, counts = actual.get("lines", []), flagged_amounts(actual), Counter()
    for index, line in enumerate(expected.get("lines", [])):
        read = got[index] if index < len(got) else {}
        if "amount" in read and same("amount", line["amount"], read["amount"]):
            counts["right"] += 1
        elif index in flagged:
            counts["unverified"] += 1
        elif "amount" not in read:
            counts["missing"] += 1
        else:
            counts["silently wrong"] += 1
    return counts


def scored_part(expected: dict, got: dict) -> dict:
    """The reader's answer without the classification the generated answer leaves out
    (category, level, business line): a `major` it gives is no false alarm here."""
    return {key: value for key, value in got.items() if key in expected or key not in UNCLASSIFIED}


UNCLASSIFIED = ("category", "level", "business_line")


def tilt_of(expected: dict) -> float:
    return float(expected.get("fax", {}).get("tilt", 0.0))


def summary(title: str, score: Score) -> str:
    total = score.total
    return (
        f"  {title:30} {score.files:3} faxes  kind {score.kind_right / max(1, score.files):6.1%}  "
        f"P {total.precision:.3f} R {total.recall:.3f} F1 {total.f1:.3f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "folder", nargs="?", type=Path, default=ROOT / "tests" / "faxes" / "generated"
    )
    parser.add_argument(
        "--limit", type=int, help="score only this many faxes, spread over the layouts"
    )
    parser.add_argument("--batch", type=int, default=6, help="faxes per inspect run (default 6)")
    parser.add_argument("--save", type=Path, help="write the reader's answers here (JSON lines)")
    parser.add_argument(
        "--load", type=Path, help="score answers saved by --save instead of running the reader"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=900,
        help="the reader's wall-time limit per fax (its own default is 60; default here 900)",
    )
    parser.add_argument("--quiet", action="store_true", help="leave out the per-field table")
    args = parser.parse_args()
    pairs = answers(args.folder, args.limit)
    if not pairs:
        print(
            f"score: no *.expected.json in {args.folder} (make them with tests/faxes/make_faxes.py --out DIR)",
            file=sys.stderr,
        )
        return 2
    if args.load:
        lines = args.load.read_text(encoding="utf-8").splitlines()
        actual = {result["file"]: result for result in map(json.loads, filter(str.strip, lines))}
        unread = [expected["file"] for expected, _ in pairs if expected["file"] not in actual]
        if unread:  # a run saved part-way: score what it read
            print(f"score: {len(unread)} faxes not in {args.load}, left out", file=sys.stderr)
            pairs = [(expected, fax) for expected, fax in pairs if expected["file"] in actual]
    else:
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
        )
        with tempfile.TemporaryDirectory() as scratch:
            command = reader_command(args.max_seconds, Path(scratch))
            actual = inspect([fax.resolve() for _, fax in pairs], command, args.batch, args.save)

    overall = Score()
    groups: dict[str, Score] = defaultdict(Score)
    amounts: Counter = Counter()
    wrong_amounts: list[str] = []
    for expected, _ in pairs:
        got = scored_part(expected, actual.get(expected["file"], {}))
        tilt, how = tilt_of(expected), expected.get("fax", {})
        keys = [f"|tilt| <= {band:g}" for band in BANDS if abs(tilt) <= band]
        keys += [
            f"tilt {tilt:+g}",
            f"resolution {how.get('resolution', '?')}",
            f"layout {how.get('layout', '?')}",
        ]
        for target in (overall, *(groups[key] for key in keys)):
            score_one(target, expected, got)
        counts = amount_classes(expected, got)
        amounts.update(counts)
        if counts["silently wrong"]:
            wrong_amounts.append(expected["file"])

    if args.quiet:
        print(summary("all", overall))
    else:
        report(overall, f"generated faxes in {args.folder}")
    for prefix, heading in (
        ("|tilt|", "tilt band"),
        ("tilt ", "tilt"),
        ("resolution", "resolution"),
        ("layout", "layout"),
    ):
        print(f"by {heading}:")
        for key in sorted((k for k in groups if k.startswith(prefix)), key=sort_key):
            print(summary(key, groups[key]))
    stopped = [
        name
        for name, got in actual.items()
        if any("took more than" in e for e in got.get("errors", []))
    ]
    print(
        f"stopped by the reader's time limit: {len(stopped)}"
        + "".join(f"\n  {name}" for name in stopped)
    )
    total = sum(amounts.values())
    print(
        f"return lines' amounts ({total}): "
        + ", ".join(
            f"{name} {amounts[name]} ({amounts[name] / max(1, total):.0%})"
            for name in AMOUNT_CLASSES
        )
    )
    for name in wrong_amounts:
        print(f"  silently wrong amount in {name}")
    return 0


def sort_key(key: str) -> tuple:
    number = re.search(r"[-+]?\d+(?:\.\d+)?", key)
    return (float(number[0]) if number and "tilt" in key else 0.0, key)


if __name__ == "__main__":
    raise SystemExit(main())
