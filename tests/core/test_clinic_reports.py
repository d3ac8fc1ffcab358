"""False-alarm reports: the signal kinds survive a custom id, and the summary reads well."""

from __future__ import annotations

from collections import Counter

from bot.core.scanning import Outcome, WordKind
from bot.core.scanning.reports import FalseAlarm, FalseAlarmCounts, kinds_from_code, signal_code


def test_every_set_of_kinds_survives_its_code() -> None:
    kinds = (WordKind.PRODUCT, WordKind.MONEY, WordKind.PLACE)
    code = signal_code(kinds)
    assert len(code) == 3 and code.isalpha() and code.islower()
    assert set(kinds_from_code(code)) == set(kinds)
    every = tuple(WordKind)
    assert set(kinds_from_code(signal_code(every))) == set(every)


def test_letters_a_release_does_not_know_are_left_out() -> None:
    assert kinds_from_code("z") == ()
    assert kinds_from_code(signal_code((WordKind.HSCT,)) + "z") == (WordKind.HSCT,)


def test_a_report_describes_its_card_and_signals_in_words() -> None:
    report = FalseAlarm(Outcome.CAUTION, (WordKind.PRODUCT, WordKind.MONEY))
    assert report.describe() == "the ISSCR caution, sent for a stem-cell product and a price"


def test_the_summary_counts_cards_and_names_the_commonest_signals() -> None:
    assert FalseAlarmCounts().summary().startswith("No card")
    counts = FalseAlarmCounts(
        {Outcome.CAUTION: 2, Outcome.CENTRE: 1}, Counter({WordKind.PLACE: 3, WordKind.HSCT: 1})
    )
    summary = counts.summary()
    assert summary.startswith("3 reported as not relevant") and "a place abroad (3)" in summary
