"""Stem-cell companion bot: sourced explainers, clinic caution, moderator rules and a private journal."""

__version__ = "0.1.0"
