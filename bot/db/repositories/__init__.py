"""Repositories: one per table family, returning core models."""
