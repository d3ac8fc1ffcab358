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


def _fold_fully(text: str) -> str:
    """The reference folding: decompose, case-fold, drop the accents (every other path agrees with it)."""
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text).casefold())


def _latin1_table() -> bytes:
    """`_fold_fully` of each Latin-1 character as one byte; 0 where it is not one Latin-1 character.

    Latin-1 characters are all starters whose decompositions hold at most one accent, so folding a
    Latin-1 text character by character gives exactly `_fold_fully` of the whole text. Only µ, ß, ¼,
    ½ and ¾ fold to something else; they (and a NUL in the text) send the text the long way.
    """
    table = bytearray(256)
    for code in range(1, 256):
        folded = _fold_fully(chr(code))
        if len(folded) == 1 and ord(folded) < 256:
            table[code] = ord(folded)
    return bytes(table)


_LATIN1_FOLD = _latin1_table()


def fold(text: str) -> str:
    """Case, accents, compatibility forms and markup: the form the matchers read (see module doc)."""
    if text.isascii():
        folded = text.lower()
    elif unicodedata.is_normalized("NFKD", text) and unicodedata.is_normalized("NFC", text):
        # Nothing to decompose and no loose accents: usually emoji, or Cyrillic typed as is.
        folded = text.casefold()
    else:
        # Accented Western European text ("clínica", "diagnostiquée") is Latin-1: one byte table
        # lookup per character does what NFKD, case folding and the accent regex do, five times faster.
        latin1 = text.encode("latin-1", "ignore")
        if len(latin1) == len(text) and 0 not in (latin1 := latin1.translate(_LATIN1_FOLD)):
            folded = latin1.decode("latin-1")
        else:
            folded = _fold_fully(text)
    if "<" in folded:
        folded = _DISCORD_MARKUP.sub(" ", folded)
    return folded


def blank_markup(folded: str) -> str:
    """`fold`'s last step alone, for a caller that has already lower-cased an ASCII text."""
    return _DISCORD_MARKUP.sub(" ", folded)


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
