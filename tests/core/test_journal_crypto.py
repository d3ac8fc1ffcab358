"""Journal encryption: keys from the setting or a private key file, the canary, tamper checks."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from bot.core.journal.crypto import (
    CANARY_PLAINTEXT,
    JournalCipher,
    JournalIntegrityError,
    JournalKeyError,
    KeyOrigin,
    default_key_path,
    field_context,
    generate_key,
    parse_key,
    resolve_key,
)


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
    cipher = JournalCipher(generate_key().encode())
    context = field_context(1, "notes")
    token = cipher.seal("Día +30: cansada 😴", context)
    assert token is not None and b"cansada" not in token
    assert cipher.open(token, context) == "Día +30: cansada 😴"
    assert cipher.seal(None, context) is None and cipher.open(None, context) is None
    assert cipher.seal("same", context) != cipher.seal("same", context)  # fresh IV each time


def test_sealed_value_is_bound_to_member_and_field() -> None:
    cipher = JournalCipher(generate_key().encode())
    token = cipher.seal("private", field_context(1, "notes"))
    with pytest.raises(JournalIntegrityError):
        cipher.open(token, field_context(2, "notes"))
    with pytest.raises(JournalIntegrityError):
        cipher.open(token, field_context(1, "side_effects"))


def test_tampered_or_foreign_tokens_fail_authentication() -> None:
    cipher = JournalCipher(generate_key().encode())
    token = cipher.seal("private", "ctx")
    assert token is not None
    flipped = token[:-5] + (b"A" if token[-5:-4] != b"A" else b"B") + token[-4:]
    with pytest.raises(JournalIntegrityError):
        cipher.open(flipped, "ctx")
    with pytest.raises(JournalIntegrityError):
        JournalCipher(generate_key().encode()).open(token, "ctx")


def test_canary_accepts_the_right_key_and_refuses_a_wrong_one() -> None:
    key = generate_key().encode()
    canary = JournalCipher(key).make_canary()
    assert CANARY_PLAINTEXT not in canary
    JournalCipher(key).check_canary(canary)
    with pytest.raises(JournalKeyError, match="not the key") as caught:
        JournalCipher(generate_key().encode()).check_canary(canary, "JOURNAL_KEY")
    assert key.decode() not in str(caught.value)


def test_cipher_repr_hides_the_key() -> None:
    key = generate_key()
    assert key not in repr(JournalCipher(key.encode())) and key not in str(JournalCipher(key.encode()))
