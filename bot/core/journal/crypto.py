"""Encryption of journal text at rest: Fernet (AES-128-CBC + HMAC-SHA256), one key per deployment.

Where the key comes from, in order: the `JOURNAL_KEY` setting; else a key file beside the
database (created once, atomically, mode 0600). A wrong or missing key for existing data is a
`JournalKeyError` at start-up; nothing here ever rewrites or deletes stored data.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)

#: Known plaintext stored encrypted on first use; decrypting it proves the key is the right one.
CANARY_PLAINTEXT = b"stemcell-bot journal key check v1"
KEY_FILE_SUFFIX = ".journal.key"
_CONTEXT_SEPARATOR = b"\x00"


class JournalKeyError(Exception):
    """The journal key is missing, malformed or not the one the data was written with.

    The message is for the operator: it says what to do and never contains the key.
    """


class JournalIntegrityError(Exception):
    """A stored value failed authentication or belongs to another member/field (tampering)."""


class KeyOrigin(StrEnum):
    SETTING = "JOURNAL_KEY"
    KEY_FILE = "key file"
    NEW_KEY_FILE = "new key file"


@dataclass(frozen=True)
class ResolvedKey:
    """The key to use and where it came from (for the start-up log line; never the key itself)."""

    key: bytes
    origin: KeyOrigin
    path: Path | None = None

    def __repr__(self) -> str:
        return f"ResolvedKey(origin={self.origin.value!r}, path={self.path!s})"


def generate_key() -> str:
    """A fresh key in the form JOURNAL_KEY expects (44 characters of URL-safe base64)."""
    return Fernet.generate_key().decode("ascii")


def default_key_path(database_path: Path) -> Path:
    """The key file beside the database: `data/stemcell-bot.sqlite3` -> `data/stemcell-bot.journal.key`."""
    return database_path.with_name(database_path.stem + KEY_FILE_SUFFIX)


def parse_key(text: str, where: str) -> bytes:
    """Check that `text` is a Fernet key; the error names `where` it came from, not the value."""
    candidate = text.strip().encode("ascii", errors="replace")
    try:
        raw = base64.urlsafe_b64decode(candidate)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32 or len(candidate) != 44:
        raise JournalKeyError(
            f"{where}: not a valid journal key; expected 44 characters of URL-safe base64 "
            f"(32 random bytes), such as the output of "
            f'`python -c "from bot.core.journal.crypto import generate_key; print(generate_key())"`'
        )
    return candidate


def resolve_key(configured: str, key_path: Path, *, data_exists: bool) -> ResolvedKey:
    """Pick the key: the setting, else the key file, else (only for a journal with no data) a new file.

    With data present and no key anywhere, refuse: a new key could never read the old entries.
    """
    if configured.strip():
        return ResolvedKey(parse_key(configured, "JOURNAL_KEY"), KeyOrigin.SETTING)
    if key_path.exists():
        return ResolvedKey(_read_key_file(key_path), KeyOrigin.KEY_FILE, key_path)
    if data_exists:
        raise JournalKeyError(
            f"The database already holds encrypted journal entries, but JOURNAL_KEY is not set and "
            f"the key file {key_path} does not exist. Set JOURNAL_KEY to the key they were written "
            f"with, or put the key file back. Nothing was changed."
        )
    key = _create_key_file(key_path)
    return ResolvedKey(key, KeyOrigin.NEW_KEY_FILE, key_path)


def _read_key_file(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        text = path.read_text("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise JournalKeyError(f"Journal key file {path}: cannot be read ({type(exc).__name__}).") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "Journal key file %s can be read by other users (mode %o); run: chmod 600 %s",
            path,
            stat.S_IMODE(mode),
            path,
        )
    return parse_key(text, f"Journal key file {path}")


def _create_key_file(path: Path) -> bytes:
    """Write a new key with mode 0600, atomically: a crash leaves either no file or a whole one.

    The key goes to a private temporary file first and is hard-linked into place, which fails
    rather than overwrites if another process created the file meanwhile.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(descriptor, 0o600)
            os.write(descriptor, key + b"\n")
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        try:
            os.link(temporary, path)
        except FileExistsError:
            # Someone else won the race: use their key, never replace it.
            return _read_key_file(path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_directory(path.parent)
    log.warning(
        "Created a new journal key file at %s (mode 0600). Back it up with the database: "
        "without it, journal entries cannot be read.",
        path,
    )
    return key


def _fsync_directory(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


class JournalCipher:
    """Seals and opens journal text; each value is bound to its member and field.

    Fernet authenticates but has no associated data, so the context (member id and field name)
    is sealed inside the token and checked on opening: a value copied into another member's row
    or another column is refused instead of shown.
    """

    __slots__ = ("_fernet",)

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def __repr__(self) -> str:
        return "JournalCipher(key=********)"

    def seal(self, text: str | None, context: str) -> bytes | None:
        if text is None:
            return None
        return self._fernet.encrypt(context.encode("utf-8") + _CONTEXT_SEPARATOR + text.encode("utf-8"))

    def open(self, token: bytes | None, context: str) -> str | None:
        if token is None:
            return None
        try:
            payload = self._fernet.decrypt(bytes(token))
        except InvalidToken:
            raise JournalIntegrityError(f"a journal value ({context}) failed authentication") from None
        stored_context, separator, text = payload.partition(_CONTEXT_SEPARATOR)
        if not separator or stored_context != context.encode("utf-8"):
            raise JournalIntegrityError(f"a journal value was moved from another place ({context})")
        return text.decode("utf-8")

    def make_canary(self) -> bytes:
        return self._fernet.encrypt(CANARY_PLAINTEXT)

    def check_canary(self, token: bytes, origin: str = "the journal key") -> None:
        """Raise JournalKeyError unless `token` was made by this key."""
        try:
            plaintext = self._fernet.decrypt(bytes(token))
        except InvalidToken:
            plaintext = b""
        if plaintext != CANARY_PLAINTEXT:
            raise JournalKeyError(
                f"{origin} is not the key this database's journal was written with, so its entries "
                f"cannot be read. Set JOURNAL_KEY (or restore the key file) to the original key. "
                f"Nothing was changed."
            )


def field_context(user_id: int, field_name: str) -> str:
    """Binds a sealed value to its owner and column."""
    return f"journal:{user_id}:{field_name}"
