"""Score the clinic watch on the labelled corpus: per-class precision and recall, and the confusion table.

Run with `python bench/eval_clinic_watch.py [--heldout] [--sensitivity strict|broad] [--show-misses]`.
Each message goes through `MessageScanner.scan` exactly as the message listener sends a server
message, in a channel of its own (no earlier messages, no cooldown), with the shipped words.

Labels (tests/data/clinic_corpus.txt): `care` and `chatter` should stay quiet, `unproven` should get
the ISSCR caution, `centre` the "Choosing a transplant centre" card. Targets (issue 10): false
alarms on own care and on chatter at most 1%, recall on unproven clinics at least 95%, and at
least 90% of aHSCT-abroad messages getting the centre card. The exit status is 0 when all hold.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.clock import FakeClock  # noqa: E402
from bot.core.scanning import (  # noqa: E402
    ClinicWatchSettings,
    MessageScanner,
    Outcome,
    Sensitivity,
    load_clinic_watch_words,
)
from bot.settings import packaged_content_dir  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "clinic_corpus.txt"
HELDOUT = ROOT / "tests" / "data" / "clinic_corpus_heldout.txt"
LABELS = ("care", "chatter", "unproven", "centre")
EXPECTED = {
    "care": Outcome.QUIET,
    "chatter": Outcome.QUIET,
    "unproven": Outcome.CAUTION,
    "centre": Outcome.CENTRE,
}
GUILD_ID = 1
MAX_FALSE_ALARMS = 0.01
MIN_UNPROVEN_RECALL = 0.95
MIN_CENTRE_SHARE = 0.90


@dataclass(frozen=True)
class Message:
    label: str
    language: str
    text: str
    line: int


@dataclass(frozen=True)
class Scores:
    """Outcomes per label; every figure of the report is computed from this table."""

    table: dict[str, Counter[Outcome]]
    misses: tuple[tuple[Message, Outcome], ...]

    def count(self, label: str) -> int:
        return sum(self.table[label].values())

    def share(self, label: str, outcome: Outcome) -> float:
        total = self.count(label)
        return self.table[label][outcome] / total if total else 0.0

    def false_alarm_rate(self, label: str) -> float:
        return 1.0 - self.share(label, Outcome.QUIET)

    def precision(self, outcome: Outcome) -> float:
        sent = sum(self.table[label][outcome] for label in LABELS)
        right = sum(self.table[label][outcome] for label in LABELS if EXPECTED[label] is outcome)
        return right / sent if sent else 1.0

    def recall(self, outcome: Outcome) -> float:
        labels = [label for label in LABELS if EXPECTED[label] is outcome]
        total = sum(self.count(label) for label in labels)
        return sum(self.table[label][outcome] for label in labels) / total if total else 1.0

    def targets_met(self) -> bool:
        return (
            self.false_alarm_rate("care") <= MAX_FALSE_ALARMS
            and self.false_alarm_rate("chatter") <= MAX_FALSE_ALARMS
            and self.share("unproven", Outcome.CAUTION) >= MIN_UNPROVEN_RECALL
            and self.share("centre", Outcome.CENTRE) >= MIN_CENTRE_SHARE
        )


def load_corpus(path: Path) -> list[Message]:
    """Parse `LABEL LANG TEXT` lines; `#` starts a comment line. A bad line is an error, not a skip."""
    messages = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        label, language, text = line.split(" ", 2)
        if label not in EXPECTED:
            raise ValueError(f"{path.name}:{number}: unknown label {label!r}")
        messages.append(Message(label, language, text.strip(), number))
    return messages


def evaluate(messages: Iterable[Message], sensitivity: Sensitivity = Sensitivity.STRICT) -> Scores:
    """Send each message through the scanner, each in a fresh channel, and count the outcomes."""
    scanner = MessageScanner(load_clinic_watch_words(packaged_content_dir()), FakeClock())
    scanner.set_settings(replace(ClinicWatchSettings(GUILD_ID), sensitivity=sensitivity))
    table: dict[str, Counter[Outcome]] = {label: Counter() for label in LABELS}
    misses = []
    for channel_id, message in enumerate(messages, start=1):
        outcome = scanner.scan(GUILD_ID, channel_id, message.text).outcome
        table[message.label][outcome] += 1
        if outcome is not EXPECTED[message.label]:
            misses.append((message, outcome))
    return Scores(table, tuple(misses))


def report(scores: Scores, title: str) -> str:
    outcomes = list(Outcome)
    lines = [title, "", f"{'label':<10}{'n':>5}" + "".join(f"{o.value:>10}" for o in outcomes)]
    for label in LABELS:
        row = scores.table[label]
        lines.append(f"{label:<10}{scores.count(label):>5}" + "".join(f"{row[o]:>10}" for o in outcomes))
    lines += ["", f"{'outcome':<10}{'precision':>10}{'recall':>10}"]
    for outcome in outcomes:
        lines.append(f"{outcome.value:<10}{scores.precision(outcome):>10.1%}{scores.recall(outcome):>10.1%}")
    lines += [
        "",
        f"false alarms on own care : {scores.false_alarm_rate('care'):6.1%}"
        f"  (target <= {MAX_FALSE_ALARMS:.0%})",
        f"false alarms on chatter  : {scores.false_alarm_rate('chatter'):6.1%}"
        f"  (target <= {MAX_FALSE_ALARMS:.0%})",
        f"unproven -> caution      : {scores.share('unproven', Outcome.CAUTION):6.1%}"
        f"  (target >= {MIN_UNPROVEN_RECALL:.0%})",
        f"aHSCT abroad -> centre   : {scores.share('centre', Outcome.CENTRE):6.1%}"
        f"  (target >= {MIN_CENTRE_SHARE:.0%})",
        f"targets: {'MET' if scores.targets_met() else 'NOT MET'}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", action="store_true", help="score the held-out part instead")
    parser.add_argument("--sensitivity", choices=[s.value for s in Sensitivity], default="strict")
    parser.add_argument("--show-misses", action="store_true", help="list the messages scored wrongly")
    args = parser.parse_args(argv)
    path = HELDOUT if args.heldout else CORPUS
    messages = load_corpus(path)
    scores = evaluate(messages, Sensitivity(args.sensitivity))
    languages = len({m.language for m in messages})
    print(report(scores, f"{path.name}: {len(messages)} messages, {languages} languages, {args.sensitivity}"))
    if args.show_misses:
        print()
        for message, outcome in scores.misses:
            print(f"  line {message.line}: {message.label} -> {outcome.value}: {message.text}")
    return 0 if scores.targets_met() else 1


if __name__ == "__main__":
    sys.exit(main())
