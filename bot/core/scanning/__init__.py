"""Message scanning: one normalisation and one re2 pass per server message, shared by every listener."""

from bot.core.scanning.cooldown import CooldownPolicy
from bot.core.scanning.matcher import CompiledMatcher, Trigger, TriggerKind, word_trigger
from bot.core.scanning.normalise import fold, normalise, normalise_word
from bot.core.scanning.rules import SIGNAL_PHRASES, Decision, Outcome, decide, describe
from bot.core.scanning.scanner import (
    NO_HITS,
    ClinicAlert,
    MessageScanner,
    ScanPreview,
    ScanResult,
    SignalFound,
    WordMatch,
)
from bot.core.scanning.settings import ClinicWatchSettings, ClinicWordLists, Sensitivity, WordKind
from bot.core.scanning.words import ClinicWordsError, load_clinic_watch_words, parse_clinic_watch_words

__all__ = [
    "NO_HITS",
    "SIGNAL_PHRASES",
    "ClinicAlert",
    "ClinicWatchSettings",
    "ClinicWordLists",
    "ClinicWordsError",
    "CompiledMatcher",
    "CooldownPolicy",
    "Decision",
    "MessageScanner",
    "Outcome",
    "ScanPreview",
    "ScanResult",
    "Sensitivity",
    "SignalFound",
    "Trigger",
    "TriggerKind",
    "WordKind",
    "WordMatch",
    "decide",
    "describe",
    "fold",
    "load_clinic_watch_words",
    "normalise",
    "normalise_word",
    "parse_clinic_watch_words",
    "word_trigger",
]
