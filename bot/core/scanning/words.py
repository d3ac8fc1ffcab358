"""Load and check `content/clinic_watch.yaml`: every problem is reported at once, as `file:key: problem`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.core.scanning.matcher import (
    CompiledMatcher,
    MatcherBuildError,
    TriggerKind,
    contains_phrase,
    word_trigger,
)
from bot.core.scanning.normalise import normalise_word
from bot.core.scanning.settings import ClinicWordLists
from bot.errors import InvalidInput

FILE_NAME = "clinic_watch.yaml"
_LIST_KEYS = {
    "clinic_words": TriggerKind.CLINIC,
    "context_words": TriggerKind.CONTEXT,
    "neutral_phrases": TriggerKind.NEUTRAL,
}
_OPTIONAL_KEYS = frozenset({"neutral_phrases"})  # a file without neutral phrases is still valid

try:  # the C loader reads content about ten times faster; PyYAML wheels normally ship it
    _Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


class ClinicWordsError(ValueError):
    """The word file has problems; `problems` holds one readable line for each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_clinic_watch_words(content_dir: Path) -> ClinicWordLists:
    """Read the default word lists from `content_dir`, or raise `ClinicWordsError` listing every problem."""
    path = Path(content_dir) / FILE_NAME
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # a safe loader
    except OSError as exc:
        raise ClinicWordsError([f"{path.name}: cannot be read ({exc.strerror or exc})"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ClinicWordsError([f"{path.name}: is not valid YAML{where}: {exc}"]) from exc
    return parse_clinic_watch_words(raw, path.name)


def parse_clinic_watch_words(raw: Any, source: str = FILE_NAME) -> ClinicWordLists:
    """Check already-parsed YAML; shared by the loader and the tests."""
    if not isinstance(raw, dict):
        raise ClinicWordsError([f"{source}: expected a mapping with the keys {', '.join(_LIST_KEYS)}"])
    problems = [
        f"{source}:{key}: unknown key (expected one of: {', '.join(_LIST_KEYS)})"
        for key in raw
        if key not in _LIST_KEYS
    ]
    lists: dict[str, tuple[str, ...]] = {}
    for key in _LIST_KEYS:
        value = raw.get(key)
        if value is None and key in _OPTIONAL_KEYS:
            lists[key] = ()
            continue
        lists[key] = _parse_word_list(value, f"{source}:{key}", problems)
    _check_neutral_phrases(lists, source, problems)
    if not problems:
        _check_compiles(lists, source, problems)
    if problems:
        raise ClinicWordsError(problems)
    return ClinicWordLists(
        clinic=lists["clinic_words"], context=lists["context_words"], neutral=lists["neutral_phrases"]
    )


def _parse_word_list(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        problems.append(f"{where}: missing; expected a list of words")
        return ()
    if not isinstance(value, list) or not value:
        problems.append(f"{where}: expected a non-empty list of words")
        return ()
    words: list[str] = []
    first_seen: dict[str, int] = {}
    for index, item in enumerate(value):
        if not isinstance(item, str):
            problems.append(f"{where}[{index}]: expected a word in quotes or plain text, got {item!r}")
            continue
        try:
            canonical = normalise_word(item)
        except InvalidInput as exc:
            problems.append(f"{where}[{index}]: {exc.message}")
            continue
        if canonical in first_seen:
            problems.append(
                f"{where}[{index}]: {item!r} repeats entry [{first_seen[canonical]}] "
                f"(both read as {canonical!r}); keep one"
            )
            continue
        first_seen[canonical] = index
        words.append(canonical)
    return tuple(words)


def _check_neutral_phrases(lists: dict[str, tuple[str, ...]], source: str, problems: list[str]) -> None:
    """A neutral phrase must contain a listed word (or it changes nothing) without being one."""
    listed = (*lists["clinic_words"], *lists["context_words"])
    for index, phrase in enumerate(lists["neutral_phrases"]):
        where = f"{source}:neutral_phrases[{index}]"
        if phrase in listed:
            problems.append(f"{where}: {phrase!r} is itself a clinic or context word; keep it in one list")
        elif not any(contains_phrase(phrase, word) for word in listed):
            problems.append(
                f"{where}: {phrase!r} contains no clinic or context word, so it would change nothing"
            )


def _check_compiles(lists: dict[str, tuple[str, ...]], source: str, problems: list[str]) -> None:
    triggers = [word_trigger(kind, word) for key, kind in _LIST_KEYS.items() for word in lists[key]]
    try:
        CompiledMatcher(triggers)
    except MatcherBuildError as exc:
        problems.append(f"{source}: {exc}")
