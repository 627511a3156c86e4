"""linkage.keys and linkage.io.keyfiles: subkeys, key check value, signatures, key files."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from linkage import io
from linkage.errors import IntegrityError, KeyFileError
from linkage.keys import SECRET_BYTES, ProjectSecret, generate_secret, key_check_value, verify_signature

#: KCV of ProjectSecret(bytes(range(32))). Changing it means every existing secret gets a new KCV.
GOLDEN_KCV = "3ce0-0cec-699e-6283"


def reference_hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 written from RFC 5869 with the standard library only."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


# ------------------------------------------------------------------------------------ subkeys


@pytest.mark.parametrize("purpose", ["bloom/name", "block/name_year", "sign/export", "ref/jobcentre", ""])
@pytest.mark.parametrize("length", [16, 32, 64])
def test_subkey_is_hkdf_sha256_with_the_documented_salt(secret, purpose, length):
    expected = reference_hkdf(secret.key, b"linkage/v1", purpose.encode(), length)
    assert secret.subkey(purpose, length) == expected


def test_subkeys_are_distinct_per_purpose_and_deterministic(secret):
    purposes = ["bloom/name", "bloom/birth_date", "clk/name", "block/name_year", "blip/name",
                "permute/name", "balance/name", "ref/a", "ref/b", "sign/export"]
    keys = [secret.subkey(p) for p in purposes]
    assert len(set(keys)) == len(purposes)
    again = ProjectSecret(bytes(secret.key))
    assert [again.subkey(p) for p in purposes] == keys


def test_subkeys_depend_on_the_secret(secret, other_secret):
    assert secret.subkey("bloom/name") != other_secret.subkey("bloom/name")


# ------------------------------------------------------------------------------ key check value


def test_key_check_value_is_stable_for_a_fixed_secret(secret):
    assert secret.key_check_value == GOLDEN_KCV


def test_key_check_value_follows_its_definition(secret):
    private = Ed25519PrivateKey.from_private_bytes(reference_hkdf(secret.key, b"linkage/v1", b"sign/export", 32))
    verify_key = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert secret.verify_key == verify_key
    digest = hashlib.sha256(b"linkage/kcv/v1\x00" + verify_key).hexdigest()[:16]
    assert key_check_value(verify_key) == "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def test_key_check_value_differs_between_secrets(secret, other_secret):
    kcvs = {secret.key_check_value, other_secret.key_check_value, generate_secret().key_check_value}
    assert len(kcvs) == 3


def test_key_check_value_reveals_no_key_material(secret):
    kcv = secret.key_check_value.replace("-", "")
    assert len(kcv) == 16
    assert kcv not in secret.key.hex()
    assert kcv not in secret.subkey("sign/export").hex()


# ----------------------------------------------------------------------------------- the secret


def test_repr_and_str_hide_the_key(secret):
    for text in (repr(secret), str(secret), f"{secret!r}"):
        assert secret.key.hex() not in text
        assert repr(secret.key) not in text
        assert base64.b64encode(secret.key).decode() not in text
        assert "key=" not in text


@pytest.mark.parametrize("bad", [b"", bytes(31), bytes(33), "x" * 32, bytearray(32), None])
def test_secret_must_be_exactly_32_bytes(bad):
    with pytest.raises(KeyFileError, match="32 bytes"):
        ProjectSecret(bad)


def test_generate_secret_is_random_and_full_length():
    a, b = generate_secret(), generate_secret()
    assert len(a.key) == len(b.key) == SECRET_BYTES
    assert a.key != b.key


# ---------------------------------------------------------------------------------- signatures


def test_sign_and_verify(secret, other_secret):
    message = b"canonical metadata"
    signature = secret.sign(message)
    assert secret.sign(message) == signature  # Ed25519 is deterministic
    verify_signature(secret.verify_key, message, signature)
    with pytest.raises(IntegrityError, match="signature"):
        verify_signature(secret.verify_key, message + b"!", signature)
    with pytest.raises(IntegrityError, match="signature"):
        verify_signature(other_secret.verify_key, message, signature)
    damaged = bytes([signature[0] ^ 1]) + signature[1:]
    with pytest.raises(IntegrityError, match="signature"):
        verify_signature(secret.verify_key, message, damaged)


@pytest.mark.parametrize("verify_key", [b"", b"short", bytes(33)])
def test_verify_with_a_malformed_key_is_an_integrity_error(secret, verify_key):
    with pytest.raises(IntegrityError):
        verify_signature(verify_key, b"m", secret.sign(b"m"))


# ----------------------------------------------------------------------------------- key files


def test_key_file_round_trip_with_mode_0600(tmp_path, secret):
    path = tmp_path / "project.key"
    old_umask = os.umask(0)  # the file must be private even when the umask would allow more
    try:
        io.write_secret(path, secret)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert io.read_secret(path) == secret
    data = json.loads(path.read_text())
    assert data["kind"] == "linkage-project-secret" and data["version"] == 1


def test_key_file_is_never_overwritten(tmp_path, secret, other_secret):
    path = io.write_secret(tmp_path / "project.key", secret)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        io.write_secret(path, other_secret)
    assert path.read_bytes() == before
    assert io.read_secret(path) == secret


def test_key_file_in_a_missing_folder_is_a_key_file_error(tmp_path, secret):
    with pytest.raises(KeyFileError, match="cannot create"):
        io.write_secret(tmp_path / "no" / "such" / "project.key", secret)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602, 0o610])
def test_key_file_readable_or_writable_by_others_is_refused(key_file, secret, mode):
    os.chmod(key_file, mode)
    with pytest.raises(KeyFileError, match="chmod 600") as info:
        io.read_secret(key_file)
    assert f"{mode:04o}" in str(info.value)
    assert base64.b64encode(secret.key).decode() not in str(info.value)


def test_key_file_with_mode_0400_is_accepted(key_file, secret):
    os.chmod(key_file, 0o400)
    assert io.read_secret(key_file) == secret


def test_missing_key_file(tmp_path):
    with pytest.raises(KeyFileError, match="does not exist"):
        io.read_secret(tmp_path / "nope.key")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json at all \xff\xfe",
        b"[1, 2, 3]",
        b'{"kind": "something-else", "version": 1, "secret": "AAAA"}',
        b'{"kind": "linkage-project-secret", "version": 1}',
        b'{"kind": "linkage-project-secret", "version": 1, "secret": "!!not base64!!"}',
        b'{"kind": "linkage-project-secret", "version": 1, "secret": 12}',
    ],
)
def test_garbage_key_file_is_refused(tmp_path, content):
    path = tmp_path / "garbage.key"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError, match="not a linkage project secret file"):
        io.read_secret(path)


def test_key_file_with_a_short_key_is_refused(tmp_path):
    path = tmp_path / "short.key"
    secret_text = base64.b64encode(b"k" * 16).decode()
    path.write_text(json.dumps({"kind": "linkage-project-secret", "version": 1, "secret": secret_text}))
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError, match="wrong length") as info:
        io.read_secret(path)
    assert secret_text not in str(info.value)


def test_a_folder_as_key_file_is_a_key_file_error(tmp_path):
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o700)
    with pytest.raises(KeyFileError):
        io.read_secret(folder)


def test_key_file_path_is_reported(tmp_path: Path):
    path = tmp_path / "nested name.key"
    with pytest.raises(KeyFileError) as info:
        io.read_secret(path)
    assert str(path) in str(info.value)
