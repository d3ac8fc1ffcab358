"""Journal rules: what members type is read kindly, and every mistake gets a clear message."""

from __future__ import annotations

from datetime import UTC, date, datetime
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from journal_factory import make_entry

from bot.core.journal import rules
from bot.core.journal.model import (
    Cadence,
    EntryDraft,
    EntryKind,
    EntrySource,
    Phase,
    ReminderSettings,
    Therapy,
)
from bot.errors import InvalidInput, NotFound, UserFacingError

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", TODAY),
        ("  Today ", TODAY),
        ("", TODAY),
        ("yesterday", date(2026, 3, 14)),
        ("2026-03-15", TODAY),
        ("2025-1-5", date(2025, 1, 5)),
    ],
)
def test_entry_dates_that_are_understood(text: str, expected: date) -> None:
    assert rules.parse_entry_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-03-16", "in the future"),
        ("tomorrow", "YYYY-MM-DD"),
        ("15/03/2026", "YYYY-MM-DD"),
        ("2026-02-30", "not a real date"),
        ("1900-01-01", "too far back"),
    ],
)
def test_bad_entry_dates_are_refused_kindly(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        rules.parse_entry_date(text, TODAY)


def test_today_follows_the_member_time_zone() -> None:
    late_evening_utc = datetime(2026, 3, 15, 23, 0, tzinfo=UTC)
    assert rules.member_today(late_evening_utc, None) == date(2026, 3, 15)
    assert rules.member_today(late_evening_utc, ZoneInfo("Pacific/Auckland")) == date(2026, 3, 16)
    assert rules.member_today(late_evening_utc, ZoneInfo("America/Los_Angeles")) == date(2026, 3, 15)
    assert rules.latest_possible_today(late_evening_utc) == date(2026, 3, 16)


@pytest.mark.parametrize(("text", "value"), [("7", 7), (" 0 ", 0), ("10/10", 10), ("", None), (None, None)])
def test_ratings_from_forms(text: str | None, value: int | None) -> None:
    assert rules.parse_rating("feeling", text) == value


@pytest.mark.parametrize("text", ["11", "-1", "seven", "7.5"])
def test_out_of_range_ratings_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="0 to 10"):
        rules.parse_rating("fatigue", text)


def test_symptom_ratings_in_free_form() -> None:
    assert rules.parse_symptom_ratings("fatigue 6, pain: 3; mob=4 cog 2/10") == {
        "fatigue": 6,
        "pain": 3,
        "mobility": 4,
        "cognition": 2,
    }
    assert rules.parse_symptom_ratings("  ") == {}


@pytest.mark.parametrize("text", ["fatigue 12", "tiredness 5", "pain lots"])
def test_unreadable_symptoms_name_the_fix(text: str) -> None:
    with pytest.raises(InvalidInput, match="fatigue 6, pain 3"):
        rules.parse_symptom_ratings(text)


def test_text_is_cleaned_and_blank_is_nothing() -> None:
    assert rules.clean_text("  hello\r\nthere\x00 ") == "hello\nthere"
    assert rules.clean_text(" \n ") is None
    assert rules.clean_text(None) is None


def _cleaned_the_long_way(text: str) -> str | None:
    """What clean_text promises, without its shortcut for text that needs nothing done."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return rules._CONTROL_CHARACTERS.sub("", normalised).strip() or None


def test_no_printable_character_is_taken_for_a_control_character() -> None:
    """The shortcut returns printable text untouched: so nothing printable may be one the long way strips."""
    printable_controls = [
        hex(point)
        for point in range(0x110000)
        if chr(point).isprintable() and rules._CONTROL_CHARACTERS.match(chr(point))
    ]
    assert printable_controls == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "a",
        " a",
        "a ",
        "a b",
        "\x00",
        "a\x00b",
        "\r",
        "a\rb",
        "a\r\nb",
        "\t",
        "a\tb",
        "\x85a",
        "\xa0a",
        "a\u2028",
        "\u200b",
        "e\u0301",
        "\U0001f600",
        "\x7f",
        "\x9f",
        "\ufeff",
        "x" * 4000,
    ],
)
def test_clean_text_matches_the_long_way_on_edge_cases(text: str) -> None:
    assert rules.clean_text(text) == _cleaned_the_long_way(text)


@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=200))
@settings(max_examples=400, deadline=None)
def test_clean_text_matches_the_long_way_on_any_text(text: str) -> None:
    assert rules.clean_text(text) == _cleaned_the_long_way(text)


def test_a_draft_with_several_problems_lists_them_all() -> None:
    draft = EntryDraft(entry_date=date(2026, 3, 20), feeling=11, notes="x" * 4002)
    with pytest.raises(InvalidInput) as caught:
        rules.check_draft(draft, TODAY)
    message = caught.value.message
    assert "in the future" in message
    assert "How you feel overall" in message
    assert "4,002 characters" in message and "shorten by 2 characters" in message
    assert message.endswith("Nothing was saved.")


def test_notes_at_the_limit_are_fine() -> None:
    draft = rules.check_draft(EntryDraft(entry_date=TODAY, notes="é" * rules.MAX_NOTES_CHARS), TODAY)
    assert draft.notes is not None and len(draft.notes) == rules.MAX_NOTES_CHARS


def test_therapy_description_only_with_other() -> None:
    with pytest.raises(InvalidInput, match="Other"):
        rules.check_draft(EntryDraft(entry_date=TODAY, therapy=Therapy.AHSCT, therapy_other="x"), TODAY)


def test_quick_note_is_one_step() -> None:
    draft = rules.quick_note("Tired but okay today", TODAY)
    assert (draft.kind, draft.source, draft.entry_date, draft.notes) == (
        EntryKind.NOTE,
        EntrySource.DM_QUICK,
        TODAY,
        "Tired but okay today",
    )


def test_quick_note_over_the_limit_is_refused_politely() -> None:
    with pytest.raises(InvalidInput, match="Nothing was saved"):
        rules.quick_note("a" * (rules.MAX_NOTES_CHARS + 1), TODAY)
    with pytest.raises(InvalidInput, match="no text"):
        rules.quick_note("   ", TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aHSCT", (Therapy.AHSCT, None)),
        ("hsct", (Therapy.AHSCT, None)),
        ("MSC", (Therapy.MSC, None)),
        ("other", (Therapy.OTHER, None)),
        ("Ocrelizumab infusion", (Therapy.OTHER, "Ocrelizumab infusion")),
        ("", (None, None)),
    ],
)
def test_therapy_words(text: str, expected: tuple[Therapy | None, str | None]) -> None:
    assert rules.parse_therapy(text) == expected


@pytest.mark.parametrize(
    ("text", "phase"),
    [
        ("Mobilization", Phase.MOBILISATION),
        ("in hospital / engraftment", Phase.IN_HOSPITAL),
        ("engraftment", Phase.IN_HOSPITAL),
        ("follow up", Phase.FOLLOW_UP),
        ("follow_up", Phase.FOLLOW_UP),
        ("Infusion (day 0)", Phase.INFUSION),
    ],
)
def test_phase_words(text: str, phase: Phase) -> None:
    assert rules.parse_phase(text) is phase


def test_unknown_phase_lists_the_choices() -> None:
    with pytest.raises(InvalidInput, match="Considering, Consultation"):
        rules.parse_phase("waiting")


def test_kinds() -> None:
    assert rules.parse_kind("check-in") is EntryKind.CHECKIN
    assert rules.parse_kind(None) is EntryKind.NOTE
    with pytest.raises(InvalidInput):
        rules.parse_kind("diary")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:00", clock_time(21)),
        ("9pm", clock_time(21)),
        ("9:30 am", clock_time(9, 30)),
        ("0730", clock_time(7, 30)),
    ],
)
def test_times_of_day(text: str, expected: clock_time) -> None:
    assert rules.parse_local_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "13pm", "noonish", "9:75"])
def test_bad_times_of_day(text: str) -> None:
    with pytest.raises(InvalidInput, match="21:00"):
        rules.parse_local_time(text)


def test_time_zones() -> None:
    assert rules.parse_timezone("Europe/London").key == "Europe/London"
    assert rules.parse_timezone("utc").key == "UTC"
    with pytest.raises(InvalidInput, match="Europe/Berlin"):
        rules.parse_timezone("Berlin")
    with pytest.raises(InvalidInput, match="Europe/London"):
        rules.parse_timezone("../../etc/passwd")
    assert "Europe/London" in rules.suggest_timezones("london")
    assert len(rules.suggest_timezones("")) == 25


def test_entry_numbers_and_not_found() -> None:
    assert rules.parse_entry_number("#3") == 3
    assert rules.parse_entry_number(12) == 12
    with pytest.raises(InvalidInput):
        rules.parse_entry_number("three")
    with pytest.raises(InvalidInput):
        rules.parse_entry_number(0)
    error = rules.no_entry(4)
    assert isinstance(error, NotFound) and isinstance(error, UserFacingError)
    assert "no entry #4" in error.message


def test_cadence_and_weekday() -> None:
    assert rules.parse_cadence("Daily") is not None
    assert rules.parse_cadence("off") is None
    assert rules.parse_weekday("Mon") == 0 and rules.parse_weekday("su") == 6
    with pytest.raises(InvalidInput):
        rules.parse_weekday("t")  # Tuesday or Thursday?
    with pytest.raises(InvalidInput):
        rules.parse_cadence("hourly")


def test_infusion_day_counting() -> None:
    infusions = [date(2026, 1, 10), date(2026, 1, 11)]  # two notes in the infusion phase: one day 0
    assert rules.infusion_day(date(2026, 1, 10), infusions) == 0
    assert rules.infusion_day(date(2026, 2, 9), infusions) == 30
    assert rules.infusion_day(date(2026, 1, 5), infusions) == -5
    assert rules.infusion_day(date(2025, 6, 1), infusions) is None  # long before: no countdown
    assert rules.infusion_day(date(2026, 1, 10), []) is None
    second = [*infusions, date(2027, 1, 1)]
    assert rules.infusion_day(date(2027, 1, 31), second) == 30


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("aHSCT, recovery", (Therapy.AHSCT, None, Phase.RECOVERY)),
        ("recovery", (None, None, Phase.RECOVERY)),
        ("MSC", (Therapy.MSC, None, None)),
        ("ocrelizumab, 600 mg", (Therapy.OTHER, "ocrelizumab, 600 mg", None)),
        ("ocrelizumab; In hospital / engraftment", (Therapy.OTHER, "ocrelizumab", Phase.IN_HOSPITAL)),
        ("", (None, None, None)),
    ],
)
def test_the_therapy_and_phase_field_reads_both_halves(typed: str, expected: tuple[object, ...]) -> None:
    assert rules.parse_therapy_and_phase(typed) == expected


def test_a_mistyped_phase_after_a_known_therapy_is_reported() -> None:
    with pytest.raises(InvalidInput, match="I don't know the phase 'recovry'"):
        rules.parse_therapy_and_phase("aHSCT, recovry")


def test_symptom_parsing_of_a_long_run_of_letters() -> None:
    """The pattern once backtracked quadratically on this; its cost is measured in bench/bench_text.py."""
    assert rules._SYMPTOM_PAIR.findall("a" * 6000) == []
    assert rules._SYMPTOM_PAIR.findall("a" * 6000 + " 5") == [("a" * 6000, "5")]


def test_symptoms_longer_than_the_form_allows_are_refused_kindly() -> None:
    with pytest.raises(InvalidInput, match="the limit is 200") as caught:
        rules.parse_symptom_ratings("fatigue 6, " * 30)
    assert "fatigue 6, pain 3" in caught.value.message
    assert rules.parse_symptom_ratings(("fatigue 6, " * 18).strip()) == {"fatigue": 6}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fatigue: 6; mob=4, pain 3/10 cog 2 / 10", {"fatigue": 6, "mobility": 4, "pain": 3, "cognition": 2}),
        ("mood10", {"mood": 10}),
    ],
)
def test_symptom_ratings_still_read_the_same_way(text: str, expected: dict[str, int]) -> None:
    assert rules.parse_symptom_ratings(text) == expected


SYDNEY_MORNING = datetime(2026, 1, 1, 22, 30, tzinfo=UTC)  # 09:30 on 2 January in Sydney


def test_without_a_zone_any_date_that_is_today_somewhere_is_accepted() -> None:
    day = rules.member_day(SYDNEY_MORNING, None)
    assert (day.today, day.latest, day.zone_known) == (date(2026, 1, 1), date(2026, 1, 2), False)
    assert rules.parse_entry_date("2026-01-02", day) == date(2026, 1, 2)
    assert rules.parse_entry_date("today", day) == date(2026, 1, 1)  # UTC, and the reply says so
    assert rules.parse_entry_date("yesterday", day) == date(2025, 12, 31)
    with pytest.raises(InvalidInput, match="2026-01-03 is in the future everywhere in the world"):
        rules.parse_entry_date("2026-01-03", day)
    assert rules.check_draft(EntryDraft(entry_date=date(2026, 1, 2), notes="x"), day).notes == "x"


def test_with_a_zone_today_is_the_members_own_date() -> None:
    day = rules.member_day(SYDNEY_MORNING, ZoneInfo("Australia/Sydney"))
    assert (day.today, day.latest, day.zone_known) == (date(2026, 1, 2), date(2026, 1, 2), True)
    assert rules.parse_entry_date("today", day) == date(2026, 1, 2)
    with pytest.raises(InvalidInput, match=r"today is 2026-01-02 where you are"):
        rules.parse_entry_date("2026-01-03", day)


@pytest.mark.parametrize(
    ("text", "relative"), [(None, True), (" Today ", True), ("yesterday", True), ("2026-01-01", False)]
)
def test_relative_dates_are_the_ones_that_depend_on_the_zone(text: str | None, relative: bool) -> None:
    assert rules.is_relative_date(text) is relative


def test_time_zone_names_are_read_from_disk_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Autocomplete asks on every keystroke; walking the zoneinfo tree each time is slow."""
    calls: list[int] = []
    real = rules.available_timezones

    def counting() -> set[str]:
        calls.append(1)
        return real()

    monkeypatch.setattr(rules, "available_timezones", counting)
    rules._timezone_names.cache_clear()
    try:
        for typed in ("lon", "london", "Europe/", "syd", ""):
            assert rules.suggest_timezones(typed)
        assert len(calls) == 1
        assert rules.suggest_timezones("london")[0] == "Europe/London"
        assert rules.suggest_timezones("sydney") == ["Australia/Sydney"]
    finally:
        rules._timezone_names.cache_clear()


def test_problems_are_collected_and_refused_together() -> None:
    problems: list[str] = []
    assert rules.attempt(problems, lambda: rules.parse_local_time("9pm")) == clock_time(21, 0)
    assert rules.attempt(problems, lambda: rules.parse_local_time("25:00")) is None
    rules.raise_problems([])  # nothing wrong: nothing raised
    with pytest.raises(InvalidInput) as one:
        rules.raise_problems(problems)
    assert one.value.message == problems[0] + " Nothing was saved."
    with pytest.raises(InvalidInput) as several:
        rules.raise_problems(["First.", "Second."])
    assert several.value.message == (
        "A few things need fixing before I can save this:\n- First.\n- Second.\nNothing was saved."
    )


def test_a_confirmation_lasts_fifteen_minutes_and_one_without_a_time_never_works() -> None:
    asked = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    stamp = rules.confirmation_stamp(asked)
    assert stamp == int(asked.timestamp())
    assert not rules.confirmation_expired(stamp, asked.replace(minute=15))
    assert rules.confirmation_expired(stamp, asked.replace(minute=15, second=1))
    assert rules.confirmation_expired(None, asked)


def existing_reminder(weekday: int | None = 2) -> ReminderSettings:
    cadence = Cadence.WEEKLY if weekday is not None else Cadence.DAILY
    due = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
    return ReminderSettings(7, cadence, clock_time(20, 0), "Europe/London", weekday, due)


def test_reminder_options_carry_over_the_time_and_weekday_of_the_existing_reminder() -> None:
    assert rules.parse_reminder_options(None, None, None, existing_reminder()) == rules.ReminderRequest(
        clock_time(20, 0), None, 2
    )
    changed = rules.parse_reminder_options("7am", "Asia/Tokyo", "fri", existing_reminder())
    assert changed == rules.ReminderRequest(clock_time(7, 0), ZoneInfo("Asia/Tokyo"), 4)
    assert rules.parse_reminder_options(" ", "", "", existing_reminder(None)).weekday is None


def test_a_first_reminder_needs_a_time_and_every_problem_is_named() -> None:
    with pytest.raises(InvalidInput) as missing:
        rules.parse_reminder_options(None, None, None, None)
    assert missing.value.message == rules.MISSING_REMINDER_TIME + " Nothing was saved."
    with pytest.raises(InvalidInput) as several:
        rules.parse_reminder_options("noon-ish", "Atlantis/Nowhere", "t", None)
    for part in ("as a time of day", "time zone 'Atlantis/Nowhere'", "which day 't'"):
        assert part in several.value.message


def test_today_is_read_in_utc_only_for_relative_dates_without_a_zone() -> None:
    unknown = rules.member_day(SYDNEY_MORNING, None)
    known = rules.member_day(SYDNEY_MORNING, ZoneInfo("Australia/Sydney"))
    assert rules.today_read_in_utc(unknown, None) and rules.today_read_in_utc(unknown, "yesterday")
    assert not rules.today_read_in_utc(unknown, "2026-01-01")
    assert not rules.today_read_in_utc(known, "today")


def test_entries_are_suggested_by_the_start_of_their_number() -> None:
    entries = [make_entry(seq) for seq in (12, 3, 1, 21)]
    assert [e.seq for e in rules.entries_numbered_like(entries, "")] == [12, 3, 1, 21]
    assert [e.seq for e in rules.entries_numbered_like(entries, " #1")] == [12, 1]
    assert [e.seq for e in rules.entries_numbered_like(entries, "2")] == [21]
