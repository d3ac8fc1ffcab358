"""Sealing the journal at rest: one root key per deployment, keys derived from it for each purpose.

The root key (`JOURNAL_KEY`, else a key file beside the database, created once, atomically, mode
0600) is never used directly. HKDF-SHA256 derives, each under its own label:

- the sealing key: AES-256-GCM for every sealed value. GCM authenticates each value and binds it
  to its member and place (associated data), so a value that was altered, or copied into another
  member's row, is refused instead of shown. Well under 2 µs per value here, against about 9 µs for
  Fernet, which matters when a page of entries is opened for every `/journal list`;
- the pseudonym key: HMAC-SHA256 of a member's Discord id, so the database names members only by
  a keyed pseudonym that nobody without the key can compute or reverse.

A wrong or missing key for existing data is a `JournalKeyError` at start-up; nothing here ever
rewrites or deletes stored data (`stemcell-bot rotate-key` re-seals, see `bot.db.repositories`).
`bot/core/journal/README.md` explains what is sealed and why.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import stat
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

#: Known plaintext stored sealed on first use; opening it proves the key is the right one.
CANARY_PLAINTEXT = b"stemcell-bot journal key check v1"
KEY_FILE_SUFFIX = ".journal.key"
KEY_BYTES = 32
#: A member's pseudonym: HMAC-SHA256 cut to 128 bits (no collision among any number of members).
PSEUDONYM_BYTES = 16
#: First byte of every sealed value. Version 1 sealed with the root key itself (until schema 0009);
#: version 2 seals with the derived sealing key.
FORMAT_VERSION = b"\x02"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_CANARY_CONTEXT = b"journal:key-check"
# HKDF labels ("info"): each derived key has one purpose, and a new purpose gets a new label.
_SEALING_LABEL = b"stemcell-bot journal sealing v2"
_PSEUDONYM_LABEL = b"stemcell-bot journal pseudonym v1"


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
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def default_key_path(database_path: Path) -> Path:
    """The key file beside the database: `data/stemcell-bot.sqlite3` -> `data/stemcell-bot.journal.key`."""
    return database_path.with_name(database_path.stem + KEY_FILE_SUFFIX)


def parse_key(text: str, where: str) -> bytes:
    """Check that `text` is a journal key; the error names `where` it came from, not the value."""
    candidate = text.strip().encode("ascii", errors="replace")
    try:
        raw = base64.urlsafe_b64decode(candidate)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES or len(candidate) != 44:
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
        return ResolvedKey(read_key_file(key_path), KeyOrigin.KEY_FILE, key_path)
    if data_exists:
        raise JournalKeyError(
            f"The database already holds encrypted journal entries, but JOURNAL_KEY is not set and "
            f"the key file {key_path} does not exist. Set JOURNAL_KEY to the key they were written "
            f"with, or put the key file back. Nothing was changed."
        )
    key = _create_key_file(key_path)
    return ResolvedKey(key, KeyOrigin.NEW_KEY_FILE, key_path)


def read_key_file(path: Path) -> bytes:
    """The key in `path` (a `JournalKeyError` naming the file when it is unreadable or malformed)."""
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

    If another process created the file meanwhile, its key is used and never replaced.
    """
    try:
        key = write_key_file(path, generate_key())
    except FileExistsError:
        return read_key_file(path)
    log.warning(
        "Created a new journal key file at %s (mode 0600). Back it up with the database: "
        "without it, journal entries cannot be read.",
        path,
    )
    return key


def write_key_file(path: Path, key: str) -> bytes:
    """Write `key` to a new file `path` (mode 0600), all or nothing; FileExistsError if it exists.

    The key goes to a private temporary file first and is hard-linked into place, which fails
    rather than overwrites if the file appeared meanwhile.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = key.encode("ascii")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(descriptor, 0o600)
            os.write(descriptor, data + b"\n")
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_directory(path.parent)
    return data


def rotation_paths(key_path: Path, stamp: str) -> tuple[Path, Path]:
    """Where `rotate-key` writes the new key before it is in use, and where the old one is kept.

    Both end in `.key`, so the start-up permission check covers them.
    """
    stem = key_path.name.removesuffix(KEY_FILE_SUFFIX)
    pending = key_path.with_name(f"{stem}.rotating{KEY_FILE_SUFFIX}")
    retired = key_path.with_name(f"{stem}.before-rotate-{stamp}{KEY_FILE_SUFFIX}")
    return pending, retired


def install_rotated_key(key_path: Path, pending: Path, retired: Path) -> None:
    """Put the new key (in `pending`) in place of the old one, which stays beside it as `retired`.

    The old key is hard-linked to `retired` first, then `pending` replaces `key_path` in one rename:
    at every moment `key_path` holds a whole key, the old one or the new one.
    """
    if not retired.exists():
        os.link(key_path, retired)
    os.replace(pending, key_path)
    _fsync_directory(key_path.parent)


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


class _RandomPool:
    """Bytes from the operating system's CSPRNG, drawn 4 KiB at a time and handed out once each.

    `os.urandom` lets go of the GIL; on the event loop, with the database thread busy, taking it
    back costs more than the call itself, on every nonce and entry key. One draw per few hundred
    values keeps that off the hot path; every byte is still the system's, and none is used twice.
    """

    _SIZE = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._offset = 0

    def take(self, count: int) -> bytes:
        with self._lock:
            if self._offset + count > len(self._buffer):
                self._buffer, self._offset = os.urandom(max(self._SIZE, count)), 0
            start = self._offset
            self._offset += count
            return self._buffer[start : self._offset]


_RANDOM = _RandomPool()


def random_bytes(count: int) -> bytes:
    """`count` bytes from the system's CSPRNG (through the pool above)."""
    return _RANDOM.take(count)


def derive_key(root: bytes, label: bytes) -> bytes:
    """A 32-byte key for one purpose, from the root key (HKDF-SHA256, no salt: the root is random)."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=label).derive(root)


class JournalCipher:
    """Seals and opens bytes with AES-256-GCM; each value is bound to a context (its member and place).

    A sealed value is the format byte, a random 96-bit nonce, then the ciphertext and tag. The
    context is the associated data: it is not stored, it has to match on opening.
    """

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("a sealing key is 32 raw bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "JournalCipher(key=********)"

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = random_bytes(_NONCE_BYTES)
        return FORMAT_VERSION + nonce + self._aead.encrypt(nonce, plaintext, context)

    def open(self, token: bytes, context: bytes) -> bytes:
        """The plaintext; `JournalIntegrityError` when the value is not ours, altered, or moved."""
        if not isinstance(token, bytes):
            token = bytes(token)
        if not token.startswith(FORMAT_VERSION) or len(token) < 1 + _NONCE_BYTES + _TAG_BYTES:
            raise JournalIntegrityError("a journal value is not in this format or was cut short")
        try:
            return self._aead.decrypt(token[1 : 1 + _NONCE_BYTES], token[1 + _NONCE_BYTES :], context)
        except InvalidTag:
            raise JournalIntegrityError(
                "a journal value failed authentication or was moved from another place"
            ) from None

    def make_canary(self) -> bytes:
        return self.seal(CANARY_PLAINTEXT, _CANARY_CONTEXT)

    def check_canary(self, token: bytes, origin: str = "the journal key") -> None:
        """Raise JournalKeyError unless `token` was made by this key."""
        try:
            opened = self.open(token, _CANARY_CONTEXT)
        except JournalIntegrityError:
            opened = None
        if opened != CANARY_PLAINTEXT:
            raise JournalKeyError(
                f"{origin} is not the key this database's journal was written with, so its entries "
                f"cannot be read. Set JOURNAL_KEY (or restore the key file) to the original key. "
                f"Nothing was changed."
            )


class JournalKeys:
    """What the journal derives from its root key: the cipher and members' pseudonyms.

    `root` is the key as configured (44 characters of URL-safe base64, as bytes).
    """

    __slots__ = ("_known", "_pseudonyms", "cipher")

    #: Pseudonyms remembered at most (members active since the last clear); every read and write
    #: names one, and an HMAC costs more than a look-up.
    REMEMBERED = 4096

    def __init__(self, root: bytes) -> None:
        raw = base64.urlsafe_b64decode(root)
        self.cipher = JournalCipher(derive_key(raw, _SEALING_LABEL))
        # Keyed once; each pseudonym copies it (`hmac.digest` would let go of the GIL every time).
        self._pseudonyms = hmac.new(derive_key(raw, _PSEUDONYM_LABEL), digestmod=hashlib.sha256)
        self._known: dict[int, bytes] = {}

    def __repr__(self) -> str:
        return "JournalKeys(root=********)"

    def pseudonym(self, user_id: int) -> bytes:
        """The member as the database names them: nobody can compute it, or go back, without the key."""
        known = self._known.get(user_id)
        if known is not None:
            return known
        mac = self._pseudonyms.copy()
        mac.update(str(user_id).encode("ascii"))
        pseudonym = mac.digest()[:PSEUDONYM_BYTES]
        if len(self._known) >= self.REMEMBERED:
            self._known.clear()
        self._known[user_id] = pseudonym
        return pseudonym

    def forget(self, user_id: int) -> None:
        """Drop what is remembered about `user_id` (after `/journal forget`)."""
        self._known.pop(user_id, None)


def log_tag(pseudonym: bytes) -> str:
    """A short form of a pseudonym for a warning: enough to find the member's rows, never their id."""
    return pseudonym[:4].hex()
