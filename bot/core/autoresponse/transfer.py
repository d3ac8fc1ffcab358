"""YAML export and import of a server's rules: one versioned document, checked whole.

The document holds what moderators define and nothing the server adds (numbers, authors,
times, hit counts), so it can move between servers:

    version: 1
    rules:
    - trigger: hello
      mode: word
      response: Hi! Welcome.
      channels: []
      cooldown_seconds: 60
      enabled: true

`parse_import` either returns every rule as a valid draft or raises `ImportRejected` listing
every problem as `rule N: field: problem` (N counts from 1 in file order). Exporting, then
importing, then exporting again gives the same text.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

import yaml

from bot.core.autoresponse.rules import (
    DEFAULT_COOLDOWN_SECONDS,
    MAX_RULES_PER_GUILD,
    MatchMode,
    Rule,
    RuleDraft,
    brief,
    check_draft,
    check_rule_set,
)
from bot.errors import InvalidInput

FORMAT_VERSION = 1
MAX_IMPORT_BYTES = 1_000_000
MAX_REPORTED_PROBLEMS = 50

_MAX_ID_DIGITS = 20  # a snowflake is a 64-bit number
_RULE_FIELDS = ("trigger", "mode", "response", "channels", "cooldown_seconds", "enabled")
_REQUIRED = ("trigger", "response")

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):
    """Writes every value out in full: an import refuses anchors and aliases, so an export has none."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class ImportMode(StrEnum):
    """`merge` updates rules with the same trigger and mode and adds the rest; `replace` starts afresh."""

    MERGE = "merge"
    REPLACE = "replace"


class ImportRejected(InvalidInput):
    """The file was refused as a whole; `problems` holds one line per problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        shown = list(self.problems[:MAX_REPORTED_PROBLEMS])
        hidden = len(self.problems) - len(shown)
        if hidden:
            shown.append(f"... and {hidden} more")
        super().__init__("Nothing was imported:\n" + "\n".join(shown))


def export_rules(rules: Iterable[Rule | RuleDraft]) -> str:
    """The YAML document for these rules, in the order given (the service passes them by number)."""
    drafts = [rule.draft if isinstance(rule, Rule) else rule for rule in rules]
    document = {"version": FORMAT_VERSION, "rules": [draft.audit_view() for draft in drafts]}
    text: str = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
    return text


def parse_import(data: str | bytes) -> list[RuleDraft]:
    """Every rule of an export file as a valid draft, or `ImportRejected` with all the problems."""
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > MAX_IMPORT_BYTES:
        raise ImportRejected(
            [f"the file is {size:,} bytes; the limit is {MAX_IMPORT_BYTES:,} bytes (about 1 MB)"]
        )
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportRejected(["the file is not UTF-8 text"]) from None
    try:
        # Anchors and aliases let a few hundred bytes expand into gigabytes ("billion laughs");
        # an export never uses them, so a file that does is refused before anything is built.
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(data, Loader=_Loader)):
            raise ImportRejected(["the file uses YAML anchors or aliases (& and *): write each rule in full"])
        document = yaml.load(data, Loader=_Loader)  # a safe loader, never the full one
    except yaml.YAMLError as exc:
        raise ImportRejected([f"the file is not valid YAML: {_yaml_reason(exc)}"]) from None
    except (ValueError, OverflowError):  # a value the YAML resolver cannot build (an int of 5,000 digits)
        raise ImportRejected(["the file holds a number far too long for a channel id or a setting"]) from None
    raw_rules = _document_rules(document)
    if len(raw_rules) > MAX_RULES_PER_GUILD:
        raise ImportRejected(
            [f"the file holds {len(raw_rules):,} rules; a server may have at most {MAX_RULES_PER_GUILD}"]
        )
    problems: list[str] = []
    drafts: list[RuleDraft] = []
    seen: dict[tuple[MatchMode, str], int] = {}
    for index, raw in enumerate(raw_rules, start=1):
        draft, rule_problems = _rule(raw)
        problems += [f"rule {index}: {problem}" for problem in rule_problems]
        if draft is None or rule_problems:
            continue
        first = seen.setdefault(draft.key, index)
        if first != index:
            problems.append(f"rule {index}: trigger: same trigger and mode as rule {first}")
        drafts.append(draft)
    if problems:
        raise ImportRejected(problems)
    try:
        check_rule_set(drafts)
    except InvalidInput as exc:
        raise ImportRejected([exc.message]) from None
    return drafts


def _document_rules(document: object) -> list[Any]:
    if not isinstance(document, dict):
        raise ImportRejected(["the file must be a mapping with `version: 1` and a `rules:` list"])
    problems = [f"{key}: unknown top-level field" for key in document if key not in ("version", "rules")]
    version = document.get("version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        problems.append(f"version: must be {FORMAT_VERSION} (found {brief(version)})")
    rules = document.get("rules")
    if not isinstance(rules, list):
        problems.append("rules: must be a list of rules")
    if problems:
        raise ImportRejected(problems)
    assert isinstance(rules, list)
    return rules


def _rule(raw: object) -> tuple[RuleDraft | None, list[str]]:
    if not isinstance(raw, dict):
        return None, ["must be a mapping of trigger, mode, response, ..."]
    problems = [f"{key}: unknown field" for key in raw if key not in _RULE_FIELDS]
    problems += [f"{key}: missing" for key in _REQUIRED if key not in raw]
    if problems:
        return None, problems
    draft = RuleDraft(
        trigger=raw["trigger"],
        response=raw["response"],
        mode=raw.get("mode", MatchMode.WORD.value),
        channel_ids=_channels(raw.get("channels", [])),
        cooldown_seconds=raw.get("cooldown_seconds", DEFAULT_COOLDOWN_SECONDS),
        enabled=raw.get("enabled", True),
    )
    cleaned, field_problems = check_draft(draft)
    return cleaned, [str(problem) for problem in field_problems]


def _channels(value: object) -> Any:
    """Channel ids as written: numbers, or digit strings (some tools quote large numbers)."""
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(int(item) if _is_id_text(item) else item for item in value)
    return value  # check_draft reports anything else


def _is_id_text(item: object) -> bool:
    """ASCII digits short enough for a snowflake: '²', '１２３' or 5,000 digits stay text, refused later."""
    return isinstance(item, str) and item.isascii() and item.isdigit() and len(item) <= _MAX_ID_DIGITS


def _yaml_reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(problem)
