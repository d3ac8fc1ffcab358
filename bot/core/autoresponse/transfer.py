"""YAML export and import of a server's rules: one versioned document, checked whole.

The document holds what moderators define and nothing the server adds (numbers, authors,
times, hit counts), so it can move between servers:

    version: 2
    rules:
    - triggers:
      - text: mri
        mode: word
      - text: stem cell
        mode: phrase
      answer: reply            # reply, embed, reaction or dm
      responses:
      - text: Hi {member}! The pinned post explains MRI.
        weight: 1
      title: ''                # embed only
      link: ''                 # embed only
      channels: []
      roles: []                # answer only members with one of these roles
      except_roles: []         # never answer members with one of these
      cooldown_seconds: 60
      enabled: true

A trigger or a response may also be written as plain text (`- mri`, `- "phrase: stem cell"`,
`- Hello!`). A file written by the release before (`version: 1`: one `trigger`, `mode` and
`response` per rule) still imports; its cooldowns under the 5-second minimum become 5 seconds,
as the upgrade did for stored rules.

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
    MIN_COOLDOWN_SECONDS,
    AnswerKind,
    MatchMode,
    Rule,
    RuleDraft,
    RuleTrigger,
    brief,
    check_draft,
    check_rule_set,
    default_cooldown,
)
from bot.core.autoresponse.typed import parse_trigger_line
from bot.errors import InvalidInput

FORMAT_VERSION = 2
OLDER_VERSION = 1  # one trigger and one response per rule, as exported before several were possible
MAX_IMPORT_BYTES = 1_000_000
MAX_REPORTED_PROBLEMS = 50

_MAX_ID_DIGITS = 20  # a snowflake is a 64-bit number
_RULE_FIELDS = (
    "triggers",
    "answer",
    "responses",
    "title",
    "link",
    "channels",
    "roles",
    "except_roles",
    "cooldown_seconds",
    "enabled",
)
_REQUIRED = ("triggers", "responses")
_OLDER_RULE_FIELDS = ("trigger", "mode", "response", "channels", "cooldown_seconds", "enabled")
_OLDER_REQUIRED = ("trigger", "response")
_TRIGGER_FIELDS = ("text", "mode")
_RESPONSE_FIELDS = ("text", "weight")

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
    document = {"version": FORMAT_VERSION, "rules": [export_view(draft) for draft in drafts]}
    text: str = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
    return text


def export_view(draft: RuleDraft) -> dict[str, Any]:
    """One rule as the current format writes it (every field, defaults included, so nothing is implied)."""
    return {
        "triggers": [{"text": trigger.text, "mode": trigger.mode.value} for trigger in draft.triggers],
        "answer": draft.kind.value,
        "responses": [
            {"text": text, "weight": weight}
            for text, weight in zip(draft.responses, draft.response_weights, strict=True)
        ],
        "title": draft.title,
        "link": draft.link,
        "channels": list(draft.channel_ids),
        "roles": list(draft.allowed_role_ids),
        "except_roles": list(draft.denied_role_ids),
        "cooldown_seconds": draft.cooldown_seconds,
        "enabled": draft.enabled,
    }


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
    version, raw_rules = _document_rules(document)
    if len(raw_rules) > MAX_RULES_PER_GUILD:
        raise ImportRejected(
            [f"the file holds {len(raw_rules):,} rules; a server may have at most {MAX_RULES_PER_GUILD}"]
        )
    read = _rule if version == FORMAT_VERSION else _older_rule
    problems: list[str] = []
    drafts: list[RuleDraft] = []
    seen: dict[tuple[MatchMode, str], int] = {}
    for index, raw in enumerate(raw_rules, start=1):
        draft, rule_problems = read(raw)
        problems += [f"rule {index}: {problem}" for problem in rule_problems]
        if draft is None or rule_problems:
            continue
        for position, key in enumerate(draft.keys, start=1):
            first = seen.setdefault(key, index)
            if first != index:
                name = "trigger" if position == 1 else f"trigger {position}"
                problems.append(f"rule {index}: {name}: same trigger and mode as rule {first}")
        drafts.append(draft)
    if problems:
        raise ImportRejected(problems)
    try:
        check_rule_set(drafts)
    except InvalidInput as exc:
        raise ImportRejected([exc.message]) from None
    return drafts


def _document_rules(document: object) -> tuple[int, list[Any]]:
    if not isinstance(document, dict):
        raise ImportRejected(
            [f"the file must be a mapping with `version: {FORMAT_VERSION}` and a `rules:` list"]
        )
    problems = [f"{key}: unknown top-level field" for key in document if key not in ("version", "rules")]
    version = document.get("version")
    if version not in (FORMAT_VERSION, OLDER_VERSION) or isinstance(version, bool):
        problems.append(
            f"version: must be {FORMAT_VERSION} (or {OLDER_VERSION}, from an older release) "
            f"(found {brief(version)})"
        )
    rules = document.get("rules")
    if not isinstance(rules, list):
        problems.append("rules: must be a list of rules")
    if problems:
        raise ImportRejected(problems)
    assert isinstance(rules, list) and isinstance(version, int)
    return version, rules


def _rule(raw: object) -> tuple[RuleDraft | None, list[str]]:
    """A rule of the current format, checked."""
    if not isinstance(raw, dict):
        return None, ["must be a mapping of triggers, answer, responses, ..."]
    problems = [f"{key}: unknown field" for key in raw if key not in _RULE_FIELDS]
    problems += [f"{key}: missing" for key in _REQUIRED if key not in raw]
    if problems:
        return None, problems
    triggers = _triggers(raw["triggers"], problems)
    responses, weights = _responses(raw["responses"], problems)
    if problems:
        return None, problems
    kind = raw.get("answer", AnswerKind.REPLY.value)
    draft = RuleDraft(
        trigger=triggers[0].text,
        response=responses[0],
        mode=triggers[0].mode,
        channel_ids=_ids(raw.get("channels", [])),
        cooldown_seconds=raw.get("cooldown_seconds", default_cooldown(_kind_or_reply(kind))),
        enabled=raw.get("enabled", True),
        more_triggers=tuple(triggers[1:]),
        more_responses=tuple(responses[1:]),
        weights=weights,
        kind=kind,
        title=_text_or_empty(raw.get("title", "")),
        link=_text_or_empty(raw.get("link", "")),
        allowed_role_ids=_ids(raw.get("roles", [])),
        denied_role_ids=_ids(raw.get("except_roles", [])),
    )
    cleaned, field_problems = check_draft(draft)
    return cleaned, [str(problem) for problem in field_problems]


def _triggers(value: object, problems: list[str]) -> list[RuleTrigger]:
    """The `triggers:` list: mappings of text and mode, or plain lines (`phrase: stem cell`)."""
    if not isinstance(value, list) or not value:
        problems.append("triggers: must be a list of at least one trigger")
        return []
    triggers: list[RuleTrigger] = []
    for position, item in enumerate(value, start=1):
        name = f"trigger {position}"
        if isinstance(item, str):
            triggers.append(parse_trigger_line(item, MatchMode.WORD))
        elif isinstance(item, dict):
            unknown = [f"{name}: {key}: unknown field" for key in item if key not in _TRIGGER_FIELDS]
            if "text" not in item:
                unknown.append(f"{name}: text: missing")
            problems += unknown
            # Text and mode are checked (with the rule's other fields) by check_draft.
            triggers.append(RuleTrigger(item.get("text", ""), item.get("mode", MatchMode.WORD.value)))
        else:
            problems.append(f"{name}: must be text or a mapping of text and mode")
    return triggers


def _responses(value: object, problems: list[str]) -> tuple[list[Any], tuple[Any, ...]]:
    """The `responses:` list: mappings of text and weight, or plain text; weights all 1 unless given."""
    if not isinstance(value, list) or not value:
        problems.append("responses: must be a list of at least one response")
        return [], ()
    texts: list[Any] = []
    weights: list[Any] = []
    for position, item in enumerate(value, start=1):
        name = f"response {position}"
        if isinstance(item, dict):
            problems += [f"{name}: {key}: unknown field" for key in item if key not in _RESPONSE_FIELDS]
            if "text" not in item:
                problems.append(f"{name}: text: missing")
            texts.append(item.get("text", ""))
            weights.append(item.get("weight", 1))
        elif isinstance(item, list):
            problems.append(f"{name}: must be text or a mapping of text and weight")
        else:
            texts.append(item)  # check_draft says "must be text" for a number
            weights.append(1)
    return texts, tuple(weights)


def _older_rule(raw: object) -> tuple[RuleDraft | None, list[str]]:
    """A rule of a `version: 1` file: one trigger, one response, an answer in the channel."""
    if not isinstance(raw, dict):
        return None, ["must be a mapping of trigger, mode, response, ..."]
    problems = [f"{key}: unknown field" for key in raw if key not in _OLDER_RULE_FIELDS]
    problems += [f"{key}: missing" for key in _OLDER_REQUIRED if key not in raw]
    if problems:
        return None, problems
    cooldown = raw.get("cooldown_seconds", DEFAULT_COOLDOWN_SECONDS)
    if isinstance(cooldown, int) and not isinstance(cooldown, bool) and 0 <= cooldown < MIN_COOLDOWN_SECONDS:
        cooldown = (
            MIN_COOLDOWN_SECONDS  # allowed by the older release; raised as the upgrade raised stored rules
        )
    draft = RuleDraft(
        trigger=raw["trigger"],
        response=raw["response"],
        mode=raw.get("mode", MatchMode.WORD.value),
        channel_ids=_ids(raw.get("channels", [])),
        cooldown_seconds=cooldown,
        enabled=raw.get("enabled", True),
    )
    cleaned, field_problems = check_draft(draft)
    return cleaned, [str(problem) for problem in field_problems]


def _kind_or_reply(value: object) -> AnswerKind:
    """The kind of answer as written (any case), for its default cooldown; check_draft reports a bad one."""
    try:
        return AnswerKind(str(value).strip().lower())
    except ValueError:
        return AnswerKind.REPLY


def _text_or_empty(value: object) -> Any:
    return "" if value is None else value


def _ids(value: object) -> Any:
    """Channel or role ids as written: numbers, or digit strings (some tools quote large numbers)."""
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
