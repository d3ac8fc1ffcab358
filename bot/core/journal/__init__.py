"""The private therapy journal: entry model, rules, drafts, encryption, export, summary, chart, reminders.

Free of Discord; the cog translates between interactions and `bot.services.journal`, which runs
these rules around `bot.db.repositories.journal`, where entries are stored.
"""
