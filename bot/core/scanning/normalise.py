"""One normal form for every matcher: each message is normalised once, then matched once.

Case is folded, accents are dropped ("clínica" reads as "clinica"), compatibility forms are
unified (full-width letters, ligatures, odd spaces) and runs of whitespace become one space.
Words added by moderators and words in `content/clinic_watch.yaml` go through the same function,
so a word always meets the message in the same form.
"""

from __future__ import annotations

import re
import unicodedata

from bot.errors import InvalidInput

# Combining marks left behind by NFKD in Latin, Greek and Cyrillic text. Dropping them turns
# "é" into "e" and "й" into "и"; marks that carry meaning in other scripts are left alone.
_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

# Discord's markup for custom emoji, mentions and timestamps: ids and emoji names are not words
# the member wrote (a custom emoji named :clinic: must not read as a clinic mention).
_DISCORD_MARKUP = re.compile(r"<(?:a?:\w+:\d+|@[!&]?\d+|#\d+|t:-?\d+(?::\w)?)>")

# A word is a run of letters and digits, with inner apostrophes kept ("wharton's"); anything
# else separates the words of a phrase.
_WORD_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")

MIN_WORD_LENGTH = 3
MAX_WORD_LENGTH = 60
MAX_WORD_TOKENS = 6


def normalise(text: str) -> str:
    """Return the matching form of a message; cheap on plain ASCII, the common case."""
    if text.isascii():
        folded = text.lower()
    else:
        folded = _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text).casefold())
    if "<" in folded:
        folded = _DISCORD_MARKUP.sub(" ", folded)
    # Collapsing costs more than the checks, and most messages have nothing to collapse.
    if "  " in folded or "\n" in folded or "\t" in folded or "\r" in folded:
        return " ".join(folded.split())
    return folded.strip()


def normalise_word(word: str) -> str:
    """Return the canonical form of a listed word or phrase, or raise `InvalidInput`.

    "Stem-Cell  Clínic" becomes "stem cell clinic": the matcher lets the words of a phrase be
    joined by spaces, hyphens or nothing at all, so punctuation inside a phrase carries no meaning.
    """
    tokens = _WORD_TOKEN.findall(normalise(word).replace("’", "'"))
    canonical = " ".join(tokens)
    if not tokens:
        raise InvalidInput(f"{word.strip()!r} has no letters or digits to look for.")
    if len(canonical) < MIN_WORD_LENGTH:
        raise InvalidInput(
            f"{canonical!r} is too short: words need at least {MIN_WORD_LENGTH} letters, "
            "or they would match ordinary chat."
        )
    if len(canonical) > MAX_WORD_LENGTH:
        raise InvalidInput(f"That phrase is too long: keep it under {MAX_WORD_LENGTH} characters.")
    if len(tokens) > MAX_WORD_TOKENS:
        raise InvalidInput(f"That phrase has too many words: keep it to {MAX_WORD_TOKENS} or fewer.")
    return canonical
