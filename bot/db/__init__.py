"""Data layer: one aiosqlite connection, migrations, repositories. Every SQL statement lives here."""
