"""Domain logic, free of Discord (ruff's banned-api rule enforces it)."""
