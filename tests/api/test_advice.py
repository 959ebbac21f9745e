"""The advice on each kind of finding: one entry for every kind the analytics report."""

from __future__ import annotations

import pytest

from analytics.health.reference import KINDS
from api.advice import ADVICE, Words, advice_for


def test_every_kind_the_analytics_report_has_advice() -> None:
    assert set(ADVICE) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(ADVICE))
def test_the_texts_are_short_sentences_in_both_languages(kind: str) -> None:
    advice = ADVICE[kind]
    for words in (advice.title, advice.cause, advice.check):
        assert isinstance(words, Words)
        for text in (words.nb, words.en):
            assert text == text.strip()
            assert "  " not in text
            assert 3 <= len(text) <= 300
        assert words.nb != words.en
    for words in (advice.cause, advice.check):
        assert words.nb.endswith(".")
        assert words.en.endswith(".")
    assert not advice.title.en.endswith(".")


def test_a_kind_without_advice() -> None:
    assert advice_for("after_hours_operation") is ADVICE["after_hours_operation"]
    assert advice_for("no_such_kind") is None
