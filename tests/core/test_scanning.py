"""The scanner's parts: normalisation, compile-once, the context window, cooldowns and word lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.clock import FakeClock
from bot.core.scanning import (
    NO_HITS,
    ClinicWatchSettings,
    ClinicWordLists,
    ClinicWordsError,
    CooldownPolicy,
    MessageScanner,
    Outcome,
    Sensitivity,
    Trigger,
    TriggerKind,
    WordKind,
    load_clinic_watch_words,
    normalise,
    normalise_word,
    parse_clinic_watch_words,
)
from bot.core.scanning.context import ContextWindows
from bot.core.scanning.words import PLACES_FILE_NAME, check_place_names, read_place_names
from bot.errors import InvalidInput
from bot.settings import packaged_content_dir

GUILD = 1
CHANNEL = 10
OTHER_CHANNEL = 11

WORDS = ClinicWordLists(
    clinic=("clinic", "stem cell clinic", "klinik"),
    context=("stem cell",),
    product=("msc", "exosome"),
    hsct=("hsct",),
    venue=("centre",),
    travel=("abroad",),
    place=("mexico", "panama", "cancun", "москва"),
    money=("paid",),
    claim=("cure",),
    care=("ms clinic", "my team"),
    research=("study",),
    neutral=("msc thesis", "walk in clinic"),
)


def make_scanner(clock: FakeClock, **settings: object) -> MessageScanner:
    scanner = MessageScanner(WORDS, clock)
    scanner.set_settings(replace(ClinicWatchSettings(GUILD), **settings))
    return scanner


# --- normalisation ---


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Clínica", "clinica"),
        ("CLINIC", "clinic"),
        ("  stem \n\t cell  ", "stem cell"),
        ("Straße", "strasse"),
        ("ＣＬＩＮＩＣ", "clinic"),
        ("stem\u00a0cell", "stem cell"),
        ("Клиника", "клиника"),
        ("see <:clinic:123456789> and <@42>", "see and"),
    ],
    ids=["accent", "case", "whitespace", "casefold_sharp_s", "full_width", "nbsp", "cyrillic", "markup"],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_leaves_plain_ascii_alone_apart_from_case() -> None:
    assert normalise("ok so I asked my neuro") == "ok so i asked my neuro"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Stem-Cell  Clínic", "stem cell clinic"), ("Wharton’s jelly", "wharton's jelly"), (" HSCT ", "hsct")],
)
def test_normalise_word_gives_one_canonical_form(raw: str, expected: str) -> None:
    assert normalise_word(raw) == expected


@pytest.mark.parametrize("bad", ["", "  ", "!!", "ms", "x" * 61, "a b c d e f g"])
def test_normalise_word_rejects_unusable_words(bad: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_word(bad)


# --- compile once, rebuild on change ---


def test_matcher_is_compiled_once_not_per_message(clock: FakeClock) -> None:
    """Three sets per server (topics, what surrounds them, places), built on the first message only."""
    scanner = make_scanner(clock)
    for _ in range(50):
        scanner.scan(GUILD, CHANNEL, "just chatting about fatigue and MSC in Mexico")
    assert scanner.builds == 3


def test_settings_change_takes_effect_without_compiling_again(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "the clinic called").alert is None
    scanner.set_settings(replace(scanner.settings_for(GUILD), sensitivity=Sensitivity.BROAD))
    assert scanner.scan(GUILD, CHANNEL, "the clinic called").alert is not None
    assert scanner.builds == 3  # the same words in both modes: the compiled sets are shared


def test_invalidate_alone_rebuilds_from_current_settings(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "hello")
    scanner.invalidate(GUILD)
    scanner.scan(GUILD, CHANNEL, "hello")
    # Identical triggers: the shared compiled matchers are reused rather than compiled again.
    assert scanner.builds == 3


def test_servers_with_the_same_words_share_one_matcher(clock: FakeClock) -> None:
    scanner = MessageScanner(WORDS, clock)
    for guild_id in range(20):
        scanner.scan(guild_id, CHANNEL, "hello")
    assert scanner.builds == 3


def test_disabled_server_skips_the_scan(clock: FakeClock) -> None:
    scanner = make_scanner(clock, enabled=False)
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic in Mexico") is NO_HITS
    assert scanner.builds == 0


def test_nothing_found_returns_the_shared_empty_result(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "my legs are tired today") is NO_HITS
    assert scanner.scan(GUILD, CHANNEL, "paid a lot for Mexico") is NO_HITS  # no topic: one pass only


def test_auto_response_triggers_share_the_same_pass(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.set_rule_triggers(GUILD, [Trigger(TriggerKind.RULE, "rule-7", r"\bmri\b")])
    result = scanner.scan(GUILD, CHANNEL, "MRI at the clinic in Mexico, they sell MSC")
    assert result.rule_labels == ("rule-7",)
    assert result.outcome is Outcome.CAUTION


# --- the three outcomes ---


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("MSC infusions at a centre in Panama", Outcome.CAUTION),
        ("flying to Cancun for stem cells", Outcome.CAUTION),
        ("exosome cure, they say", Outcome.CAUTION),
        ("HSCT in Mexico, anyone?", Outcome.CENTRE),
        ("paid for HSCT abroad", Outcome.CENTRE),
        ("my team says HSCT is on for March", Outcome.QUIET),
        ("HSCT at the clinic next week", Outcome.QUIET),
        ("Mexico was lovely", Outcome.QUIET),
        ("paid 30 dollars for parking", Outcome.QUIET),
        ("a study of MSC in mice", Outcome.QUIET),
        ("stem cells are fascinating", Outcome.QUIET),
    ],
)
def test_outcomes(clock: FakeClock, text: str, outcome: Outcome) -> None:
    assert make_scanner(clock).scan(GUILD, CHANNEL, text).outcome is outcome


def test_the_alert_names_its_signals_and_never_the_members_words(clock: FakeClock) -> None:
    alert = make_scanner(clock).scan(GUILD, CHANNEL, "Paid for MSC at a centre in Panama").alert
    assert alert is not None
    assert [signal.kind for signal in alert.signals] == [
        WordKind.PRODUCT,
        WordKind.VENUE,
        WordKind.PLACE,
        WordKind.MONEY,
    ]
    sentence = alert.explanation()
    assert sentence == (
        "Why am I seeing this? This message mentions a stem-cell product, a clinic or centre, "
        "a place abroad and a price."
    )
    assert not {"paid", "msc", "panama"} & set(sentence.lower().replace(",", "").split())


def test_place_names_in_other_scripts(clock: FakeClock) -> None:
    assert make_scanner(clock).scan(GUILD, CHANNEL, "HSCT в Москва?").outcome is Outcome.CENTRE


@pytest.mark.parametrize("sensitivity", list(Sensitivity), ids=str)
def test_a_place_or_a_price_alone_never_fires(clock: FakeClock, sensitivity: Sensitivity) -> None:
    scanner = make_scanner(clock, sensitivity=sensitivity)
    for text in ("Mexico!", "paid 40k", "going abroad, to Panama", "the centre in Cancun"):
        assert scanner.scan(GUILD, CHANNEL, text) is NO_HITS, text


# --- strict mode's context window ---


def test_a_product_then_a_clinic_abroad_is_one_mention(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "I keep reading about MSC").alert is None
    clock.advance(minutes=2)
    alert = scanner.scan(GUILD, CHANNEL, "there's a clinic that does it").alert
    assert alert is not None and alert.joined_with_earlier and alert.outcome is Outcome.CAUTION
    assert alert.words == ("msc", "clinic")
    assert "This conversation" in alert.explanation()


def test_context_in_another_channel_does_not_count(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, OTHER_CHANNEL, "MSC news")
    assert scanner.scan(GUILD, CHANNEL, "the clinic was busy").alert is None


def test_context_expires_by_age(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "MSC question")
    clock.advance(minutes=11)
    assert scanner.scan(GUILD, CHANNEL, "the clinic was busy").alert is None


def test_context_expires_after_five_other_messages(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "MSC question")
    for _ in range(5):
        scanner.scan(GUILD, CHANNEL, "unrelated chat")
    assert scanner.scan(GUILD, CHANNEL, "the clinic was busy").alert is None


def test_context_four_messages_back_still_counts(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "MSC question")
    for _ in range(4):
        scanner.scan(GUILD, CHANNEL, "unrelated chat")
    assert scanner.scan(GUILD, CHANNEL, "the clinic was busy").alert is not None


def test_a_place_in_passing_never_waits_in_the_window(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "back from Mexico, paid too much for everything")
    assert CHANNEL not in scanner._windows.channels
    assert scanner.scan(GUILD, CHANNEL, "HSCT is on my mind").alert is None


def test_window_memory_is_bounded_per_channel_and_in_channels() -> None:
    windows = ContextWindows(messages=3, max_age=timedelta(minutes=10), max_channels=4)
    for channel in range(10):
        for second in range(10):
            windows.remember(channel, float(second), {WordKind.HSCT: ("hsct",)})
    assert len(windows) == 4
    assert windows.recall(0, 10.0) == {}  # the oldest channels were forgotten
    assert windows.recall(9, 10.0) == {WordKind.HSCT: ("hsct",)}
    assert max(len(memory.entries) for memory in windows.channels.values()) == 3


def test_window_keeps_only_words_never_text(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "my private story about HSCT and my family")
    remembered = scanner._windows.channels[CHANNEL].entries[0]
    assert remembered[2] == {WordKind.HSCT: ("hsct",)}  # words by kind: no text


def test_a_card_clears_the_window(clock: FakeClock) -> None:
    scanner = make_scanner(clock, cooldown_minutes=1)
    scanner.scan(GUILD, CHANNEL, "MSC question")
    assert scanner.scan(GUILD, CHANNEL, "which clinic?").alert is not None
    clock.advance(minutes=2)
    assert scanner.scan(GUILD, CHANNEL, "clinic parking is awful").alert is None


def test_broad_mode_keeps_no_window(clock: FakeClock) -> None:
    scanner = make_scanner(clock, sensitivity=Sensitivity.BROAD)
    scanner.scan(GUILD, CHANNEL, "HSCT question")
    assert CHANNEL not in scanner._windows.channels


# --- cooldown ---


def test_cooldown_policy_is_pure(clock: FakeClock) -> None:
    policy = CooldownPolicy(timedelta(minutes=30))
    start = clock.now()
    assert policy.ready(None, start)
    assert not policy.ready(start, start + timedelta(minutes=29))
    assert policy.ready(start, start + timedelta(minutes=30))
    assert policy.remaining(start, start + timedelta(minutes=20)) == timedelta(minutes=10)
    assert policy.remaining(start, start + timedelta(hours=2)) == timedelta(0)
    assert not policy.ready(start, start - timedelta(minutes=5)), "a clock set back must not unlock early"


def test_one_card_per_channel_per_cooldown(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic?").alert is not None
    clock.advance(minutes=29)
    assert scanner.scan(GUILD, CHANNEL, "HSCT in Mexico?").alert is None  # either card waits
    assert scanner.scan(GUILD, OTHER_CHANNEL, "stem cell clinic?").alert is not None
    clock.advance(minutes=1)
    assert scanner.scan(GUILD, CHANNEL, "HSCT in Mexico?").outcome is Outcome.CENTRE


def test_cooldown_loaded_from_storage_survives_a_restart(clock: FakeClock) -> None:
    fired_before_restart = clock.now()
    clock.advance(minutes=10)
    scanner = make_scanner(clock)
    scanner.load_last_fired({CHANNEL: fired_before_restart})
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic?").alert is None
    assert scanner.cooldown_remaining(GUILD, CHANNEL) == timedelta(minutes=20)


def test_the_card_carries_its_time_for_the_caller_to_persist(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    hit = scanner.scan(GUILD, CHANNEL, "klinik for stem cells")
    assert hit.alert is not None and hit.alert.fired_at == clock.now()
    assert scanner.last_fired(CHANNEL) == clock.now()


# --- where the clinic watch never speaks ---


def test_ignored_channel_and_threads_under_it(clock: FakeClock) -> None:
    scanner = make_scanner(clock, ignored_channel_ids=frozenset({CHANNEL}))
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic").alert is None
    assert scanner.scan(GUILD, 999, "stem cell clinic", parent_channel_id=CHANNEL).alert is None
    assert scanner.scan(GUILD, OTHER_CHANNEL, "stem cell clinic").alert is not None


def test_broad_explanation_names_the_clinic(clock: FakeClock) -> None:
    scanner = make_scanner(clock, sensitivity=Sensitivity.BROAD)
    hit = scanner.scan(GUILD, CHANNEL, "the clinic rang")
    assert hit.alert is not None
    assert hit.alert.explanation() == "Why am I seeing this? This message mentions a clinic."


def test_broad_mode_still_spares_own_care(clock: FakeClock) -> None:
    scanner = make_scanner(clock, sensitivity=Sensitivity.BROAD)
    assert scanner.scan(GUILD, CHANNEL, "my MS clinic rang").alert is None
    assert scanner.scan(GUILD, CHANNEL, "my team said the clinic is shut").alert is None


# --- the dry run ---


def test_preview_gives_outcome_signals_and_positions(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    text = "My MS clinic said the clinic in Mexico sells MSC"
    preview = scanner.preview(GUILD, text, channel_id=CHANNEL)
    assert preview.outcome is Outcome.CAUTION and preview.would_send and not preview.held_by_cooldown
    found = {(m.word, m.counted): m.spans for m in preview.matches}
    assert found[("ms clinic", True)] == ((3, 12),)
    assert found[("clinic", True)] == ((6, 12), (22, 28))  # counted: the second one is outside
    assert found[("msc", True)] == ((45, 48),)
    assert text.lower()[22:28] == "clinic"
    assert [m.word for m in preview.matches][:2] == ["ms clinic", "clinic"]  # in the order of the text
    assert scanner.last_fired(CHANNEL) is None, "a dry run takes no cooldown"


def test_preview_says_when_a_cooldown_would_hold_it(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "stem cell clinic in Mexico")
    preview = scanner.preview(GUILD, "HSCT in Mexico", channel_id=CHANNEL)
    assert preview.outcome is Outcome.CENTRE and preview.held_by_cooldown and not preview.would_send
    assert preview.cooldown_remaining == timedelta(minutes=30)
    assert scanner.preview(GUILD, "HSCT in Mexico", channel_id=OTHER_CHANNEL).would_send


def test_preview_knows_ignored_channels_and_a_watch_turned_off(clock: FakeClock) -> None:
    scanner = make_scanner(clock, ignored_channel_ids=frozenset({CHANNEL}))
    preview = scanner.preview(GUILD, "stem cell clinic", channel_id=999, parent_channel_id=CHANNEL)
    assert preview.outcome is Outcome.CAUTION and preview.ignored_here and not preview.would_send
    off = make_scanner(clock, enabled=False).preview(GUILD, "stem cell clinic", channel_id=CHANNEL)
    assert off.outcome is Outcome.QUIET and not off.enabled and off.matches == ()


def test_known_gap_ascii_word_next_to_another_script(clock: FakeClock) -> None:
    """re2's \\b is ASCII-only: a Latin word glued to Cyrillic letters still reads as a word.

    Accents are gone before matching, so this only happens with mixed scripts; recorded here
    so a change of engine or boundary notices it.
    """
    scanner = make_scanner(clock, sensitivity=Sensitivity.BROAD)
    assert scanner.scan(GUILD, CHANNEL, "clinicа").alert is not None  # Cyrillic "а" at the end


# --- neutral and care phrases cancel only the words inside them ---

FRENCH_WORDS = ClinicWordLists(
    clinic=("clinique", "clinic"),
    context=("cellule souche",),
    hsct=("hsct",),
    place=("geneve",),
    neutral=("essai clinique",),
    care=("ms clinic",),
)


def make_neutral_scanner(
    clock: FakeClock, words: ClinicWordLists = WORDS, **settings: object
) -> MessageScanner:
    scanner = MessageScanner(words, clock)
    scanner.set_settings(replace(ClinicWatchSettings(GUILD), **settings))
    return scanner


@pytest.mark.parametrize("sensitivity", list(Sensitivity), ids=str)
def test_a_care_phrase_cancels_the_word_it_contains(clock: FakeClock, sensitivity: Sensitivity) -> None:
    scanner = make_neutral_scanner(clock, sensitivity=sensitivity)
    assert scanner.scan(GUILD, CHANNEL, "My MS clinic will talk about MSC").alert is None
    preview = scanner.preview(GUILD, "My MS clinic will talk about MSC")
    assert [m.word for m in preview.matches if m.kind is WordKind.CLINIC and m.counted] == []


def test_the_msc_degree_is_not_a_product(clock: FakeClock) -> None:
    scanner = make_neutral_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "my MSc thesis is about a clinic in Mexico").alert is None
    assert scanner.scan(GUILD, OTHER_CHANNEL, "my clinic thesis is about MSC in Mexico").alert is not None


def test_the_same_word_outside_the_phrase_still_counts(clock: FakeClock) -> None:
    """Positions, not just hits: only the occurrence inside the neutral phrase is cancelled."""
    scanner = make_neutral_scanner(clock, FRENCH_WORDS)
    text = "La clinique de Genève vend des cellules souches, ce n'est pas un essai clinique"
    assert scanner.scan(GUILD, CHANNEL, text).outcome is Outcome.CAUTION
    assert scanner.scan(GUILD, OTHER_CHANNEL, "un essai clinique sur les cellules souches").alert is None


def test_the_exact_check_agrees_with_the_counting_shortcut(clock: FakeClock) -> None:
    """ "MS-clinic" escapes the plain counts, so the words are placed one by one; same answer."""
    scanner = make_neutral_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "my MS-clinic talked about MSC").alert is None
    assert scanner.scan(GUILD, CHANNEL, "MS clinic talked about MSC from the clinic").alert is not None


def test_cancelled_words_are_not_kept_for_the_next_message(clock: FakeClock) -> None:
    scanner = make_neutral_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "MS clinic was running late").alert is None
    assert scanner.scan(GUILD, CHANNEL, "they mentioned MSC though").alert is None
    assert scanner.scan(GUILD, OTHER_CHANNEL, "MSc thesis draft done").alert is None
    assert scanner.scan(GUILD, OTHER_CHANNEL, "the clinic called").alert is None


def test_neutral_phrases_follow_the_servers_words(clock: FakeClock) -> None:
    """Only phrases that cover a word the server watches are compiled; its own words win."""
    scanner = make_neutral_scanner(clock, sensitivity=Sensitivity.BROAD)
    scanner.scan(GUILD, CHANNEL, "hello")
    surrounding = scanner._guilds[GUILD].surrounding
    assert surrounding is not None
    neutral = [t.label for t in surrounding.triggers if t.kind is TriggerKind.NEUTRAL]
    assert neutral == ["msc thesis", "walk in clinic"]
    added = scanner.settings_for(GUILD).with_word(WordKind.CLINIC, "walk in clinic", WORDS)
    scanner.set_settings(added)
    hit = scanner.scan(GUILD, CHANNEL, "the walk-in clinic rang").alert
    assert hit is not None and hit.words == ("clinic", "walk in clinic")


def test_shipped_neutral_phrases_load() -> None:
    words = load_clinic_watch_words(packaged_content_dir())
    assert {"msc thesis", "hair transplant", "walk in clinic"} <= set(words.neutral)
    assert {"essai clinique", "investigacion clinica", "clinical trial"} <= set(words.research)
    assert {"ms clinic", "transplant clinic", "fertility clinic", "late effects"} <= set(words.care)


def test_loader_checks_neutral_phrases() -> None:
    raw = {
        "clinic_words": ["clinic"],
        "context_words": ["hsct"],
        "neutral_phrases": ["ms clinic", "clinic", "ensayo clínico", "MS  Clinic"],
    }
    with pytest.raises(ClinicWordsError) as caught:
        parse_clinic_watch_words(raw, "clinic_watch.yaml")
    problems = caught.value.problems
    assert len(problems) == 3
    assert any(p.startswith("clinic_watch.yaml:neutral_phrases[3]:") and "entry [0]" in p for p in problems)
    assert any(p.startswith("clinic_watch.yaml:neutral_phrases[1]:") and "itself" in p for p in problems)
    assert any(
        p.startswith("clinic_watch.yaml:neutral_phrases[2]:") and "no listed word" in p for p in problems
    )


def test_neutral_phrases_and_the_signal_lists_are_optional_in_the_file() -> None:
    words = parse_clinic_watch_words({"clinic_words": ["clinic"], "context_words": ["hsct"]})
    assert words.neutral == () and words.product == () and words.place == ()


def test_a_word_belongs_to_one_list() -> None:
    raw = {"clinic_words": ["clinic"], "context_words": ["stem cell"], "venue_words": ["Clinic"]}
    with pytest.raises(ClinicWordsError, match=r"venue_words\[0\]: 'clinic' is also in clinic_words"):
        parse_clinic_watch_words(raw)


def test_a_listed_word_is_not_also_a_place() -> None:
    raw = {"clinic_words": ["clinic"], "context_words": ["stem cell"]}
    words = parse_clinic_watch_words(raw, places=("mexico", "clinic"))
    assert words.place == ("mexico",)


def test_place_names_that_are_not_canonical_or_repeat_are_reported_by_check() -> None:
    problems = check_place_names(("mexico", "Costa Rica", "mexico", "x"))
    assert len(problems) == 3
    assert "name 2 ('Costa Rica') should read 'costa rica'" in problems[0]
    assert "listed twice" in problems[1] and "name 4" in problems[2]


def test_every_shipped_place_name_is_canonical_and_listed_once() -> None:
    names = read_place_names(packaged_content_dir() / PLACES_FILE_NAME)
    assert len(names) > 1000 and check_place_names(names) == []


# --- editing word lists ---


def test_added_word_is_matched_after_rebuild(clock: FakeClock) -> None:
    scanner = make_scanner(clock, sensitivity=Sensitivity.BROAD)
    assert scanner.scan(GUILD, CHANNEL, "a medical spa in Cancun").alert is None
    settings = scanner.settings_for(GUILD).with_word(WordKind.CLINIC, "Medical Spa", WORDS)
    scanner.set_settings(settings)
    assert scanner.scan(GUILD, CHANNEL, "a medical spa in Cancun").alert is not None


def test_every_list_can_be_edited_per_server(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "HSCT in Tbilisi").alert is None
    scanner.set_settings(scanner.settings_for(GUILD).with_word(WordKind.PLACE, "Tbilisi", WORDS))
    assert scanner.scan(GUILD, CHANNEL, "HSCT in Tbilisi").outcome is Outcome.CENTRE


def test_removing_a_default_word_is_remembered_and_reversible() -> None:
    settings = ClinicWatchSettings(GUILD).without_word(WordKind.CLINIC, "Klinik", WORDS)
    assert settings.removed(WordKind.CLINIC) == {"klinik"}
    assert "klinik" not in settings.effective_words(WordKind.CLINIC, WORDS)
    restored = settings.with_word(WordKind.CLINIC, "klinik", WORDS)
    assert restored.words_removed == frozenset() and restored.words_added == frozenset()
    assert "klinik" in restored.effective_words(WordKind.CLINIC, WORDS)


def test_removing_an_added_word_forgets_it() -> None:
    settings = ClinicWatchSettings(GUILD).with_word(WordKind.CONTEXT, "cell therapy", WORDS)
    assert settings.added(WordKind.CONTEXT) == {"cell therapy"}
    assert settings.without_word(WordKind.CONTEXT, "CELL therapy", WORDS).words_added == frozenset()


def test_removed_default_stops_matching(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "clinic for stem cells").alert is not None
    scanner.set_settings(scanner.settings_for(GUILD).without_word(WordKind.CONTEXT, "stem cell", WORDS))
    assert scanner.scan(GUILD, OTHER_CHANNEL, "clinic for stem cells").alert is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.with_word(WordKind.CLINIC, "clinic", WORDS), "already on the clinic word list"),
        (lambda s: s.without_word(WordKind.CLINIC, "hospital", WORDS), "not on the clinic word list"),
        (lambda s: s.with_cooldown(0), "minutes from 1"),
        (lambda s: s.with_sensitivity("loud"), "strict"),
        (lambda s: s.without_ignored_channel(5), "not ignored"),
    ],
    ids=["duplicate_word", "unknown_word", "cooldown_zero", "unknown_sensitivity", "not_ignored"],
)
def test_invalid_changes_explain_themselves(change, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        change(ClinicWatchSettings(GUILD))


# --- the shipped word file and its loader ---


def test_shipped_word_file_loads() -> None:
    words = load_clinic_watch_words(packaged_content_dir())
    assert "clinic" in words.clinic and "clinica" in words.clinic and "stem cell" in words.context
    assert "hsct" in words.hsct and "exosome" in words.product and "mexico" in words.place


def test_loader_reports_every_problem_with_file_and_key() -> None:
    raw = {"clinic_words": ["clinic", "Clinic", 7, "ab"], "context_word": ["hsct"]}
    with pytest.raises(ClinicWordsError) as caught:
        parse_clinic_watch_words(raw, "clinic_watch.yaml")
    problems = caught.value.problems
    assert any(p.startswith("clinic_watch.yaml:context_word: unknown key") for p in problems)
    assert any(
        p.startswith("clinic_watch.yaml:clinic_words[1]:") and "repeats entry [0]" in p for p in problems
    )
    assert any(p.startswith("clinic_watch.yaml:clinic_words[2]:") for p in problems)
    assert any(p.startswith("clinic_watch.yaml:clinic_words[3]:") and "too short" in p for p in problems)
    assert any(p.startswith("clinic_watch.yaml:context_words: missing") for p in problems)


def test_loader_reports_bad_yaml_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "clinic_watch.yaml").write_text("clinic_words:\n  - clinic\n  bad: [\n", encoding="utf-8")
    with pytest.raises(ClinicWordsError, match=r"clinic_watch.yaml: is not valid YAML \(line"):
        load_clinic_watch_words(tmp_path)


def test_loader_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ClinicWordsError, match="cannot be read"):
        load_clinic_watch_words(tmp_path)
