"""The labelled corpus through the real scanner: floors a little below issue 10's targets.

`bench/eval_clinic_watch.py` prints the full report (per-class precision and recall, the confusion
table, the messages scored wrongly); this test fails the suite when a change to the words or the
rules makes the clinic watch clearly worse. The floors are counts, so a failure says how many
messages moved: run the script with `--show-misses` to see which.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from bot.core.scanning import Outcome

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import eval_clinic_watch as corpus  # noqa: E402

# (label, outcome, floor): at least `floor` of the label's messages must get the outcome.
# Targets: false alarms <= 1% on care and chatter, caution >= 95% on unproven, centre >= 90%.
FLOORS = {
    "care": 0.98,
    "chatter": 0.98,
    "unproven": 0.93,
    "centre": 0.88,
}
HELD_OUT_FLOORS = {"care": 0.96, "chatter": 0.96, "unproven": 0.88, "centre": 0.85}


def _expected_at_least(scores: corpus.Scores, label: str, share: float) -> tuple[int, int]:
    return scores.table[label][corpus.EXPECTED[label]], math.ceil(share * scores.count(label))


@pytest.fixture(scope="module")
def tuned() -> corpus.Scores:
    return corpus.evaluate(corpus.load_corpus(corpus.CORPUS))


@pytest.fixture(scope="module")
def held_out() -> corpus.Scores:
    return corpus.evaluate(corpus.load_corpus(corpus.HELDOUT))


def test_the_corpus_is_big_varied_and_labelled() -> None:
    messages = corpus.load_corpus(corpus.CORPUS)
    assert len(messages) >= 300
    assert len({m.language for m in messages}) >= 6
    assert {m.label for m in messages} == set(corpus.LABELS)
    assert len({m.text for m in messages}) == len(messages), "a message is in the corpus twice"
    held_out = {m.text for m in corpus.load_corpus(corpus.HELDOUT)}
    assert not held_out & {m.text for m in messages}, "the held-out part must not repeat the corpus"


@pytest.mark.parametrize("label", list(FLOORS))
def test_floors_on_the_corpus(tuned: corpus.Scores, label: str) -> None:
    got, floor = _expected_at_least(tuned, label, FLOORS[label])
    assert got >= floor, f"{label}: {got} of {tuned.count(label)} right, floor {floor}"


@pytest.mark.parametrize("label", list(HELD_OUT_FLOORS))
def test_floors_on_the_held_out_part(held_out: corpus.Scores, label: str) -> None:
    got, floor = _expected_at_least(held_out, label, HELD_OUT_FLOORS[label])
    assert got >= floor, f"{label}: {got} of {held_out.count(label)} right, floor {floor}"


def test_own_care_never_gets_the_centre_card(tuned: corpus.Scores, held_out: corpus.Scores) -> None:
    """The worst false alarm: telling a member mid-treatment how to choose a transplant centre."""
    assert tuned.table["care"][Outcome.CENTRE] == 0
    assert held_out.table["care"][Outcome.CENTRE] == 0
