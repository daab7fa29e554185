"""What a text says, not which substrings it holds: normalise, mask identifiers, find a
lexicon's signals in one pass, and tell which of them are negated.

The steps, in order (each a small function, so tests can look at each):
1. `normalise`: full-width → half-width (NFKC), traditional → simplified (OpenCC), Cantonese
   function words → Mandarin (咗 → 了, 冇 → 没, 唔 → 不, 仲 → 还: 修咗两次仲漏 is 修了两次还漏),
   lower case.
2. `mask`: numbers that are identifiers (phones, orders, serials, VINs, dates, amounts,
   quantities with a unit) become `§`, so a hotline number is only found as a number of its own.
3. `Lexicon.find`: every signal of a lexicon in one Aho-Corasick pass; English signals only as
   whole words (`sue` is not in "issue"), numbers only as a number of their own (`12315` is not
   in `SO2612315`), a longer `ignore` term (冰箱报警) silences a signal of its own group it covers.
4. Negation: a negator word (jieba's segmentation says what is a word: 不然, 不错, 会不会 are
   not negators) before a signal in the same clause, with no scope breaker between
   (就/的话/否则/我…: "再不处理我就去12315" is a threat, not a negated one).
5. Hypotheticals: a signal in the sentence of a condition (如果/要是/if…) is marked so; the
   rules count it for a threat, not as something that happened.
The segmenter and the automaton are built once per process, on first use.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from parsers.language import to_simplified

MASK = "§"

# ── 1. Normalising
_SPACES = re.compile(r"[ \t\u3000\xa0]+")


# Written Cantonese (Hong Kong, Macau mails) says the same things with other function words;
# mapped to Mandarin so each signal and each negator is written once. Longer forms first
# (唔该 is "please/thanks", not 不该); 仲 is 还 except in 仲裁 (arbitration).
_CANTONESE = {
    "唔该": "谢谢",
    "唔使": "不用",
    "唔好": "不要",
    "冇人": "没人",
    "点解": "为什么",
    "边个": "谁",
    "搞掂": "搞定",
    "咗": "了",
    "冇": "没",
    "唔": "不",
    "嘅": "的",
    "哋": "们",
    "嚟": "来",
    "喺": "在",
    "佢": "他",
    "睇": "看",
    "畀": "给",
    "啲": "些",
    "嘢": "东西",
    "咩": "什么",
    "乜": "什么",
    "咁": "这么",
    "嗰": "那",
    "呢度": "这里",
}
_CANTONESE_WORD = re.compile(
    "|".join(sorted(map(re.escape, _CANTONESE), key=len, reverse=True)) + "|仲(?!裁)"
)


def normalise(text: str) -> str:
    """The form signals are matched on: NFKC (full-width → half-width), simplified, Cantonese
    function words as Mandarin, lower case."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    text = to_simplified(text)
    text = _CANTONESE_WORD.sub(lambda m: _CANTONESE.get(m.group(0), "还"), text)
    return _SPACES.sub(" ", text.lower())


# ── 2. Masking identifiers. Order matters: whole addresses and codes first, then digit runs.
_UNITS = (
    r"元|块|毛|万|千|百|rmb|yuan|usd|%|km|公里|千米|米|cm|mm|kg|公斤|斤|克|吨|升|ml|l\b|w\b|瓦|v\b|伏|"
    r"个月|月|年|日|号|天|周|次|趟|遍|台|辆|个|件|桶|箱|只|片|套|瓶|部|户|家|位|名|人|岁|小时|分钟|分|秒|点|度|寸|英寸|码|迈|"
    r"多|余|几|楼|层|栋|室|倍|档|挡|代|款"
)
_MASKS = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # mail addresses
    re.compile(r"(?:https?://|www\.)\S+"),  # links
    # codes with letters and digits: PO-2610-088, SO2612315, VINs, RMA-2610-027, model numbers
    re.compile(
        r"(?<![a-z0-9])(?=[a-z0-9\-_/.]*\d)(?=[a-z0-9\-_/.]*[a-z])[a-z0-9][a-z0-9\-_/.]{3,}(?![a-z0-9])"
    ),
    # dates: 2026-11-20, 2026/11/20, 2026年11月20日, 11月20日, 11/20
    re.compile(
        r"\d{2,4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?|\d{1,2}\s*月\s*\d{1,2}\s*[日号]?"
    ),
    # amounts: ¥3999, $120
    re.compile(r"[¥$€£]\s*\d[\d,.]*"),
    # references of digit groups joined by slashes: invoice 26/1087, 2611/0042 (a date 11/20 is short)
    re.compile(r"(?<![\d/])(?=(?:\d/?){5})\d+(?:/\d+)+(?![\d/])"),
    # a number with a unit or a measure word after it: 120元, 110公里, 3次, 12315个
    re.compile(rf"\d[\d,.]*\s*(?:{_UNITS})"),
]
_DIGIT_RUN = re.compile(r"\+?\d(?:[\d]|[ \-](?=\d))*")


def mask(text: str) -> str:
    """Identifiers replaced by `§`: what is left of a number is a number of its own."""
    for pattern in _MASKS:
        text = pattern.sub(MASK, text)
    return _DIGIT_RUN.sub(_digit_run, text)


def _digit_run(match: re.Match[str]) -> str:
    """A run of digits with spaces or dashes: 7 digits or more is a phone or serial (masked);
    a shorter one is one number whose gaps are a typist's (`1231 5` is 12315)."""
    digits = re.sub(r"\D", "", match.group(0))
    return MASK if len(digits) >= 7 else digits


def prepare(text: str) -> str:
    return mask(normalise(text))


# ── 3. The lexicon and its one-pass matcher
@dataclass(frozen=True)
class Term:
    """One signal of the lexicon: its text as written, the group it counts for, its weight."""

    written: str
    group: str
    weight: float = 1.0
    ignore: bool = False  # a false friend: silences the signals it covers, counts for nothing
    negatable: bool = True  # False for context (a product, "after the repair"): 不 before it negates something else


@dataclass(frozen=True)
class Hit:
    written: str
    group: str
    weight: float
    start: int
    end: int
    negated: bool = False
    negatable: bool = True
    hypothetical: bool = (
        False  # in a sentence of a condition (如果下次还是一样, "if it happens again")
    )
    counterfactual: bool = False  # in a sentence of another's hypothetical (要是她早就发网上了)
    sentence: int = 0  # which sentence of the text it is in (combinations may need one sentence)


_ASCII_WORD = re.compile(r"[a-z0-9']")


class Lexicon:
    """All terms of a rule file (or of the satisfaction words) in one Aho-Corasick automaton,
    built once. A term ending in `*` is an English stem (`injur*`: injured, injury)."""

    def __init__(self, terms: Iterable[Term]) -> None:
        import ahocorasick  # loaded on first use, not at `aftersales --help`

        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[Term, bool]]] = {}
        for term in terms:
            stem = term.written.endswith("*")
            key = normalise(term.written.rstrip("*")).strip()
            if key:
                entries.setdefault(key, []).append((term, stem))
        for key, found in entries.items():
            self._automaton.add_word(key, (key, found))
        self.size = len(entries)
        if entries:
            self._automaton.make_automaton()

    def find(self, prepared: str) -> list[Hit]:
        """Every signal in a prepared (normalised, masked) text, negation marked."""
        if not self.size:
            return []
        hits: list[Hit] = []
        ignored: list[
            tuple[int, int, str]
        ] = []  # where a false friend is, and the group it speaks for
        for end_index, (key, found) in self._automaton.iter(prepared):
            start, end = end_index - len(key) + 1, end_index + 1
            for term, stem in found:
                if not _stands_alone(prepared, start, end, key, stem):
                    continue
                if term.ignore:
                    ignored.append((start, end, _owner(term.group)))
                else:
                    hits.append(
                        Hit(
                            term.written,
                            term.group,
                            term.weight,
                            start,
                            end,
                            negatable=term.negatable,
                        )
                    )
        hits = [
            hit
            for hit in hits
            if not any(
                s <= hit.start and hit.end <= e and _owner(hit.group) == owner
                for s, e, owner in ignored
            )
        ]
        hits = _longest_per_group(hits)  # 购买了: 购买, not 买了 too
        if not hits:
            return hits
        scopes = negations(prepared)
        conditions = [match.end() for match in CONDITION.finditer(prepared)]
        others = [match.end() for match in COUNTERFACTUAL.finditer(prepared)]
        ends = [match.start() for match in SENTENCE_END.finditer(prepared)]
        return [
            Hit(
                h.written,
                h.group,
                h.weight,
                h.start,
                h.end,
                negated=h.negatable
                and (
                    any(_in_scope(s, h.start, prepared) for s in scopes)
                    or bool(SCORNED.match(prepared, h.end))
                ),
                negatable=h.negatable,
                hypothetical=any(_in_sentence(c, h.start, prepared) for c in conditions),
                counterfactual=any(_in_sentence(c, h.start, prepared) for c in others),
                sentence=bisect.bisect_left(ends, h.start),
            )
            for h in hits
        ]


def _owner(group: str) -> str:
    """The group a family speaks for (`level.major` of `level.major/safety`): a false friend
    silences the signals of its own group only — 事故车 is no safety hazard, and still a car
    sold with an accident behind it (category other)."""
    return group.split("/", 1)[0]


def _longest_per_group(hits: list[Hit]) -> list[Hit]:
    """Within a group, overlapping hits count once: the longest (then the first) is kept."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
        if not any(k.group == hit.group and k.start < hit.end and hit.start < k.end for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def _stands_alone(text: str, start: int, end: int, key: str, stem: bool) -> bool:
    """English words and numbers match whole; Chinese terms match anywhere."""
    if _ASCII_WORD.match(key[0]) and start > 0 and _ASCII_WORD.match(text[start - 1]):
        return False
    if key.isdigit() and start > 0 and text[start - 1] in "+-.":
        return False
    return (
        stem
        or not _ASCII_WORD.match(key[-1])
        or end >= len(text)
        or not _ASCII_WORD.match(text[end])
    )


# ── 4. Negation and its scope
NEGATORS = {
    "不",
    "没",
    "没有",
    "未",
    "无",
    "别",
    "不会",
    "并非",
    "并不",
    "并没",
    "并没有",
    "从未",
    "从没",
    "从来没",
    "从来没有",
    "不要",
    "不想",
    "不打算",
    "不准备",
    "不用",
    "无需",
    "不必",
    "不曾",
    "绝不",
    "决不",
    "没人",
    "无人",
    "没有人",
    "不再",
    "不至于",
    "毫无",
    "谈不上",
    "算不上",
    "称不上",
    "不太",
    "不怎么",
    "不算",
    "没法",
    "不够",
    "no",
    "not",
    "never",
    "without",
    "nobody",
    "none",
    "neither",
    "nor",
    "nothing",
    "hardly",
    # Cantonese (a traditional text is made simplified first: 唔係 → 唔系)
    "唔",
    "冇",
    "未曾",
    "唔系",
    "唔会",
    "唔使",
    "唔算",
    "冇人",
    "毋须",
}
# a word scorned right after it says the opposite: 满意个鬼, 满意个屁, 满意才怪, 好个头
SCORNED = re.compile(r"\s*(?:个鬼|个屁|个头|个毛|个锤子|才怪)")
_EN_NEGATOR = re.compile(
    r"\b(?:no|not|never|without|nobody|none|neither|nor|nothing|hardly|\w+n't|cannot)\b"
)
# An intention given up negates what it meant to do: 我本来想打12315，后来想想还是先跟你们说.
# (差点/险些 are not here: 差点出事 is a near miss, a safety signal of its own.)
INTENT_GIVEN_UP = re.compile(
    r"本来想|原本想|本想|本来打算|原本打算|一度想|曾经想|想过要|"
    r"\b(?:i was going to|i was about to|i thought about|i considered|i had considered)\b"
)
# What ends a negation's reach: the clause ends, or the sentence turns to a consequence/condition.
CLAUSE_END = re.compile(r"[,，。.!！?？;；:：\n()（）\"“”]")
SCOPE_BREAKERS = re.compile(
    r"就|的话|否则|不然|那么|然后|但|可是|却|而且|结果|所以|因为|我|我们|你们|他们|要是|如果|作出|做出|给予|给出|"
    r"\b(?:if|then|otherwise|but|so|because|and|until|unless|i|we|you|they|will|i'll|we'll)\b"
)
# 没几天, 没多久, 没过多久 tell how soon, they negate nothing: 没几天又漏 is a leak back.
TIME_AFTER_NEGATOR = re.compile(r"几天|多久|过几天|过多久|一会|多长时间|两天|三天|几个月|一个月")
NEGATION_REACH = 12  # characters between a negator and what it negates (Chinese)
NEGATION_REACH_WORDS = 4  # words between a negator and what it negates (English)


@lru_cache(maxsize=1)
def _segmenter():  # noqa: ANN202 - rjieba's module
    import rjieba  # loaded on first use

    return rjieba


# a character every Chinese negator begins with: a text with none of them needs no segmenter
_NEGATOR_STARTS = re.compile(
    "[" + "".join(sorted({word[0] for word in NEGATORS if not word.isascii()})) + "]"
)


def negations(prepared: str) -> list[int]:
    """Where each negator word ends. Chinese words by the segmenter, English by regex."""
    ends: list[int] = []
    position = 0
    # the segmenter (its dictionary: a quarter of a second to load) only when a negator may be there
    words = _segmenter().cut(prepared) if _NEGATOR_STARTS.search(prepared) else []
    for word in words:
        position = prepared.find(word, position) if word else position
        if position < 0:  # the segmenter changed the text: fall back to no negation found
            break
        position += len(word)
        if (
            word in NEGATORS
            and not word.isascii()
            and not TIME_AFTER_NEGATOR.match(prepared, position)
        ):
            ends.append(position)
    ends.extend(match.end() for match in _EN_NEGATOR.finditer(prepared))
    ends.extend(match.end() for match in INTENT_GIVEN_UP.finditer(prepared))
    return ends


# ── 5. Hypotheticals: a condition's sentence tells what may happen, not what happened (如果下次
# 校正完还是一样 is no repair that failed). A threat's consequence is hypothetical too: levels
# count it (再不处理我就去12315), categories and lines do not.
# Another's hypothetical (要是她早就发网上了, "if I were you I'd go to the papers"): not even a threat.
COUNTERFACTUAL = re.compile(
    r"要是(?:她|他|别人|换了|换作|换成)|如果(?:是|换)?(?:她|他|别人|我朋友|我同事)|换作别人|换成别人|换了别人|"
    r"\b(?:if (?:i were|it were|she|he|they)|in (?:my|your|her|his) (?:place|shoes))\b"
)
CONDITION = re.compile(
    r"如果|要是|假如|假设|万一|倘若|若是|\b(?:if|in case|unless|should (?:the|it|this|that|they))\b"
)
SENTENCE_END = re.compile(r"[。.!！?？;；\n]")
CONDITION_REACH = 50


def _in_sentence(condition_end: int, signal_start: int, text: str) -> bool:
    between = text[condition_end:signal_start]
    return 0 <= signal_start - condition_end <= CONDITION_REACH and not SENTENCE_END.search(between)


# "not X or Y" negates Y too: 我不会找媒体或者去12315, "not going to sue anyone or write to the papers"
COORDINATION = re.compile(r"或者|或是|或|\b(?:or|nor)\b")


def _in_scope(negator_end: int, signal_start: int, text: str) -> bool:
    between = text[negator_end:signal_start] if 0 <= signal_start - negator_end <= 60 else None
    if between is None:
        return False
    reach = 3 if COORDINATION.search(between) else 1  # a disjunction carries it to its last part
    if between.isascii() and len(between.split()) > NEGATION_REACH_WORDS * reach:
        return False
    if not between.isascii() and len(between) > NEGATION_REACH * reach:
        return False
    return not CLAUSE_END.search(between) and not SCOPE_BREAKERS.search(between)
