"""Score `aftersales inspect --json` against the samples' *.expected.json (make accuracy).

Prints kind accuracy, field precision/recall/F1 per kind and per field, and the accuracy of
category, level and business line with the recall of major complaints. The scoring follows
../shared/samples/README.md: free text matches at a similarity ≥ 0.9, lines are matched in
order, fields an answer leaves out or lists as `unscored` do not count.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

FREE_TEXT = {"description", "customer_opinion"}
OCR_TAGS = {"fax", "scan", "ocr", "tif", "tiff"}


def normal(value: object) -> object:
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFKC", value).split())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def same(name: str, expected: object, actual: object) -> bool:
    expected, actual = normal(expected), normal(actual)
    if name in FREE_TEXT and isinstance(expected, str) and isinstance(actual, str):
        return SequenceMatcher(None, expected, actual).ratio() >= 0.9
    return expected == actual


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Score:
    files: int = 0
    kind_right: int = 0
    per_kind: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    per_field: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    facts: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    major: Counts = field(default_factory=Counts)
    wrong_kinds: list[str] = field(default_factory=list)
    wrong_facts: list[str] = field(default_factory=list)

    @property
    def total(self) -> Counts:
        total = Counts()
        for counts in self.per_kind.values():
            total.add(counts)
        return total


def compare_fields(expected: dict, actual: dict, unscored: set[str], prefix: str = "") -> dict[str, Counts]:
    result: dict[str, Counts] = defaultdict(Counts)
    for name, value in expected.items():
        if name in unscored:
            continue
        key = prefix + name
        if name in actual and same(name, value, actual[name]):
            result[key].tp += 1
        else:
            result[key].fn += 1
            if name in actual:
                result[key].fp += 1
    for name in actual:
        if name not in expected and name not in unscored and not name.startswith("_"):
            result[prefix + name].fp += 1
    return result


def score_one(score: Score, expected: dict, actual: dict) -> None:
    score.files += 1
    if actual.get("kind") == expected["kind"]:
        score.kind_right += 1
    else:
        score.wrong_kinds.append(f"{expected['file']}: expected {expected['kind']}, got {actual.get('kind')}")
    if expected.get("expect_error"):
        return
    unscored = set(expected.get("unscored", []))
    counts = compare_fields(expected.get("fields", {}), actual.get("fields", {}), unscored)
    for index, line in enumerate(expected.get("lines", [])):
        got = actual.get("lines", [])
        counts_line = compare_fields(line, got[index] if index < len(got) else {}, set(), "lines.")
        for key, value in counts_line.items():
            counts.setdefault(key, Counts()).add(value)
    kind_counts = score.per_kind[expected["kind"]]
    for name, value in counts.items():
        score.per_field[name].add(value)
        kind_counts.add(value)
    for fact in ("category", "level", "business_line", "case_ref"):
        if fact in expected and (expected[fact] is not None or fact == "case_ref"):
            score.facts[fact].append(actual.get(fact) == expected[fact])
            if actual.get(fact) != expected[fact]:
                score.wrong_facts.append(f"{expected['file']}: {fact} expected {expected[fact]}, got {actual.get(fact)}")
    if expected.get("level") == "major" or actual.get("level") == "major":
        hit = expected.get("level") == actual.get("level") == "major"
        score.major.tp += hit
        score.major.fn += expected.get("level") == "major" and not hit
        score.major.fp += actual.get("level") == "major" and not hit


def is_ocr(expected: dict, sample: Path) -> bool:
    return sample.suffix.lower() in (".tif", ".tiff") or bool(OCR_TAGS & set(expected.get("tags", []))) or "fax" in sample.name


def run_inspect(samples: list[Path], command: list[str]) -> dict[str, dict]:
    output = subprocess.run([*command, "inspect", "--json", *map(str, samples)], capture_output=True, text=True, check=True)
    results = [json.loads(line) for line in output.stdout.splitlines() if line.strip()]
    return {result["file"]: result for result in results}


def evaluate(folder: Path, command: list[str], ocr: bool | None = False) -> Score:
    """ocr=False: text documents only; True: scanned only; None: everything."""
    pairs = []
    for answer in sorted(folder.glob("*.expected.json")):
        expected = json.loads(answer.read_text(encoding="utf-8"))
        sample = folder / expected["file"]
        if ocr is None or is_ocr(expected, sample) == ocr:
            pairs.append((expected, sample))
    actual = run_inspect([sample for _, sample in pairs], command)
    score = Score()
    for expected, _ in pairs:
        score_one(score, expected, actual.get(expected["file"], {}))
    return score


def report(score: Score, title: str) -> None:
    print(f"== {title}: {score.files} files")
    print(f"kind accuracy: {score.kind_right / max(1, score.files):.1%}")
    for line in score.wrong_kinds:
        print(f"  wrong kind: {line}")
    total = score.total
    print(f"fields: precision {total.precision:.3f} recall {total.recall:.3f} F1 {total.f1:.3f}")
    print("per kind:")
    for kind, counts in sorted(score.per_kind.items()):
        print(f"  {kind:14} P {counts.precision:.3f} R {counts.recall:.3f} F1 {counts.f1:.3f}")
    print("per field:")
    for name, counts in sorted(score.per_field.items()):
        print(f"  {name:22} P {counts.precision:.3f} R {counts.recall:.3f} F1 {counts.f1:.3f}  (tp {counts.tp} fp {counts.fp} fn {counts.fn})")
    for fact, hits in score.facts.items():
        print(f"{fact} accuracy: {sum(hits) / max(1, len(hits)):.1%} of {len(hits)}")
    print(f"major complaints: recall {score.major.recall:.1%} precision {score.major.precision:.1%}")
    for line in score.wrong_facts:
        print(f"  wrong: {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("samples", nargs="?", default="../shared/samples")
    parser.add_argument("--command", default=".venv/bin/aftersales")
    args = parser.parse_args()
    folder = Path(args.samples)
    if not folder.is_dir():
        print(f"accuracy: no samples folder at {folder}", file=sys.stderr)
        return 2
    report(evaluate(folder, [args.command], ocr=False), "text documents (mail, docx, xlsx, xls, text PDF)")
    report(evaluate(folder, [args.command], ocr=True), "scanned documents (fax PDF, TIFF)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
