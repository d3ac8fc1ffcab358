"""Thin adapters between Discord and the core and db layers."""
