"""Which kind of document a text is (complaint, return sheet, feedback form, …), by kinds.toml."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from parsers.language import to_simplified
from parsers.model import ParsedDocument

KINDS = Path(__file__).with_name("kinds.toml")


@lru_cache(maxsize=2)
def load_kinds(path: Path = KINDS) -> dict[str, dict[str, list[str]]]:
    return tomllib.loads(path.read_text(encoding="utf-8"))["kinds"]


@lru_cache(maxsize=2)
def load_satisfaction(path: Path = KINDS) -> dict[str, list[str]]:
    return tomllib.loads(path.read_text(encoding="utf-8"))["satisfaction"]


@lru_cache(maxsize=2)
def load_renames(path: Path = KINDS) -> dict[str, dict[str, str]]:
    return tomllib.loads(path.read_text(encoding="utf-8")).get("renames", {})


def apply_renames(doc: ParsedDocument) -> None:
    """Give generic fields their narrower meaning on the kind of form they were read from."""
    for generic, narrow in load_renames().get(doc.kind, {}).items():
        if generic in doc.fields and narrow not in doc.fields:
            doc.fields[narrow] = doc.fields.pop(generic)


def kind_scores(title: str, body: str) -> dict[str, int]:
    title_text = to_simplified(title).lower()
    body_text = to_simplified(body).lower()
    scores = {}
    for kind, words in load_kinds().items():
        score = 2 * sum(word.lower() in title_text for word in words.get("title", []))
        score += sum(word.lower() in body_text for word in words.get("body", []))
        if score:
            scores[kind] = score
    return scores


def recognise_kind(title: str, body: str) -> str:
    """The best-scoring kind; the title decides ties (the order of kinds.toml breaks the rest)."""
    scores = kind_scores(title, body)
    return max(scores, key=scores.__getitem__) if scores else "unknown"
