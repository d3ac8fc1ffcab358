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


INTERVENTION_OPTIONS: tuple[InterventionOption, ...] = (
    InterventionOption(
        key="any",
        label="Any stem-cell therapy",
        expression='("stem cell" OR hematopoietic OR haematopoietic OR HSCT OR AHSCT OR mesenchymal)',
    ),
    InterventionOption(
        key="hsct",
        label="Haematopoietic stem cell transplant (aHSCT)",
        expression=(
            '(hematopoietic OR haematopoietic OR HSCT OR AHSCT OR "stem cell transplant" '
            'OR "stem cell transplantation")'
        ),
    ),
    InterventionOption(
        key="mesenchymal",
        label="Mesenchymal stem/stromal cells",
        expression='(mesenchymal OR "mesenchymal stem cell" OR "mesenchymal stromal cell")',
    ),
    InterventionOption(
        key="neural",
        label="Neural stem or progenitor cells",
        expression='("neural stem cell" OR "neural progenitor" OR "neural precursor")',
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
