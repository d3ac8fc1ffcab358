"""One normal form for every matcher: each message is normalised once, then matched once.

Case is folded, accents are dropped ("clínica" reads as "clinica"), compatibility forms are
unified (full-width letters, ligatures, odd spaces) and Discord markup is blanked out. Words
added by moderators and words in `content/clinic_watch.yaml` go through the same folding, so a
word always meets the message in the same form.

Whitespace: `normalise` collapses runs of it, for words and for anything shown or compared as a
whole. The scanner's hot path uses `fold` instead and leaves whitespace as typed, because the
patterns absorb runs of it (a space in a phrase matches any run of spaces, hyphens and the
like), which gives the same matches without rewriting every message.
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


def fold(text: str) -> str:
    """Case, accents, compatibility forms and markup: the form the matchers read (see module doc)."""
    if text.isascii():
        folded = text.lower()
    elif unicodedata.is_normalized("NFKD", text) and unicodedata.is_normalized("NFC", text):
        # Nothing to decompose and no loose accents: usually emoji, or Cyrillic typed as is.
        folded = text.casefold()
    else:
        folded = _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text).casefold())
    if "<" in folded:
        folded = _DISCORD_MARKUP.sub(" ", folded)
    return folded


def normalise(text: str) -> str:
    """`fold`, then runs of whitespace become one space and the ends are trimmed."""
    return " ".join(fold(text).split())


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
