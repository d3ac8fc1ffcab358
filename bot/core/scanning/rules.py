"""The clinic watch's decision: which of three outcomes the kinds of words found in a message call for.

A message is first matched against the word lists of `content/clinic_watch.yaml` (one list per kind
of signal, see `WordKind`). What remains after neutral and care phrases have cancelled the words
inside them is a set of signal kinds, and this small rule set turns that set into an outcome:

1. Nothing about stem cells, stem-cell products, aHSCT, a refused referral or a clinic: quiet. A
   place, a price or a promise alone never fires.
2. Own care or research ("my team", "haematology", "day +30", "clinical trial"): quiet, unless
   money, a promise, travel or going private comes up too (a place name alone does not count:
   members name their own hospital's city), or another clinic is named beside stem-cell talk.
3. A stem-cell product (MSC, exosomes, cord blood, "stem cell injection") with anything around it
   (a clinic or centre, travel, a place, going private, money, a promise, an injection or drip,
   "anyone tried"): the ISSCR caution.
4. aHSCT with travel, a place, going private or money: the "Choosing a transplant centre" card.
   A neurologist who will not refer ("my neuro won't refer me") counts as the aHSCT talk or as the
   going elsewhere: with either one, the centre card.
5. Stem cells in general (not as part of aHSCT) with any of those: the ISSCR caution.
6. A clinic with a price or a promise, and travel or a place ("the clinic in Panama charges 20k",
   "a clinic in Cancún says 80% improve"): the ISSCR caution.

Broad sensitivity lowers each bar by one: a clinic word or a stem-cell product alone is enough for
the caution, and aHSCT beside a clinic or centre is enough for the centre card. Rule 2 holds in
both modes. The rules are tried in order; the first that applies decides, and the signals it
used are what the "Why am I seeing this?" line names.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from bot.core.scanning.settings import Sensitivity, WordKind


class Outcome(StrEnum):
    """What the bot does about one message."""

    QUIET = "quiet"
    CAUTION = "caution"  # the ISSCR caution list: unproven stem-cell products or clinics
    CENTRE = "centre"  # "Choosing a transplant centre": aHSCT at a private or foreign centre


# The kinds a message must be about before anything can fire.
TOPICS = frozenset({WordKind.CLINIC, WordKind.CONTEXT, WordKind.PRODUCT, WordKind.HSCT, WordKind.REFUSAL})

# A short phrase per signal for the "Why am I seeing this?" line; never the member's words.
SIGNAL_PHRASES: dict[WordKind, str] = {
    WordKind.PRODUCT: "a stem-cell product",
    WordKind.CONTEXT: "stem-cell treatment",
    WordKind.HSCT: "aHSCT",
    WordKind.REFUSAL: "a referral refused",
    WordKind.CLINIC: "a clinic",
    WordKind.VENUE: "a clinic or centre",
    WordKind.TRAVEL: "travel abroad",
    WordKind.PLACE: "a place abroad",
    WordKind.PRIVATE: "going private",
    WordKind.MONEY: "a price",
    WordKind.CLAIM: "a promise of results",
    WordKind.DELIVERY: "injections or drips",
    WordKind.INTEREST: "thinking of trying it",
    WordKind.CARE: "your own care",
    WordKind.RESEARCH: "research",
}

_OWN_CARE = frozenset({WordKind.CARE, WordKind.RESEARCH})
_ANOTHER_PLACE = frozenset({WordKind.CLINIC, WordKind.PLACE})  # a hospital is where own care happens
# What lifts own care or research talk back into clinic talk. A place name does not: members name
# their own hospital's city, and research happens in cities too.
_BEYOND_OWN_CARE = frozenset({WordKind.MONEY, WordKind.CLAIM, WordKind.TRAVEL, WordKind.PRIVATE})
_AROUND_A_PRODUCT = frozenset(
    {
        WordKind.CLINIC,
        WordKind.VENUE,
        WordKind.TRAVEL,
        WordKind.PLACE,
        WordKind.PRIVATE,
        WordKind.MONEY,
        WordKind.CLAIM,
        WordKind.DELIVERY,
        WordKind.INTEREST,
    }
)
_AWAY_FROM_HOME = frozenset({WordKind.TRAVEL, WordKind.PLACE, WordKind.PRIVATE, WordKind.MONEY})
_AWAY_FROM_HOME_BROAD = _AWAY_FROM_HOME | {WordKind.CLINIC, WordKind.VENUE}
_AROUND_STEM_CELLS = _AROUND_A_PRODUCT


@dataclass(frozen=True, slots=True)
class Decision:
    """An outcome and the signal kinds that decided it (empty when quiet), in a fixed order."""

    outcome: Outcome
    signals: tuple[WordKind, ...] = ()


QUIET = Decision(Outcome.QUIET)


def decide(found: Collection[WordKind], sensitivity: Sensitivity = Sensitivity.STRICT) -> Decision:
    """Apply the rules in the module docstring to the signal kinds found (after cancelling)."""
    found = frozenset(found)
    if found.isdisjoint(TOPICS):
        return QUIET
    if _is_own_care(found):
        return QUIET
    broad = sensitivity is Sensitivity.BROAD
    if WordKind.PRODUCT in found:
        around = found & _AROUND_A_PRODUCT
        if around or broad:
            return Decision(Outcome.CAUTION, _ordered({WordKind.PRODUCT, *around}))
    if WordKind.HSCT in found or WordKind.REFUSAL in found:
        away = found & (_AWAY_FROM_HOME_BROAD if broad else _AWAY_FROM_HOME)
        if WordKind.HSCT in found and WordKind.REFUSAL in found:
            away |= {WordKind.REFUSAL}
        if away:
            return Decision(Outcome.CENTRE, _ordered(found & {WordKind.HSCT, WordKind.REFUSAL} | away))
    if WordKind.CONTEXT in found and WordKind.HSCT not in found:  # "stem cell transplant" is aHSCT
        around = found & _AROUND_STEM_CELLS
        if around:
            return Decision(Outcome.CAUTION, _ordered({WordKind.CONTEXT, *around}))
    if WordKind.CLINIC in found:
        selling = found & {WordKind.MONEY, WordKind.CLAIM}
        away = found & {WordKind.TRAVEL, WordKind.PLACE}
        if selling and away:
            return Decision(Outcome.CAUTION, _ordered({WordKind.CLINIC, *selling, *away}))
    if broad and WordKind.CLINIC in found:
        return Decision(Outcome.CAUTION, (WordKind.CLINIC,))
    return QUIET


def _is_own_care(found: frozenset[WordKind]) -> bool:
    """Rule 2: own care or research, and nothing that points elsewhere.

    Money, a promise, travel or going private always point elsewhere. Beside own care (not
    research), so does stem-cell talk with a clinic or a place outside every care phrase:
    "my MS clinic warned me about a stem cell clinic in Cancún".
    """
    if found.isdisjoint(_OWN_CARE) or not found.isdisjoint(_BEYOND_OWN_CARE):
        return False
    if WordKind.RESEARCH in found or found.isdisjoint(_ANOTHER_PLACE):
        return True
    return not _talks_of_stem_cells(found)


def _talks_of_stem_cells(found: frozenset[WordKind]) -> bool:
    """A stem-cell product, or stem cells in general when aHSCT is not what they are about."""
    return WordKind.PRODUCT in found or (WordKind.CONTEXT in found and WordKind.HSCT not in found)


def describe(signals: Collection[WordKind]) -> str:
    """The signals as one plain phrase: "a stem-cell product, travel abroad and a price"."""
    phrases = list(dict.fromkeys(SIGNAL_PHRASES[kind] for kind in _ordered(signals)))
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


_ORDER = {kind: index for index, kind in enumerate(SIGNAL_PHRASES)}


def _ordered(kinds: Collection[WordKind]) -> tuple[WordKind, ...]:
    return tuple(sorted(kinds, key=_ORDER.__getitem__))
