"""Which kind of document a text is (complaint, return sheet, feedback form, …), by kinds.toml."""

from __future__ import annotations

import dataclasses
import tomllib
from functools import lru_cache
from pathlib import Path

from parsers.language import to_simplified
from parsers.meaning import Lexicon, Term, prepare
from parsers.model import ParsedDocument
from vocabulary import Kind

KINDS = Path(__file__).with_name("kinds.toml")


@lru_cache(maxsize=2)
def load_kinds(path: Path = KINDS) -> dict[Kind, dict[str, list[str]]]:
    """The words of each kind of form; a kind not in the vocabulary is a ValueError at once."""
    return {
        Kind(kind): words
        for kind, words in tomllib.loads(path.read_text(encoding="utf-8"))["kinds"].items()
    }


@lru_cache(maxsize=2)
def _answers(path: Path = KINDS) -> tuple[Lexicon, dict]:
    """The words of callback answers (satisfied / not satisfied / courtesy / survey) in one
    matcher, built on first use."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    terms = [
        Term(word, verdict) for verdict, words in data["satisfaction"].items() for word in words
    ]
    terms += [
        Term(word, f"survey:{verdict}")
        for verdict, words in data["survey_answers"].items()
        for word in words
    ]
    terms += [Term(word, "courtesy") for word in data["courtesy"]["words"]]
    terms += [Term(word, "survey") for word in data["survey"]["words"]]
    return Lexicon(terms), data


def satisfaction(text: str, survey: bool = False) -> bool | None:
    """True/False when the text says whether the customer is satisfied, None when it does not.
    Not satisfied wins; a negated satisfied word (谈不上满意, "not happy with") is not satisfied.
    In an answer to our survey (`survey`), how the problem stands counts too."""
    lexicon, _ = _answers()
    prepared = prepare(text)
    hits = [hit for hit in lexicon.find(prepared) if survey or not hit.group.startswith("survey:")]
    hits = [dataclasses.replace(hit, group=hit.group.removeprefix("survey:")) for hit in hits]
    hits = [
        hit
        for hit in hits
        if not any(
            o is not hit
            and o.start <= hit.start
            and hit.end <= o.end
            and (o.end - o.start) > (hit.end - hit.start)
            for o in hits
        )
    ]
    hits = [
        hit
        for hit in hits
        if not (hit.group == "satisfied" and _in_quotes(prepared, hit.start, hit.end))
    ]
    if any(hit.group == "not_satisfied" and not hit.negated for hit in hits):
        return False
    if any(hit.group == "satisfied" and hit.negated for hit in hits):
        return False
    if any(hit.group == "satisfied" for hit in hits):
        return True
    return None


SCARE_QUOTES = "\"'“”‘’「」『』"


def _in_quotes(text: str, start: int, end: int) -> bool:
    """A word in quotes is another's word, said with irony: you "fixed" it, 所谓的「修好了」."""
    return (
        0 < start
        and end < len(text)
        and text[start - 1] in SCARE_QUOTES
        and text[end] in SCARE_QUOTES
    )


def answers_survey(subject: str, quoted: str) -> bool:
    """Whether a mail answers our callback survey (its subject or the quoted survey says so)."""
    lexicon, _ = _answers()
    return any(hit.group == "survey" for hit in lexicon.find(prepare(subject + "\n" + quoted)))


def is_courtesy(text: str) -> bool:
    """A short thank-you or "received" with nothing else to say."""
    lexicon, data = _answers()
    own = prepare(text).strip()
    if len(own) > data["courtesy"]["max_length"] or "?" in own:
        return False
    return any(hit.group == "courtesy" for hit in lexicon.find(own))


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
    return max(scores, key=scores.__getitem__) if scores else Kind.UNKNOWN
