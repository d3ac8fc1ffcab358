"""Journal encryption: keys from the setting or a private key file, keys derived per purpose,
pseudonyms, the canary, tamper checks, the key files of a rotation."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from bot.core.journal.crypto import (
    CANARY_PLAINTEXT,
    PSEUDONYM_BYTES,
    JournalIntegrityError,
    JournalKeyError,
    JournalKeys,
    KeyOrigin,
    default_key_path,
    generate_key,
    install_rotated_key,
    log_tag,
    parse_key,
    resolve_key,
    rotation_paths,
    write_key_file,
)


def keys() -> JournalKeys:
    return JournalKeys(generate_key().encode())


def test_default_key_file_sits_beside_the_database(tmp_path: Path) -> None:
    assert default_key_path(tmp_path / "stemcell-bot.sqlite3") == tmp_path / "stemcell-bot.journal.key"


def test_setting_wins_and_creates_no_file(tmp_path: Path) -> None:
    key = generate_key()
    resolved = resolve_key(key, tmp_path / "k.key", data_exists=True)
    assert resolved.origin is KeyOrigin.SETTING and resolved.key == key.encode()
    assert not (tmp_path / "k.key").exists()
    assert key not in repr(resolved)


def test_new_key_file_is_private_and_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "sub" / "bot.journal.key"
    caplog.set_level(logging.INFO)
    first = resolve_key("", path, data_exists=False)
    assert first.origin is KeyOrigin.NEW_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().strip() == first.key
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind

    second = resolve_key("", path, data_exists=True)
    assert second.origin is KeyOrigin.KEY_FILE and second.key == first.key

    created = [r for r in caplog.records if "Created a new journal key file" in r.getMessage()]
    assert len(created) == 1 and str(path) in created[0].getMessage()
    assert all(first.key.decode() not in r.getMessage() for r in caplog.records)


def test_key_file_is_created_under_a_strict_umask(tmp_path: Path) -> None:
    """The mode is 0600 whatever the process umask would have allowed."""
    old = os.umask(0)
    try:
        resolve_key("", tmp_path / "k.key", data_exists=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k.key").stat().st_mode) == 0o600


def test_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    key = generate_key()
    path.write_text(key + "\n")
    path.chmod(0o600)
    assert resolve_key("", path, data_exists=False).key == key.encode()
    assert path.read_text().strip() == key


def test_data_without_any_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(JournalKeyError, match="JOURNAL_KEY is not set") as caught:
        resolve_key("", tmp_path / "k.key", data_exists=True)
    assert "Nothing was changed" in str(caught.value)
    assert not (tmp_path / "k.key").exists()


@pytest.mark.parametrize("bad", ["short", "x" * 44, generate_key()[:-2], "🔑" * 44])
def test_malformed_keys_are_explained_without_echoing_them(bad: str) -> None:
    with pytest.raises(JournalKeyError, match="44 characters") as caught:
        parse_key(bad, "JOURNAL_KEY")
    assert bad not in str(caught.value)


def test_malformed_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    path.write_text("not a key")
    with pytest.raises(JournalKeyError, match=str(path)):
        resolve_key("", path, data_exists=True)


def test_loose_key_file_permissions_are_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "k.key"
    path.write_text(generate_key())
    path.chmod(0o644)
    resolve_key("", path, data_exists=True)
    assert any("chmod 600" in r.getMessage() for r in caplog.records)


def test_seal_and_open_round_trip() -> None:
    cipher = keys().cipher
    context = b"journal:member-1:entry"
    token = cipher.seal("Día +30: cansada 😴".encode(), context)
    assert b"cansada" not in token
    assert cipher.open(token, context).decode() == "Día +30: cansada 😴"
    assert cipher.seal(b"same", context) != cipher.seal(b"same", context)  # fresh IV each time


def test_sealed_value_is_bound_to_its_context() -> None:
    cipher = keys().cipher
    token = cipher.seal(b"private", b"journal:member-1:entry")
    with pytest.raises(JournalIntegrityError):
        cipher.open(token, b"journal:member-2:entry")
    with pytest.raises(JournalIntegrityError):
        cipher.open(token, b"journal:member-1:reminder")


def test_tampered_or_foreign_tokens_fail_authentication() -> None:
    cipher = keys().cipher
    token = cipher.seal(b"private", b"ctx")
    flipped = token[:-5] + (b"A" if token[-5:-4] != b"A" else b"B") + token[-4:]
    with pytest.raises(JournalIntegrityError):
        cipher.open(flipped, b"ctx")
    with pytest.raises(JournalIntegrityError):
        keys().cipher.open(token, b"ctx")
    with pytest.raises(JournalIntegrityError):
        cipher.open(b"\x01" + token[1:], b"ctx")  # the format of the release before sealing


def test_canary_accepts_the_right_key_and_refuses_a_wrong_one() -> None:
    key = generate_key().encode()
    canary = JournalKeys(key).cipher.make_canary()
    assert CANARY_PLAINTEXT not in canary
    JournalKeys(key).cipher.check_canary(canary)
    with pytest.raises(JournalKeyError, match="not the key") as caught:
        keys().cipher.check_canary(canary, "JOURNAL_KEY")
    assert key.decode() not in str(caught.value)


def test_keys_never_show_themselves() -> None:
    key = generate_key()
    derived = JournalKeys(key.encode())
    for shown in (repr(derived), str(derived), repr(derived.cipher), str(derived.cipher)):
        assert key not in shown


def test_a_pseudonym_is_stable_per_key_and_reveals_nothing_of_the_id() -> None:
    """The same member always gets the same pseudonym under one key, another under another key,
    and nothing of their Discord id shows in it."""
    key = generate_key().encode()
    user_id = 123_456_789_012_345_678
    first, again = JournalKeys(key).pseudonym(user_id), JournalKeys(key).pseudonym(user_id)
    assert first == again and len(first) == PSEUDONYM_BYTES
    assert JournalKeys(key).pseudonym(user_id + 1) != first
    assert keys().pseudonym(user_id) != first
    assert str(user_id).encode() not in first and user_id.to_bytes(8, "big") not in first
    assert log_tag(first) == first[:4].hex() and len(log_tag(first)) == 8


def test_sealing_and_pseudonyms_use_different_keys_than_the_root() -> None:
    """The root key is never used directly: a value sealed with it does not open, and the
    pseudonym is not a plain hash of the id."""
    import base64
    import hashlib
    import hmac

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    root = generate_key().encode()
    derived = JournalKeys(root)
    raw = base64.urlsafe_b64decode(root)
    token = b"\x02" + b"\x00" * 12 + AESGCM(raw).encrypt(b"\x00" * 12, b"x", b"ctx")
    with pytest.raises(JournalIntegrityError):
        derived.cipher.open(token, b"ctx")
    assert derived.pseudonym(7) != hmac.digest(raw, b"7", hashlib.sha256)[:PSEUDONYM_BYTES]


def test_a_rotation_puts_the_new_key_in_place_and_keeps_the_old_one(tmp_path: Path) -> None:
    key_path = tmp_path / "bot.journal.key"
    old, new = generate_key(), generate_key()
    write_key_file(key_path, old)
    pending, retired = rotation_paths(key_path, "20261205-120000")
    assert pending.name.endswith(".key") and retired.name.endswith(".key") and pending != retired
    write_key_file(pending, new)
    with pytest.raises(FileExistsError):
        write_key_file(pending, generate_key())  # never overwritten
    install_rotated_key(key_path, pending, retired)
    assert key_path.read_text().strip() == new and retired.read_text().strip() == old
    assert not pending.exists()
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600 and stat.S_IMODE(retired.stat().st_mode) == 0o600
