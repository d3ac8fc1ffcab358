"""Explainers, glossary and caution list: models, loading, search and rendering."""
