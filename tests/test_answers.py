"""Answers to the callback survey in Cantonese and in scorn (parsers/kinds.py `satisfaction`,
parsers/meaning.py negators): 唔滿意 and 冇 negate like 不 and 没; 满意个鬼 is no satisfaction."""

from __future__ import annotations

import pytest

from parsers.kinds import satisfaction
from parsers.meaning import Lexicon, Term, prepare


@pytest.mark.parametrize(
    "text, verdict",
    [
        ("唔滿意，部抽油煙機都係好大聲。", False),
        ("滿意，師傅好細心。", True),
        ("满意个屁，修完第三天又坏了。", False),
        ("满意才怪，等了一个月。", False),
        ("满意，谢谢你们跑了两趟。", True),
        ("师傅换了个阀门，结果今天还是这样，一放水就咕咚咕咚响。", False),  # the problem as it was
        ("Came and went, and the fridge is as bad as ever.", False),
        ("搞掂晒，部洗衣機而家好靜，唔該晒。", True),  # fixed, in Cantonese
        ("The heater is working again since Tuesday, cheers.", True),
    ],
)
def test_a_survey_answer(text, verdict):
    assert satisfaction(text, survey=True) is verdict


def test_cantonese_negators_negate_a_signal():
    lexicon = Lexicon([Term("受伤", "injury", 2)])
    assert [hit.negated for hit in lexicon.find(prepare("好彩冇人受傷"))] == [True]
    assert [hit.negated for hit in lexicon.find(prepare("個細路受傷咗"))] == [False]
