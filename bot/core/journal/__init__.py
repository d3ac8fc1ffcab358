"""The private therapy journal: entry model, rules, encryption, export, summary, chart, reminders.

Free of Discord; the cog translates between interactions and these functions, and
`bot.db.repositories.journal` stores entries.
"""
