"""The intervention choices offered to members, each with its registry search expression.

Expressions use the registry's Essie syntax: operators such as `OR` only work in upper case
(a lower-case `or` is searched as a word), and phrases go in double quotes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import InvalidInput


@dataclass(frozen=True)
class InterventionOption:
    """One choice for the `intervention` option of /trials."""

    key: str
    label: str
    expression: str


def _any_of(*terms: str) -> str:
    """`(a OR "b c")`: phrases quoted, joined by the upper-case operator the registry needs."""
    return "(" + " OR ".join(f'"{term}"' if " " in term else term for term in terms) + ")"


# Spellings the registry's records use. Haematopoietic is also written hemopoietic or haemopoietic,
# and older transplant records say "bone marrow transplantation"; mesenchymal cells are often called
# stromal cells. Plurals are listed because a quoted phrase is matched as written.
_HSCT_TERMS = (
    "hematopoietic",
    "haematopoietic",
    "hemopoietic",
    "haemopoietic",
    "HSCT",
    "AHSCT",
    "stem cell transplant",
    "stem cell transplantation",
    "bone marrow transplant",
    "bone marrow transplantation",
)
_MESENCHYMAL_TERMS = (
    "mesenchymal",
    "stromal cell",
    "stromal cells",
)
_NEURAL_TERMS = (
    "neural stem cell",
    "neural stem cells",
    "neural progenitor",
    "neural progenitors",
    "neural precursor",
    "neural precursors",
    "hNSC",
    "hNSCs",
    "hNPC",
    "hNPCs",
)

INTERVENTION_OPTIONS: tuple[InterventionOption, ...] = (
    InterventionOption(
        key="any",
        label="Any stem-cell therapy",
        expression=_any_of("stem cell", "stem cells", *_HSCT_TERMS, *_MESENCHYMAL_TERMS, *_NEURAL_TERMS),
    ),
    InterventionOption(
        key="hsct",
        label="Haematopoietic stem cell transplant (aHSCT)",
        expression=_any_of(*_HSCT_TERMS),
    ),
    InterventionOption(
        key="mesenchymal",
        label="Mesenchymal stem/stromal cells",
        expression=_any_of(*_MESENCHYMAL_TERMS),
    ),
    InterventionOption(
        key="neural",
        label="Neural stem or progenitor cells",
        expression=_any_of(*_NEURAL_TERMS),
    ),
)
DEFAULT_INTERVENTION = "any"
_BY_KEY = {option.key: option for option in INTERVENTION_OPTIONS}


def intervention_option(key: str) -> InterventionOption:
    """The option for `key` (case and spaces ignored); a member-facing error for anything else."""
    option = _BY_KEY.get(key.strip().lower())
    if option is None:
        choices = ", ".join(option.key for option in INTERVENTION_OPTIONS)
        raise InvalidInput(f"I don't know the intervention '{key}'. Choose one of: {choices}.")
    return option
