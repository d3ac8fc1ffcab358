"""Command line: `stemcell-bot [run|check|preview|migrate|backup|rotate-key]`.

Every expected failure (bad settings, broken content, a refused token, a missing intent) ends
with one clear line per problem and exit code 1, never a traceback.
"""

from __future__ import annotations

import gc

if __name__ == "__main__":  # `python -m bot`: no collection while the bot loads (bot/memory.py)
    gc.disable()

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dotenv import load_dotenv

from bot import __version__
from bot.core.content.loader import (
    CAUTION_FILE,
    CENTRE_FILE,
    GLOSSARY_FILE,
    QUESTIONS_FILE,
    ContentError,
    load_content,
)
from bot.core.content.model import ContentBundle
from bot.core.content.render import (
    embed_as_text,
    render_caution,
    render_centre,
    render_checklist,
    render_explainer,
    render_glossary_term,
)
from bot.core.content.search import Ranker
from bot.core.journal.crypto import JournalKeyError, default_key_path, rotation_paths
from bot.db.database import open_database
from bot.db.migrate import MigrationError, apply_migrations, available_migrations, current_version
from bot.db.repositories.journal import KeyRotationError, lock_out_other_connections
from bot.db.repositories.trial_watches import reseal_trial_watches
from bot.log import setup_logging
from bot.services.journal import KeyRotation, journal_migration_inputs, rotate_journal_key
from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:  # the review and the readability count run for `check` and `preview` only
    from bot.core.content.review import ContentReview

log = logging.getLogger("bot")

PROG = "stemcell-bot"
DESCRIPTION = "A Discord companion for people with MS weighing or going through stem-cell therapy."
EPILOG = """\
commands:
  run               connect to Discord and serve (the default when no command is given)
  check             validate settings, every content file and the migrations; exit 1 on problems
  preview [TOPIC]   print an explainer as plain text with its reading grade (no TOPIC:
                    list topics); --glossary TERM, --caution, --centre or
                    --questions clinic|centre preview those instead
  migrate           apply pending database migrations and exit
  backup PATH       write a consistent copy of the database to PATH, safe while the bot runs
  rotate-key        re-seal the journal under a new key, after a backup (stop the bot first)

Settings come from the environment and from a .env file in the working directory;
see .env.example for every setting.
"""


class CliError(Exception):
    """An expected failure: its lines are printed as they are and the exit code is 1."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="connect to Discord and serve (default)")
    sub.add_parser("check", help="validate settings, content and migrations")
    preview = sub.add_parser("preview", help="print an explainer as plain text")
    preview.add_argument("topic", nargs="?", help="topic slug, title or alias (omit to list topics)")
    preview.add_argument("--glossary", metavar="TERM", help="preview a glossary term instead")
    preview.add_argument("--caution", action="store_true", help="preview the caution list instead")
    preview.add_argument(
        "--centre", action="store_true", help="preview the 'Choosing a transplant centre' card instead"
    )
    preview.add_argument(
        "--questions", choices=("clinic", "centre"), help="preview a 'Questions to ask' checklist instead"
    )
    sub.add_parser("migrate", help="apply pending database migrations")
    backup = sub.add_parser("backup", help="copy the database to PATH while the bot may be running")
    backup.add_argument("path", type=Path, help="where to write the copy")
    sub.add_parser("rotate-key", help="re-seal the journal under a new key (stop the bot first)")
    return parser


def _settings(*, require_token: bool) -> Settings:
    load_dotenv(Path.cwd() / ".env", override=False)
    try:
        return load_settings(os.environ, require_token=require_token)
    except SettingsError as exc:
        raise CliError(*exc.problems) from None


def _content(settings: Settings) -> ContentBundle:
    try:
        return load_content(settings.content_dir)
    except ContentError as exc:
        raise CliError(*(f"content: {p}" for p in exc.problems)) from None


def command_check() -> int:
    from bot.core.content.review import review_content
    from bot.core.scanning.words import PLACES_FILE_NAME, check_place_names, read_place_names

    problems: list[str] = []
    notes: list[str] = []
    grades: list[str] = []
    try:
        settings = _settings(require_token=False)
    except CliError as exc:
        problems.extend(exc.lines)
        settings = None
    if settings is not None:
        if not settings.discord_token:
            notes.append("note: DISCORD_TOKEN is not set; `run` will need it")
        try:
            bundle = _content(settings)
            notes.append(
                f"content: {len(bundle.explainers)} topics, {len(bundle.glossary)} glossary terms, "
                f"{len(bundle.caution.points)} caution points, {len(bundle.centre.points)} centre points, "
                f"{len(bundle.jargon)} jargon words; clinic watch: "
                f"{len(bundle.clinic_words.clinic)} clinic words, {len(bundle.clinic_words.context)} "
                f"stem-cell context words, {len(bundle.clinic_words.neutral)} neutral phrases, "
                f"{len(bundle.clinic_words.place)} place names"
            )
            review = review_content(bundle)
            grades = _grade_report(review)
            problems.extend(f"content: {p}" for p in review.problems())
            places = settings.content_dir / PLACES_FILE_NAME
            if places.exists():
                problems.extend(f"content: {p}" for p in check_place_names(read_place_names(places)))
        except CliError as exc:
            problems.extend(exc.lines)
        notes.append(_journal_key_note(settings))
    try:
        notes.append(asyncio.run(_check_migrations(settings)))
    except MigrationError as exc:
        problems.append(f"migrations: {exc}")
    for line in grades:
        print(line)
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    for line in notes:
        print(line)
    print("All clear.")
    return 0


def _grade_report(review: ContentReview) -> list[str]:
    from bot.core.content.readability import GRADE_LIMIT

    """Each topic's reading grade, then the hardest text of each other kind."""
    lines = [f"reading grades (Flesch-Kincaid, at most {GRADE_LIMIT:.0f}):"]
    lines += [f"  {slug:<24} {value:4.1f}" for slug, value in review.topic_grades.items()]
    for label, prefix in (
        ("glossary", GLOSSARY_FILE),
        ("caution points", CAUTION_FILE),
        ("centre points", CENTRE_FILE),
        ("checklists", QUESTIONS_FILE),
    ):
        hardest = review.hardest(prefix)
        if hardest is not None:
            lines.append(f"  {label:<24} {hardest.grade:4.1f} at the hardest ({hardest.where})")
    return lines


def _journal_key_note(settings: Settings) -> str:
    """Where the journal key will come from, without reading or printing it."""
    if settings.journal_key:
        return "journal key: from JOURNAL_KEY"
    key_file = default_key_path(settings.database_path)
    if key_file.is_file():
        return f"journal key: from {key_file} (keep a copy of it with your database backups)"
    return f"journal key: none yet; {key_file} will be created at first start"


async def _check_migrations(settings: Settings | None) -> str:
    """Apply every migration to a scratch database; report the real database's version if it exists."""
    migrations = available_migrations()
    with tempfile.TemporaryDirectory() as scratch:
        db = await open_database(Path(scratch) / "check.sqlite3")
        try:
            await apply_migrations(db)
        except Exception as exc:
            raise MigrationError(f"a migration fails on an empty database: {exc}") from exc
        finally:
            await db.close()
    latest = migrations[-1].version if migrations else 0
    summary = f"migrations: {len(migrations)} apply cleanly (latest {latest:04d})"
    if settings is not None and settings.database_path.is_file():
        db = await open_database(settings.database_path)
        try:
            version = await current_version(db)
        finally:
            await db.close()
        if version > latest:
            raise MigrationError(f"{settings.database_path} is at version {version}, newer than {latest}")
        pending = latest - version
        summary += f"; {settings.database_path} is at {version:04d}" + (
            f" ({pending} pending, applied at start)" if pending else ""
        )
    return summary


def command_preview(
    topic: str | None, glossary: str | None, caution: bool, centre: bool = False, questions: str | None = None
) -> int:
    from bot.core.content.readability import GRADE_LIMIT, grade
    from bot.core.content.review import review_content

    settings = _settings(require_token=False)
    bundle = _content(settings)
    if caution:
        print(embed_as_text(render_caution(bundle.caution)))
        return 0
    if centre:
        print(embed_as_text(render_centre(bundle.centre)))
        return 0
    if questions is not None:
        checklist = bundle.questions.centre if questions == "centre" else bundle.questions.clinic
        print(embed_as_text(render_checklist(checklist)))
        return 0
    if glossary is not None:
        ranker = Ranker((t.slug, t.term, t.aliases) for t in bundle.glossary.values())
        slug = ranker.best(glossary)
        if slug is None:
            raise CliError(f"preview: no glossary term matches {glossary!r}", _suggest(ranker, glossary))
        print(embed_as_text(render_glossary_term(bundle.glossary[slug], bundle)))
        return 0
    if topic is None:
        print("Topics (preview one with `stemcell-bot preview SLUG`):")
        for explainer in bundle.explainer_list():
            print(f"  {explainer.slug:<20} {explainer.title}")
        return 0
    ranker = Ranker((e.slug, e.title, e.aliases) for e in bundle.explainer_list())
    slug = topic if topic in bundle.explainers else ranker.best(topic)
    if slug is None:
        raise CliError(f"preview: no topic matches {topic!r}", _suggest(ranker, topic))
    explainer = bundle.explainers[slug]
    rendered = render_explainer(explainer, bundle)
    print(embed_as_text(rendered.embed))
    if rendered.related:
        print("Buttons: " + " | ".join(label for _, label in rendered.related))
    print(
        f"Reading grade of the body (Flesch-Kincaid): {grade(explainer.body):.1f}, at most {GRADE_LIMIT:.0f}"
    )
    for problem in review_content(bundle).problems():
        if problem.startswith(f"explainers.yaml: topic {slug!r}"):
            print(f"To fix: {problem}")
    return 0


def _suggest(ranker: Ranker, query: str) -> str:
    matches = ranker.suggest(query, limit=5)
    if not matches:
        return "run `stemcell-bot preview` to list what exists"
    return "did you mean: " + ", ".join(m.key for m in matches)


def command_migrate() -> int:
    settings = _settings(require_token=False)

    inputs = journal_migration_inputs(settings.journal_key.get(), default_key_path(settings.database_path))

    async def migrate() -> list[str]:
        db = await open_database(settings.database_path)
        try:
            return [f"{m.version:04d}_{m.name}" for m in await apply_migrations(db, inputs)]
        finally:
            await db.close()

    try:
        applied = asyncio.run(migrate())
    except (MigrationError, JournalKeyError) as exc:
        raise CliError(f"migrate: {exc}") from None
    print(f"Applied: {', '.join(applied)}" if applied else "Database is up to date.")
    return 0


def command_backup(target: Path) -> int:
    settings = _settings(require_token=False)
    if not settings.database_path.is_file():
        raise CliError(f"backup: no database at {settings.database_path} (DATABASE_PATH)")
    if target.resolve() == settings.database_path.resolve():
        raise CliError("backup: PATH is the live database itself; choose another file")

    async def backup() -> None:
        db = await open_database(settings.database_path)
        try:
            await db.backup_to(target)
        finally:
            await db.close()

    asyncio.run(backup())
    print(f"Backed up {settings.database_path} to {target}")
    return 0


def command_rotate_key() -> int:
    settings = _settings(require_token=False)
    if not settings.database_path.is_file():
        raise CliError(f"rotate-key: no database at {settings.database_path} (DATABASE_PATH)")
    configured = settings.journal_key.get()
    key_path = default_key_path(settings.database_path)

    async def rotate() -> KeyRotation:
        db = await open_database(settings.database_path)
        try:
            if not await lock_out_other_connections(db):
                raise CliError(
                    f"rotate-key: {settings.database_path} is open in another process (is the bot "
                    "running?). Stop the bot, then run rotate-key again. Nothing was changed."
                )
            await apply_migrations(db, journal_migration_inputs(configured, key_path))
            # Trial watches are sealed with the journal's keys: re-sealed in the same transaction.
            return await rotate_journal_key(
                db, configured, key_path, datetime.now(UTC), also=(reseal_trial_watches,)
            )
        finally:
            await db.close()

    try:
        rotation = asyncio.run(rotate())
    except (JournalKeyError, MigrationError, KeyRotationError) as exc:
        raise CliError(f"rotate-key: {exc}") from None
    for line in _rotation_report(rotation, key_path):
        print(line)
    if rotation.new_key is not None:
        pending, _ = rotation_paths(key_path, "")
        pending.unlink(missing_ok=True)  # shown now; only the operator keeps it from here on
    return 0


def _rotation_report(rotation: KeyRotation, key_path: Path) -> list[str]:
    lines: list[str] = []
    if rotation.report is None:
        lines.append("Finished a key rotation that was interrupted after the journal was re-sealed.")
    else:
        report = rotation.report
        lines.append(f"Backed up the database to {rotation.backup} first (still sealed with the old key).")
        entries = f"{report.entries} entr{'y' if report.entries == 1 else 'ies'}"
        lines.append(
            f"Re-sealed {report.members} member(s), {entries} and {report.reminders} reminder(s) "
            "under a new key, pseudonyms included."
        )
    if rotation.new_key is None:
        lines.append(f"The new key is in {key_path}.")
        if rotation.retired_key is not None:
            lines.append(f"The old key is kept as {rotation.retired_key}: it is the key for that backup.")
        lines.append(
            "Back the new key file up with your database backups: without it the journal cannot be read."
        )
        return lines
    lines += [
        "",
        f"New journal key (shown once, stored nowhere): {rotation.new_key}",
        "",
        "Set JOURNAL_KEY to it before you start the bot again: with the old key the bot refuses to",
        "start. Keep the new key somewhere safe apart from the database (a password manager), and keep",
        "the old key with the backup above, which only it can read.",
    ]
    return lines


def command_run() -> int:
    settings = _settings(require_token=True)
    setup_logging(settings.log_level, secrets=[settings.discord_token.get(), settings.journal_key.get()])
    content = _content(settings)
    return asyncio.run(run_bot(settings, content))


async def run_bot(settings: Settings, content: ContentBundle) -> int:
    """Run until Discord closes or SIGINT/SIGTERM arrives; everything is closed in reverse order."""
    try:
        return await _run_bot(settings, content)
    finally:
        gc.enable()  # if the bot stopped before it was set up (bot/memory.py)


async def _run_bot(settings: Settings, content: ContentBundle) -> int:
    import aiohttp
    import discord

    from bot.app import open_bot

    try:
        async with open_bot(settings, content) as bot:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(signum, _request_shutdown, bot, signum)
            try:
                await bot.start(settings.discord_token.get())
            except discord.PrivilegedIntentsRequired:
                raise CliError(
                    "DISCORD_TOKEN: this application may not read message content. Turn on "
                    "'Message Content Intent' in the developer portal (Applications > your app > Bot > "
                    "Privileged Gateway Intents) and start the bot again."
                ) from None
            except discord.LoginFailure:
                raise CliError(
                    "DISCORD_TOKEN: Discord refused this token; copy a fresh one from the developer "
                    "portal (Applications > your app > Bot > Reset Token)"
                ) from None
            except discord.HTTPException as exc:
                raise CliError(_start_up_refusal(settings, exc)) from None
            except (aiohttp.ClientError, discord.GatewayNotFound, OSError) as exc:
                raise CliError(
                    f"DISCORD_API_BASE: cannot reach {settings.discord_api_base} "
                    f"({type(exc).__name__}); check the network, or the address if you set one"
                ) from None
    except MigrationError as exc:
        raise CliError(f"database: {exc}") from None
    except JournalKeyError as exc:
        raise CliError(f"JOURNAL_KEY: {exc}") from None
    log.info("Shut down cleanly")
    return 0


def _start_up_refusal(settings: Settings, error: Any) -> str:
    """One line for a request Discord refused while the bot was starting (most often the command sync)."""
    code = getattr(error, "code", 0)
    status = getattr(error, "status", 0)
    if code == 30034:
        return (
            "SYNC_COMMANDS: Discord's daily limit on creating commands is reached; start with "
            "SYNC_COMMANDS=never today, or try again tomorrow"
        )
    if settings.dev_guild_id and (status in (403, 404) or code == 50001):
        return (
            f"DEV_GUILD_ID: the bot cannot add commands to server {settings.dev_guild_id}; invite it there "
            "with the applications.commands scope, or unset DEV_GUILD_ID"
        )
    return f"Discord refused a start-up request ({status}, code {code}): {getattr(error, 'text', '')}".strip()


_shutdown_tasks: set[asyncio.Task[None]] = set()


def _request_shutdown(bot: object, signum: int) -> None:
    log.info("Received %s; shutting down", signal.Signals(signum).name)
    close = getattr(bot, "close", None)
    if close is not None:
        task = asyncio.get_running_loop().create_task(close())
        _shutdown_tasks.add(task)
        task.add_done_callback(_shutdown_tasks.discard)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command not in (None, "run"):
        gc.enable()  # held only while the bot starts (bot/memory.py)
    try:
        match args.command:
            case None | "run":
                return command_run()
            case "check":
                return command_check()
            case "preview":
                return command_preview(args.topic, args.glossary, args.caution, args.centre, args.questions)
            case "migrate":
                return command_migrate()
            case "backup":
                return command_backup(args.path)
            case "rotate-key":
                return command_rotate_key()
    except CliError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
