"""Flesch–Kincaid grade of the content, counted the way a member reads it in Discord.

Grade = 0.39 × (words per sentence) + 11.8 × (syllables per word) − 15.59, the US school grade
a reader needs. Patient-information guidance aims at 8 or below; `check` holds every explainer
body, glossary definition and card point to that.

The counting is written here rather than taken from a library. textstat, the usual choice,
fetches a pronunciation dictionary from the internet the first time it counts (its releases
since 0.7.9), which a bot that only talks to Discord and ClinicalTrials.gov must not do; its
older releases count syllables by hyphenation points, which finds 3 in "cyclophosphamide"
and "haematopoietic", so long medical words, the very words to catch, looked easy.

How text is counted:
- Discord markdown is read as plain text: `**bold**` and bullet markers are dropped, a link
  counts as its label. A line that is only a bold heading is not graded (it is not a sentence).
- Each line is a sentence or more: a bullet without a full stop still ends at its line end.
  Inside a line, a sentence ends at `.`, `!` or `?` followed by a space.
- A word is a run of letters or digits; a hyphen or slash joins parts into one word
  ("stem-cell"), whose syllables are those of its parts.
- Syllables are vowel groups, with the usual English corrections (a silent final e, "-es"
  and "-ed" endings, "-le", vowel pairs said as two). Abbreviations such as MS or aHSCT count
  one syllable, as common readability tools count them; the jargon check deals with them. A
  number counts one syllable per digit, up to three.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

GRADE_LIMIT = 8.0

_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_HEADING = re.compile(r"^\*\*[^*]+\*\*:?$")
_BULLET = re.compile(r"^(?:[-•*]|\d+[.)])\s+")
_MARKUP = re.compile(r"[*_`>~]")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*(?:[-/][^\W_]+(?:['’][^\W_]+)*)*")
_PART = re.compile(r"[^\W_]+")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")
# Vowel pairs inside one group that English says as two syllables (bacteria, medium, usual).
_TWO_SYLLABLE_PAIRS = re.compile(r"(?<![cgst])i[ao]|iu|(?<![qg])ua(?!r)")
# "-ing" after a vowel ("being", "going") and "-ism" ("autism") add a syllable the vowel groups miss.
_EXTRA_SYLLABLE_ENDING = re.compile(r"(?:[aeiouy]ing|ism)s?$")
# A silent e kept before a suffix: "likely", "safely", "statement", "careful".
_SILENT_E_BEFORE_SUFFIX = re.compile(r"[^aeiouy]e(?:ly|ment|ments|ness|ful|less)$")


@dataclass(frozen=True)
class TextCounts:
    sentences: int
    words: int
    syllables: int

    @property
    def grade(self) -> float:
        """The Flesch–Kincaid grade, to one decimal; 0.0 for text without words."""
        if not self.words or not self.sentences:
            return 0.0
        raw = 0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59
        return round(raw, 1)


def sentences(text: str) -> list[str]:
    """The sentences a reader meets, markdown removed and headings left out."""
    found: list[str] = []
    for raw_line in _LINK.sub(r"\1", text).splitlines():
        line = raw_line.strip()
        if not line or _HEADING.match(line):
            continue
        line = _MARKUP.sub("", _BULLET.sub("", line)).strip()
        found.extend(part.strip() for part in _SENTENCE_END.split(line) if _WORD.search(part))
    return found


def words(sentence: str) -> list[str]:
    return _WORD.findall(sentence)


def count(text: str) -> TextCounts:
    found = sentences(text)
    all_words = [w for s in found for w in words(s)]
    return TextCounts(
        sentences=len(found), words=len(all_words), syllables=sum(word_syllables(w) for w in all_words)
    )


def grade(text: str) -> float:
    """The Flesch–Kincaid grade of `text` (markdown allowed), to one decimal."""
    return count(text).grade


def word_syllables(word: str) -> int:
    """Syllables in one word; hyphenated or slashed words add up their parts."""
    return sum(_part_syllables(part) for part in _PART.findall(word)) or 1


@lru_cache(maxsize=4096)
def _part_syllables(part: str) -> int:
    if part.isdigit():
        return min(len(part), 3)
    if any(c.isdigit() for c in part) or sum(c.isupper() for c in part) >= 2:
        return 1  # an abbreviation or a code such as NCT04047628
    return _spoken_syllables(part.lower())


def _spoken_syllables(word: str) -> int:
    count = len(_VOWEL_GROUP.findall(word)) + len(_TWO_SYLLABLE_PAIRS.findall(word))
    count += bool(_EXTRA_SYLLABLE_ENDING.search(word))
    count -= bool(_SILENT_E_BEFORE_SUFFIX.search(word))
    if count > 1 and _has_silent_e(word):
        count -= 1
    return max(count, 1)


def _has_silent_e(word: str) -> bool:
    """A final e that is not said: "make", "cure", "types", "lives", "returned", "used".

    Said in "people", "centre", "free", "diseases", "changes", "tested", "agreed".
    """
    vowels = "aeiouy"
    if word.endswith("e"):
        before = word[:-1]
        if not before or before[-1] in vowels:
            return False  # "free", "agree", "the" is short anyway
        return not _syllabic_l_or_r(before)  # "people", "centre"
    if word.endswith(("es", "ed")):
        stem = word[:-2]
        if not stem or stem[-1] in vowels:
            return False  # "studies", "agreed"
        if _syllabic_l_or_r(stem):
            return False  # "articles", "centres", "handled"
        if word.endswith("es"):
            return not stem.endswith(("s", "x", "z", "c", "g", "ch", "sh"))  # "cases", "changes"
        return not stem.endswith(("t", "d"))  # "tested", "needed"
    return False


def _syllabic_l_or_r(stem: str) -> bool:
    """An l or r after another consonant carries its own syllable: "peop|le", "cent|re", "hand|led"."""
    return len(stem) > 1 and stem[-1] in "lr" and stem[-2] not in "aeiouy" and stem[-2] != stem[-1]
