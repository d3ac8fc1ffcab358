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
from bot.errors import InvalidInput
from bot.settings import packaged_content_dir

GUILD = 1
CHANNEL = 10
OTHER_CHANNEL = 11

WORDS = ClinicWordLists(clinic=("clinic", "stem cell clinic", "klinik"), context=("stem cell", "hsct", "msc"))


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
    scanner = make_scanner(clock)
    for _ in range(50):
        scanner.scan(GUILD, CHANNEL, "just chatting about fatigue")
    assert scanner.builds == 1


def test_settings_change_rebuilds_and_takes_effect(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "the clinic called").caution is None
    scanner.set_settings(replace(scanner.settings_for(GUILD), sensitivity=Sensitivity.BROAD))
    assert scanner.scan(GUILD, CHANNEL, "the clinic called").caution is not None
    assert scanner.builds == 2


def test_invalidate_alone_rebuilds_from_current_settings(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "hello")
    scanner.invalidate(GUILD)
    scanner.scan(GUILD, CHANNEL, "hello")
    # Identical triggers: the shared compiled matcher is reused rather than compiled again.
    assert scanner.builds == 1


def test_servers_with_the_same_words_share_one_matcher(clock: FakeClock) -> None:
    scanner = MessageScanner(WORDS, clock)
    for guild_id in range(20):
        scanner.scan(guild_id, CHANNEL, "hello")
    assert scanner.builds == 1


def test_disabled_server_skips_the_scan(clock: FakeClock) -> None:
    scanner = make_scanner(clock, enabled=False)
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic in Mexico") is NO_HITS
    assert scanner.builds == 0


def test_nothing_found_returns_the_shared_empty_result(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "my legs are tired today") is NO_HITS


def test_auto_response_triggers_share_the_same_pass(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.set_rule_triggers(GUILD, [Trigger(TriggerKind.RULE, "rule-7", r"\bmri\b")])
    result = scanner.scan(GUILD, CHANNEL, "MRI at the clinic for my HSCT follow-up")
    assert result.rule_labels == ("rule-7",)
    assert result.caution is not None


# --- strict-mode context window ---


def test_context_from_a_recent_message_completes_a_clinic_mention(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "thinking about HSCT abroad").caution is None
    clock.advance(minutes=2)
    hit = scanner.scan(GUILD, CHANNEL, "anyone know a good clinic?").caution
    assert hit is not None
    assert hit.joined_with_earlier and hit.context_words == ("hsct",) and hit.clinic_words == ("clinic",)
    assert "in this conversation" in hit.explanation()


def test_a_clinic_word_then_context_also_fires(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "which clinic did you pick?")
    assert scanner.scan(GUILD, CHANNEL, "the one doing MSC infusions").caution is not None


def test_context_in_another_channel_does_not_count(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, OTHER_CHANNEL, "stem cell news")
    assert scanner.scan(GUILD, CHANNEL, "the clinic was busy").caution is None


def test_context_expires_by_age(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "HSCT question")
    clock.advance(minutes=11)
    assert scanner.scan(GUILD, CHANNEL, "the clinic was busy").caution is None


def test_context_expires_after_five_other_messages(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "HSCT question")
    for _ in range(5):
        scanner.scan(GUILD, CHANNEL, "unrelated chat")
    assert scanner.scan(GUILD, CHANNEL, "the clinic was busy").caution is None


def test_context_four_messages_back_still_counts(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "HSCT question")
    for _ in range(4):
        scanner.scan(GUILD, CHANNEL, "unrelated chat")
    assert scanner.scan(GUILD, CHANNEL, "the clinic was busy").caution is not None


def test_window_memory_is_bounded_per_channel_and_in_channels() -> None:
    windows = ContextWindows(messages=3, max_age=timedelta(minutes=10), max_channels=4)
    for channel in range(10):
        for second in range(10):
            windows.remember(channel, float(second), (), ("hsct",))
    assert len(windows) == 4
    assert windows.recall(0, 10.0, clinic=False) == ()  # the oldest channels were forgotten
    assert windows.recall(9, 10.0, clinic=False) == ("hsct",)
    assert max(len(memory.entries) for memory in windows.channels.values()) == 3


def test_window_keeps_only_words_never_text(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.scan(GUILD, CHANNEL, "my private story about HSCT and my family")
    remembered = scanner._windows.channels[CHANNEL].entries[0]
    assert remembered[2:] == ((), ("hsct",))  # clinic words, context words: no text


def test_a_caution_clears_the_window(clock: FakeClock) -> None:
    scanner = make_scanner(clock, cooldown_minutes=1)
    scanner.scan(GUILD, CHANNEL, "HSCT question")
    assert scanner.scan(GUILD, CHANNEL, "which clinic?").caution is not None
    clock.advance(minutes=2)
    assert scanner.scan(GUILD, CHANNEL, "clinic parking is awful").caution is None


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


def test_one_caution_per_channel_per_cooldown(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic?").caution is not None
    clock.advance(minutes=29)
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic?").caution is None
    assert scanner.scan(GUILD, OTHER_CHANNEL, "stem cell clinic?").caution is not None
    clock.advance(minutes=1)
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic?").caution is not None


def test_cooldown_loaded_from_storage_survives_a_restart(clock: FakeClock) -> None:
    fired_before_restart = clock.now()
    clock.advance(minutes=10)
    scanner = make_scanner(clock)
    scanner.load_last_fired({CHANNEL: fired_before_restart})
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic?").caution is None
    assert scanner.cooldown_remaining(GUILD, CHANNEL) == timedelta(minutes=20)


def test_the_caution_carries_its_time_for_the_caller_to_persist(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    hit = scanner.scan(GUILD, CHANNEL, "klinik for stem cells")
    assert hit.caution is not None and hit.caution.fired_at == clock.now()
    assert scanner.last_fired(CHANNEL) == clock.now()


# --- where the caution never speaks ---


def test_ignored_channel_and_threads_under_it(clock: FakeClock) -> None:
    scanner = make_scanner(clock, ignored_channel_ids=frozenset({CHANNEL}))
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic").caution is None
    assert scanner.scan(GUILD, 999, "stem cell clinic", parent_channel_id=CHANNEL).caution is None
    assert scanner.scan(GUILD, OTHER_CHANNEL, "stem cell clinic").caution is not None


def test_explanation_names_the_trigger_words(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    hit = scanner.scan(GUILD, CHANNEL, "a klinik doing HSCT and MSC").caution
    assert hit is not None
    assert hit.explanation() == "Why am I seeing this? “klinik” came up together with “hsct” and “msc”."


def test_broad_explanation_names_the_clinic_word(clock: FakeClock) -> None:
    scanner = make_scanner(clock, sensitivity=Sensitivity.BROAD)
    hit = scanner.scan(GUILD, CHANNEL, "the clinic rang")
    assert hit.caution is not None
    assert hit.caution.explanation() == "Why am I seeing this? This message mentions “clinic”."


def test_preview_is_a_dry_run(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    preview = scanner.preview(GUILD, "stem cell clinic")
    assert preview.would_fire and preview.clinic_words == ("clinic", "stem cell clinic")
    assert scanner.last_fired(CHANNEL) is None
    assert not scanner.preview(GUILD, "the clinic").would_fire


def test_known_gap_ascii_word_next_to_another_script(clock: FakeClock) -> None:
    """re2's \\b is ASCII-only: a Latin word glued to Cyrillic letters still reads as a word.

    Accents are gone before matching, so this only happens with mixed scripts; recorded here
    so a change of engine or boundary notices it.
    """
    scanner = make_scanner(clock, sensitivity=Sensitivity.BROAD)
    assert scanner.scan(GUILD, CHANNEL, "clinicа").caution is not None  # Cyrillic "а" at the end


# --- neutral phrases: words that contain a clinic or context word without being one ---

NEUTRAL_WORDS = replace(WORDS, neutral=("ms clinic", "essai clinique", "msc thesis"))
FRENCH_WORDS = ClinicWordLists(
    clinic=("clinique", "clinic"), context=("cellule souche", "hsct"), neutral=("essai clinique", "ms clinic")
)


def make_neutral_scanner(
    clock: FakeClock, words: ClinicWordLists = NEUTRAL_WORDS, **settings: object
) -> MessageScanner:
    scanner = MessageScanner(words, clock)
    scanner.set_settings(replace(ClinicWatchSettings(GUILD), **settings))
    return scanner


@pytest.mark.parametrize("sensitivity", list(Sensitivity), ids=str)
def test_a_neutral_phrase_cancels_the_word_it_contains(clock: FakeClock, sensitivity: Sensitivity) -> None:
    scanner = make_neutral_scanner(clock, sensitivity=sensitivity)
    assert scanner.scan(GUILD, CHANNEL, "My MS clinic will talk about HSCT") is NO_HITS
    preview = scanner.preview(GUILD, "My MS clinic will talk about HSCT")
    assert preview.clinic_words == () and not preview.would_fire


def test_the_msc_degree_is_not_stem_cell_context(clock: FakeClock) -> None:
    scanner = make_neutral_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "my MSc thesis is about the clinic").caution is None
    assert scanner.scan(GUILD, OTHER_CHANNEL, "my clinic thesis is about MSC infusions").caution is not None


def test_another_clinic_word_in_the_same_message_still_counts(clock: FakeClock) -> None:
    scanner = make_neutral_scanner(clock)
    hit = scanner.scan(GUILD, CHANNEL, "my MS clinic says that stem cell clinic is a scam").caution
    assert hit is not None and hit.clinic_words == ("stem cell clinic",)
    french = make_neutral_scanner(clock, FRENCH_WORDS)
    hit = french.scan(GUILD, CHANNEL, "un essai clinique, puis une clinic à Cancún: cellules souches").caution
    assert hit is not None and hit.clinic_words == ("clinic",)


def test_known_gap_a_neutral_phrase_cancels_its_word_for_the_whole_message(clock: FakeClock) -> None:
    """The set reports which words hit, not where: the same word said twice is cancelled twice.

    "la clinique ... essai clinique" loses its real "clinique"; recorded here (and in the README) so
    a change of approach notices it.
    """
    scanner = make_neutral_scanner(clock, FRENCH_WORDS)
    text = "La clinique de Genève vend des cellules souches, ce n'est pas un essai clinique"
    assert scanner.scan(GUILD, CHANNEL, text).caution is None
    assert scanner.preview(GUILD, "La clinique de Genève vend des cellules souches").would_fire


def test_cancelled_words_are_not_kept_for_the_next_message(clock: FakeClock) -> None:
    scanner = make_neutral_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "MS clinic was running late").caution is None
    assert scanner.scan(GUILD, CHANNEL, "they mentioned HSCT though").caution is None
    assert scanner.scan(GUILD, OTHER_CHANNEL, "MSc thesis draft done").caution is None
    assert scanner.scan(GUILD, OTHER_CHANNEL, "the clinic called").caution is None


def test_neutral_phrases_follow_the_servers_words(clock: FakeClock) -> None:
    """Only phrases that cover a word the server watches are compiled; its own words win."""
    scanner = make_neutral_scanner(clock, sensitivity=Sensitivity.BROAD)
    scanner.scan(GUILD, CHANNEL, "hello")
    neutral = [t.label for t in scanner._guilds[GUILD].matcher.triggers if t.kind is TriggerKind.NEUTRAL]
    assert neutral == ["ms clinic"]  # broad mode does not watch "msc"; nothing watches "clinique"
    added = scanner.settings_for(GUILD).with_word(WordKind.CLINIC, "ms clinic", NEUTRAL_WORDS)
    scanner.set_settings(added)
    hit = scanner.scan(GUILD, CHANNEL, "the MS clinic rang").caution
    assert hit is not None and hit.clinic_words == ("clinic", "ms clinic")


def test_shipped_neutral_phrases_load() -> None:
    words = load_clinic_watch_words(packaged_content_dir())
    assert {"essai clinique", "ms clinic", "msc thesis", "investigacion clinica"} <= set(words.neutral)


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
    assert any(p.startswith("clinic_watch.yaml:neutral_phrases[2]:") and "no clinic" in p for p in problems)


def test_neutral_phrases_are_optional_in_the_file() -> None:
    words = parse_clinic_watch_words({"clinic_words": ["clinic"], "context_words": ["hsct"]})
    assert words.neutral == ()


# --- editing word lists ---


def test_added_word_is_matched_after_rebuild(clock: FakeClock) -> None:
    scanner = make_scanner(clock, sensitivity=Sensitivity.BROAD)
    assert scanner.scan(GUILD, CHANNEL, "a medical spa in Cancun").caution is None
    settings = scanner.settings_for(GUILD).with_word(WordKind.CLINIC, "Medical Spa", WORDS)
    scanner.set_settings(settings)
    assert scanner.scan(GUILD, CHANNEL, "a medical spa in Cancun").caution is not None


def test_removing_a_default_word_is_remembered_and_reversible() -> None:
    settings = ClinicWatchSettings(GUILD).without_word(WordKind.CLINIC, "Klinik", WORDS)
    assert settings.clinic_words_removed == {"klinik"}
    assert "klinik" not in settings.effective_words(WordKind.CLINIC, WORDS)
    restored = settings.with_word(WordKind.CLINIC, "klinik", WORDS)
    assert restored.clinic_words_removed == frozenset() and restored.clinic_words_added == frozenset()
    assert "klinik" in restored.effective_words(WordKind.CLINIC, WORDS)


def test_removing_an_added_word_forgets_it() -> None:
    settings = ClinicWatchSettings(GUILD).with_word(WordKind.CONTEXT, "exosome", WORDS)
    assert settings.context_words_added == {"exosome"}
    assert settings.without_word(WordKind.CONTEXT, "EXOSOME", WORDS).context_words_added == frozenset()


def test_removed_default_stops_matching(clock: FakeClock) -> None:
    scanner = make_scanner(clock)
    scanner.set_settings(scanner.settings_for(GUILD).without_word(WordKind.CONTEXT, "hsct", WORDS))
    assert scanner.scan(GUILD, CHANNEL, "clinic for HSCT").caution is None


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
