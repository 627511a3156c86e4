"""linkage.seal and linkage.io.recipients: recipient keys, keyring, sealed payloads, the CLI command."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import stat

import pyarrow as pa
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage import io, seal
from linkage.encoded import ENVELOPE_TYPE
from linkage.errors import ConfigError, DataError, IntegrityError, KeyFileError
from linkage.seal import Envelope, Keyring, RecipientKeyPair, is_valid_at, open_envelope, seal_payload
from linkage_cli.main import cli

AGENCY = "course_provider"
REF = "ref-0001"
PAYLOAD = {"language_level": "B1", "course_status": "completed", "note": None}
WINDOW = {"purpose": "integration", "valid_from": "2024-01-01", "valid_until": "2025-12-31"}

#: A recipient key from fixed bytes, and an envelope sealed for it with a fixed ephemeral key and
#: nonce. Changing these means envelopes already handed out can no longer be opened.
GOLDEN_PRIVATE = bytes(range(32))
GOLDEN_KEY_ID = "a60d-8a6d-0642-ee69"
GOLDEN_ENVELOPE = Envelope(
    recipient="jobcentre", purpose="integration", valid_from="2024-01-01", valid_until="2025-12-31",
    ephemeral_key=bytes.fromhex("358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd166254"),
    nonce=bytes(range(12)),
    ciphertext=bytes.fromhex(
        "607cec0aebe76e76b3765c73a99212012ec6dc6f6d9742fb3c5505edc51aeb25991789021e57153423a88bdb6a06b4fd"
        "36ddecb2b889154b76ddc7187c5ed64eaba093d54faa1fbc38a6283bfc037d1680371af472976df7bb53e4c31c68d0ce"
        "60c536b778e0a61774347b561c1bef40d3b06eaf17a03bf3dffbe6bc473f5816b755a510730afe514ec454c97725a6aa"
        "92ef39f909875febff4681707696e157f29e397b04f36b3d6ab720f976951dbc1cba0fedea526e3492623d60bba38059"
        "6a5696b5b1e0373c0d8facab37546722"),
)
FAILED = "cannot open the envelope of record {}: wrong private key, or it was altered or moved to another record"


@pytest.fixture(scope="module")
def recipient() -> RecipientKeyPair:
    return seal.generate_recipient_key("jobcentre")


@pytest.fixture(scope="module")
def other() -> RecipientKeyPair:
    return seal.generate_recipient_key("foreigners_authority")


def make(pair: RecipientKeyPair, payload=PAYLOAD, **overrides) -> Envelope:
    kwargs = dict(record_ref=REF, agency=AGENCY, recipient=pair.name, recipient_public_key=pair.public_key,
                  captured="2024-03-02", **WINDOW)
    kwargs.update(overrides)
    return seal_payload(payload, **kwargs)


def opened(envelope: Envelope, pair: RecipientKeyPair, **overrides):
    kwargs = dict(record_ref=REF, agency=AGENCY, private_key=pair, recipient=pair.name)
    kwargs.update(overrides)
    return open_envelope(envelope, **kwargs)


def flip(raw: bytes, index: int = 0) -> bytes:
    return raw[:index] + bytes([raw[index] ^ 1]) + raw[index + 1 :]


def reference_hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


# ------------------------------------------------------------------------------------ round trip


def test_round_trip(recipient):
    result = opened(make(recipient), recipient)
    assert dict(result.fields) == PAYLOAD
    assert result.agency == AGENCY and result.captured == "2024-03-02"


def test_round_trip_with_dates_open_window_and_a_raw_private_key(recipient):
    env = make(recipient, valid_from=dt.date(2024, 5, 1), valid_until=None, captured=dt.datetime(2024, 4, 30, 13, 5))
    assert (env.valid_from, env.valid_until) == ("2024-05-01", None)
    raw = X25519PrivateKey.from_private_bytes(recipient.private_key)
    result = open_envelope(env, record_ref=REF, agency=AGENCY, private_key=raw, recipient="jobcentre")
    assert result.captured == "2024-04-30" and dict(result.fields) == PAYLOAD


def test_golden_envelope_still_opens():
    pair = RecipientKeyPair("jobcentre", GOLDEN_PRIVATE)
    assert pair.key_id == GOLDEN_KEY_ID
    assert dict(opened(GOLDEN_ENVELOPE, pair, agency=AGENCY).fields) == PAYLOAD


def test_golden_envelope_follows_the_documented_construction():
    """Key agreement, HKDF, AEAD and associated data rebuilt from the module docstring alone."""
    pair = RecipientKeyPair("jobcentre", GOLDEN_PRIVATE)
    env = GOLDEN_ENVELOPE
    ephemeral = X25519PrivateKey.from_private_bytes(bytes(range(32, 64))).public_key()
    assert ephemeral.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == env.ephemeral_key
    shared = X25519PrivateKey.from_private_bytes(GOLDEN_PRIVATE).exchange(ephemeral)
    key = reference_hkdf(shared, env.ephemeral_key + pair.public_key, b"linkage/seal/v1", 32)
    parts = ["linkage-envelope", "1", REF, AGENCY, "jobcentre", "integration", "2024-01-01", "2025-12-31"]
    aad = b"".join(len(p.encode()).to_bytes(4, "big") + p.encode() for p in parts)
    plaintext = ChaCha20Poly1305(key).decrypt(env.nonce, env.ciphertext, aad)
    assert len(plaintext) % 64 == 0
    doc = json.loads(plaintext)
    assert doc == {"agency": AGENCY, "captured": "2024-03-02", "fields": PAYLOAD, "format": "linkage-payload",
                   "version": 1}
    assert plaintext.rstrip(b" ") == json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


@settings(max_examples=60, deadline=None)
@given(payload=st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=60), max_size=8))
def test_any_text_payload_round_trips_exactly(payload):
    pair = RecipientKeyPair("jobcentre", GOLDEN_PRIVATE)
    result = opened(make(pair, payload), pair)
    assert dict(result.fields) == payload
    assert list(result.fields) == sorted(payload)


# ----------------------------------------------------------------------------- binding and tamper


@pytest.mark.parametrize("change", [
    {"record_ref": "ref-0002"},
    {"agency": "jobcentre"},
])
def test_envelope_is_bound_to_record_and_agency(recipient, change):
    env = make(recipient)
    with pytest.raises(IntegrityError) as err:
        opened(env, recipient, **change)
    assert str(err.value) == FAILED.format(change.get("record_ref", REF))


@pytest.mark.parametrize("change", [
    {"purpose": "research"},
    {"valid_from": "2023-01-01"},
    {"valid_from": None},
    {"valid_until": "2099-12-31"},
    {"valid_until": None},
])
def test_envelope_is_bound_to_purpose_and_validity(recipient, change):
    moved = dataclasses.replace(make(recipient), **change)
    with pytest.raises(IntegrityError, match="altered or moved to another record"):
        opened(moved, recipient)


def test_re_addressed_envelope_fails_even_with_the_original_key(recipient):
    moved = dataclasses.replace(make(recipient), recipient="foreigners_authority")
    raw = X25519PrivateKey.from_private_bytes(recipient.private_key)
    with pytest.raises(IntegrityError, match="altered or moved"):
        open_envelope(moved, record_ref=REF, agency=AGENCY, private_key=raw, recipient="foreigners_authority")


@pytest.mark.parametrize("column", ["ciphertext", "nonce", "ephemeral_key"])
@pytest.mark.parametrize("index", [0, -1])
def test_tampered_envelope_fails(recipient, column, index):
    env = make(recipient)
    raw = getattr(env, column)
    tampered = dataclasses.replace(env, **{column: flip(raw, index % len(raw))})
    with pytest.raises(IntegrityError) as err:
        opened(tampered, recipient)
    assert str(err.value) == FAILED.format(REF)


def test_truncated_or_low_order_envelope_fails(recipient):
    env = make(recipient)
    with pytest.raises(IntegrityError, match="altered or moved"):
        opened(dataclasses.replace(env, ciphertext=env.ciphertext[:-1]), recipient)
    with pytest.raises(IntegrityError, match="altered or moved"):
        opened(dataclasses.replace(env, ephemeral_key=bytes(32)), recipient)


def test_wrong_private_key_gives_a_clear_error(recipient):
    impostor = seal.generate_recipient_key("jobcentre")
    with pytest.raises(IntegrityError) as err:
        opened(make(recipient), impostor)
    assert str(err.value) == FAILED.format(REF)


def test_envelope_for_another_recipient_is_refused(recipient, other):
    with pytest.raises(IntegrityError) as err:
        opened(make(recipient), other)
    assert str(err.value) == f"the envelope of record {REF} is addressed to 'jobcentre', not 'foreigners_authority'"


def test_key_pair_of_another_recipient_is_refused(recipient, other):
    with pytest.raises(IntegrityError, match="belongs to recipient 'foreigners_authority', not 'jobcentre'"):
        opened(make(recipient), other, recipient="jobcentre")


# ------------------------------------------------------------------------------ what leaks, what not


def test_no_payload_plaintext_in_the_envelope_or_errors(recipient, other):
    canary = "Zq7-CANARY-4471-xv"
    env = make(recipient, {"residence_title": canary, canary: "field name too"})
    blob = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in env.to_arrow_dict().values())
    for needle in (canary, canary.lower(), canary[3:-3]):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert needle.encode(encoding) not in blob
    assert canary not in repr(env)
    messages = []
    for attempt in (lambda: opened(env, other), lambda: opened(env, recipient, record_ref="x"),
                    lambda: opened(dataclasses.replace(env, nonce=flip(env.nonce)), recipient),
                    lambda: make(recipient, {"f": canary, "g": 3})):
        with pytest.raises((IntegrityError, DataError)) as err:
            attempt()
        messages.append(str(err.value))
    assert all(canary not in m for m in messages)
    assert "payload field 'g' of record ref-0001 must be text" in messages[-1]


def test_each_envelope_has_a_fresh_ephemeral_key_and_nonce(recipient):
    envs = [make(recipient) for _ in range(5)]
    for column in ("ephemeral_key", "nonce", "ciphertext"):
        assert len({getattr(e, column) for e in envs}) == 5


def test_ciphertext_length_is_padded(recipient):
    sizes = {len(make(recipient, {"level": v}).ciphertext) for v in ("A1", "B2 with a note", "C")}
    assert len(sizes) == 1 and sizes.pop() - 16 == seal.PAD_BYTES


@given(st.lists(st.text(max_size=120), min_size=1, max_size=3))
@settings(max_examples=40, deadline=None)
def test_envelope_size_does_not_follow_name_length(names):
    """Any payload of names, a date and a short address up to 512 bytes seals to one size, a longer
    one to the next power of two (never a size that tracks the name's length)."""
    payload = {"given_name": " ".join(names), "family_name": names[0], "birth_date": "1990-07-14"}
    plain = seal._canonical_payload(payload, "agency", "2024-01-01", "ref")
    size = len(plain)
    assert size >= seal.PAD_BYTES and size & (size - 1) == 0
    raw = len(plain.rstrip(b" "))
    assert size == seal.PAD_BYTES or size < 2 * raw


# --------------------------------------------------------------------------- envelope as an Arrow row


def test_envelope_fields_match_the_export_column_type(recipient):
    assert [f.name for f in dataclasses.fields(Envelope)] == [ENVELOPE_TYPE.field(i).name
                                                               for i in range(ENVELOPE_TYPE.num_fields)]
    env = make(recipient, valid_until=None)
    column = pa.array([[env.to_arrow_dict(), env.to_arrow_dict()], []], type=pa.list_(ENVELOPE_TYPE))
    back = [Envelope.from_arrow_dict(d) for d in column.to_pylist()[0]]
    assert back == [env, env]
    assert opened(back[0], recipient).fields == PAYLOAD


@pytest.mark.parametrize("change, problem", [
    ({"nonce": b"short"}, "'nonce' must be 12 bytes"),
    ({"ephemeral_key": None}, "'ephemeral_key' must be 32 bytes"),
    ({"ciphertext": b""}, "'ciphertext' must be at least 16 bytes"),
    ({"valid_from": "1.1.2024"}, "'valid_from' must be an ISO date"),
    ({"recipient": None}, "'recipient' must be a string"),
])
def test_malformed_envelopes_are_refused(recipient, change, problem):
    data = {**make(recipient).to_arrow_dict(), **change}
    with pytest.raises(IntegrityError, match=problem):
        Envelope.from_arrow_dict(data)
    data.pop("nonce")
    with pytest.raises(IntegrityError, match="missing 'nonce'"):
        Envelope.from_arrow_dict(data)


# ------------------------------------------------------------------------------- inputs and validity


@pytest.mark.parametrize("change, error, message", [
    ({"recipient": "Jobcentre"}, ConfigError, "recipient name 'Jobcentre' must be a lower-case identifier"),
    ({"purpose": ""}, ConfigError, "'purpose' must be a non-empty string"),
    ({"record_ref": None}, ConfigError, "'record_ref' must be a non-empty string"),
    ({"valid_from": "2024-13-01"}, ConfigError, "'valid_from' must be an ISO date"),
    ({"captured": None}, ConfigError, "'captured' is required"),
    ({"valid_from": "2025-01-01", "valid_until": "2024-12-31"}, ConfigError, "is before 'valid_from'"),
    ({"recipient_public_key": bytes(32)}, KeyFileError, "not a valid X25519 key"),
    ({"recipient_public_key": b"x" * 31}, KeyFileError, "must be 32 raw bytes"),
])
def test_seal_checks_its_inputs(recipient, change, error, message):
    with pytest.raises(error, match=message):
        make(recipient, **change)


def test_seal_checks_the_payload(recipient):
    with pytest.raises(DataError, match="field name that is not a non-empty string"):
        make(recipient, {"": "x"})
    with pytest.raises(DataError, match="must be a mapping"):
        make(recipient, ["x"])
    with pytest.raises(DataError, match="not valid Unicode"):
        make(recipient, {"f": "\ud800"})


def test_is_valid_at(recipient):
    env = make(recipient)
    assert not is_valid_at(env, "2023-12-31")
    assert is_valid_at(env, "2024-01-01") and is_valid_at(env, dt.date(2025, 12, 31))
    assert not is_valid_at(env, dt.date(2026, 1, 1))
    open_ended = make(recipient, valid_from=None, valid_until=None)
    assert is_valid_at(open_ended, "1900-01-01") and is_valid_at(open_ended, "2999-12-31")
    with pytest.raises(ConfigError):
        is_valid_at(env, "soon")


# ---------------------------------------------------------------------------------- keys, keyring


def test_key_pair_basics(recipient):
    assert "private_key" not in repr(recipient) and recipient.private_key.hex() not in repr(recipient)
    assert len(recipient.public_key) == 32
    assert seal.recipient_key_id(recipient.public_key) == recipient.key_id
    digest = hashlib.sha256(b"linkage/recipient-key-id/v1\x00" + recipient.public_key).hexdigest()[:16]
    assert recipient.key_id == "-".join(digest[i : i + 4] for i in range(0, 16, 4))
    assert recipient.private_key.hex()[:16] not in recipient.key_id.replace("-", "")
    assert seal.generate_recipient_key("jobcentre").public_key != recipient.public_key


@pytest.mark.parametrize("name", ["", "Jobcentre", "1office", "job centre", "a" * 41, "büro", "x-y", "jobcentre\n", None])
def test_recipient_names_are_lower_case_identifiers(name):
    with pytest.raises(ConfigError, match="lower-case identifier"):
        seal.generate_recipient_key(name)


def test_keyring_is_a_frozen_mapping_with_clear_lookup(recipient, other):
    ring = Keyring({recipient.name: recipient.public_key}, source="ring.json")
    assert dict(ring) == {"jobcentre": recipient.public_key} and "jobcentre" in ring
    assert ring.lookup("jobcentre") == recipient.public_key and ring.key_id("jobcentre") == recipient.key_id
    with pytest.raises(TypeError):
        ring["x"] = b""  # type: ignore[index]
    with pytest.raises(KeyFileError, match=r"recipient 'course_provider' is not in keyring ring.json"):
        ring.lookup("course_provider")
    bigger = ring.with_key(other.name, other.public_key)
    assert list(bigger) == ["foreigners_authority", "jobcentre"] and len(ring) == 1
    assert recipient.key_id in repr(ring)


# ------------------------------------------------------------------------------- io: key files


def test_recipient_key_file_round_trip_mode_and_no_overwrite(tmp_path, recipient, other):
    path = io.write_recipient_key(tmp_path / "jobcentre.key", recipient)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data["kind"] == "linkage-recipient-key" and data["version"] == 1 and data["key_id"] == recipient.key_id
    assert io.read_recipient_key(path) == recipient
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        io.write_recipient_key(path, other)
    assert path.read_bytes() == before


def test_recipient_key_file_refused_when_exposed_missing_or_foreign(tmp_path, recipient):
    path = io.write_recipient_key(tmp_path / "r.key", recipient)
    os.chmod(path, 0o640)
    with pytest.raises(KeyFileError, match="chmod 600"):
        io.read_recipient_key(path)
    with pytest.raises(KeyFileError, match="does not exist"):
        io.read_recipient_key(tmp_path / "none.key")
    for name, text in [("garbage.key", "hello"), ("secret.key", '{"kind": "linkage-project-secret"}')]:
        (tmp_path / name).write_text(text)
        os.chmod(tmp_path / name, 0o600)
        with pytest.raises(KeyFileError, match="not a linkage recipient key file"):
            io.read_recipient_key(tmp_path / name)


def test_damaged_recipient_key_file_is_refused(tmp_path, recipient, other):
    data = json.loads(io.write_recipient_key(tmp_path / "a.key", recipient).read_text())
    for i, change in enumerate([{"public_key": json.loads(io.write_recipient_key(
            tmp_path / "b.key", other).read_text())["public_key"]}, {"private_key": "!!"}, {"recipient": "X"}]):
        path = tmp_path / f"damaged{i}.key"
        io.write_recipient_key(path, recipient)
        path.write_text(json.dumps({**data, **change}))
        with pytest.raises(KeyFileError, match="is damaged"):
            io.read_recipient_key(path)


# ---------------------------------------------------------------------------------- io: keyring


def test_add_to_keyring_creates_updates_and_refuses_a_different_key(tmp_path, recipient, other):
    path = tmp_path / "keyring.json"
    ring = io.add_to_keyring(path, recipient.name, recipient.public_key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644 and dict(ring) == {"jobcentre": recipient.public_key}
    io.add_to_keyring(path, other.name, other.public_key)
    before = path.read_bytes()
    assert io.add_to_keyring(path, recipient.name, recipient.public_key) == io.read_keyring(path)
    assert path.read_bytes() == before
    newer = seal.generate_recipient_key("jobcentre")
    refused = rf"another public key for recipient 'jobcentre' \(key id {recipient.key_id}"
    with pytest.raises(KeyFileError, match=refused):
        io.add_to_keyring(path, "jobcentre", newer.public_key)
    assert path.read_bytes() == before
    ring = io.add_to_keyring(path, "jobcentre", newer.public_key, replace=True)
    assert io.read_keyring(path) == ring and ring.lookup("jobcentre") == newer.public_key
    assert ring.lookup("foreigners_authority") == other.public_key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keyring.json"]


def _keyring_text(recipients: object, **top: object) -> str:
    return json.dumps({"kind": "linkage-keyring", "version": 1, "recipients": recipients, **top})


def test_read_keyring_reports_every_problem_with_its_path(tmp_path, recipient):
    good = {"public_key": base64.b64encode(recipient.public_key).decode(), "key_id": recipient.key_id}
    path = tmp_path / "k.json"
    path.write_text(_keyring_text({
        "jobcentre": good,
        "Bad Name": good,
        "a": {"public_key": "%%%", "key_id": "x"},
        "b": {"public_key": "AAAA", "key_id": "x"},
        "c": {"public_key": good["public_key"], "key_id": "0000-0000-0000-0000"},
        "d": {"key_id": "x", "colour": "red"},
        "e": "nope",
    }, extra=1))
    with pytest.raises(KeyFileError) as err:
        io.read_keyring(path)
    message = str(err.value)
    assert f"keyring {path} is invalid (8 problem(s))" in message
    for expected in ["extra: unknown key", "recipients.Bad Name: recipient name 'Bad Name' must be",
                     "recipients.a.public_key: not base64", "recipients.b.public_key: not a valid X25519",
                     "recipients.c.key_id: does not match the public key", "recipients.d.colour: unknown key",
                     "recipients.d.public_key: missing", "recipients.e: must be an object"]:
        assert expected in message


@pytest.mark.parametrize("text, message", [
    (None, "does not exist"),
    ("{", "is not valid JSON (line 1)"),
    ('{"kind": "linkage-project-secret"}', "is not a linkage keyring"),
    (_keyring_text({}, version=2), "version 2 is not supported"),
    (_keyring_text([]), "recipients: must be an object"),
    ('{"kind": "linkage-keyring", "version": 1, "recipients": {"a": {}, "a": {}}}', "lists 'a' more than once"),
])
def test_read_keyring_errors(tmp_path, text, message):
    path = tmp_path / "k.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(KeyFileError, match=re.escape(message)):
        io.read_keyring(path)


def test_empty_keyring_and_keyring_from_file_seals(tmp_path, recipient):
    path = tmp_path / "k.json"
    path.write_text(_keyring_text({}))
    assert len(io.read_keyring(path)) == 0
    io.add_to_keyring(path, recipient.name, recipient.public_key)
    ring = io.read_keyring(path)
    env = make(recipient, recipient_public_key=ring.lookup("jobcentre"))
    assert opened(env, recipient).fields == PAYLOAD


def test_create_recipient_is_all_or_nothing(tmp_path, recipient, monkeypatch):
    ring_path = tmp_path / "keys" / "keyring.json"
    io.create_recipient(recipient, tmp_path / "keys" / "jobcentre.key", ring_path)
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    newer = seal.generate_recipient_key("jobcentre")
    with pytest.raises(KeyFileError, match="refusing to replace"):
        io.create_recipient(newer, tmp_path / "elsewhere" / "jobcentre.key", ring_path)
    assert not (tmp_path / "elsewhere" / "jobcentre.key").exists()
    from linkage.io import recipients

    def broken(*args, **kwargs):
        raise KeyFileError("disk full")

    monkeypatch.setattr(recipients, "add_to_keyring", broken)
    third = seal.generate_recipient_key("course_provider")
    with pytest.raises(KeyFileError, match="disk full"):
        io.create_recipient(third, tmp_path / "keys" / "course_provider.key", ring_path)
    assert not (tmp_path / "keys" / "course_provider.key").exists()


# ------------------------------------------------------------------------------------------- CLI


def test_cli_keys_recipient_creates_key_and_keyring(tmp_path, recipient):
    out = tmp_path / "recipients"
    runner = CliRunner()
    first = runner.invoke(cli, ["keys", "recipient", "jobcentre", "--out", str(out)])
    assert first.exit_code == 0, first.output
    pair = io.read_recipient_key(out / "jobcentre.key")
    assert stat.S_IMODE((out / "jobcentre.key").stat().st_mode) == 0o600
    assert f"key id: {pair.key_id}" in first.output and str(out / "keyring.json") in first.output
    assert pair.private_key.hex() not in first.output
    second = runner.invoke(cli, ["keys", "recipient", "course_provider", "--out", str(out)])
    assert second.exit_code == 0, second.output
    ring = io.read_keyring(out / "keyring.json")
    assert list(ring) == ["course_provider", "jobcentre"] and ring.key_id("jobcentre") == pair.key_id
    env = make(pair, recipient_public_key=ring.lookup("jobcentre"))
    assert opened(env, io.read_recipient_key(out / "jobcentre.key")).fields == PAYLOAD


def test_cli_keys_recipient_custom_keyring_and_errors(tmp_path):
    ring = tmp_path / "shared" / "ring.json"

    def recipient_cmd(name: str, out: str, *extra: str):
        return CliRunner().invoke(cli, ["keys", "recipient", name, "--out", str(tmp_path / out), *extra])

    ok = recipient_cmd("jobcentre", "k", "--keyring", str(ring))
    assert ok.exit_code == 0, ok.output
    assert list(io.read_keyring(ring)) == ["jobcentre"] and not (tmp_path / "k" / "keyring.json").exists()
    again = recipient_cmd("jobcentre", "k2", "--keyring", str(ring))
    assert again.exit_code == 5 and "refusing to replace" in again.stderr
    assert not (tmp_path / "k2" / "jobcentre.key").exists()
    replaced = recipient_cmd("jobcentre", "k2", "--keyring", str(ring), "--replace")
    assert replaced.exit_code == 0, replaced.output
    new_key = io.read_recipient_key(tmp_path / "k2" / "jobcentre.key").public_key
    assert io.read_keyring(ring).lookup("jobcentre") == new_key
    exists = recipient_cmd("jobcentre", "k2", "--keyring", str(ring), "--replace")
    assert exists.exit_code == 5 and "already exists" in exists.stderr
    bad = recipient_cmd("Job Centre", "k3")
    assert bad.exit_code == 3 and "lower-case identifier" in bad.stderr
    assert not (tmp_path / "k3").exists()
