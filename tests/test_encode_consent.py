"""Encoding with a consent register and sealed payloads (issue #5, agency side)."""

from __future__ import annotations

import datetime as dt
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from linkage import consent as K
from linkage import io, seal
from linkage.config import parse_export_config
from linkage.encode import encode
from linkage.errors import ConfigError, ConsentError, IntegrityError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
CREATED = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.timezone.utc)
PLANTED = "Zyxwquorblatt"  # a unique family name that must never reach a linkage-unit file


def _config(schema, **changes):
    data = tomllib.loads((CONFIGS / "jobcentre.toml").read_text(encoding="utf-8"))
    data.update(changes)
    return parse_export_config(data, schema)


@pytest.fixture
def schema():
    return io.load_schema(CONFIGS / "schema.toml")


@pytest.fixture
def config(schema):
    return _config(schema)


def _records() -> pd.DataFrame:
    return pd.DataFrame({
        "Kundennummer": ["1", "2", "3", "4"],
        "Nachname": [PLANTED, "Ali", "Omar", "Haddad"],
        "Vorname": ["Mohammed", "Fatima", "Zaid", "Rana"],
        "Geburtsdatum": ["01.01.1990", "14.07.1991", "03.03.1985", "12.12.2000"],
        "Geschlecht": ["männlich", "weiblich", "männlich", "weiblich"],
        "Staatsangehörigkeit": ["Syrien", "Irak", "Syrien", "Afghanistan"],
        "Geburtsort": ["Aleppo", "Mosul", "Homs", "Herat"],
        "BG-Nummer": ["B1", "B2", "B3", "B4"],
        "Stand": ["01.02.2025", "kaputt", "03.03.2024", "05.05.2025"],
    })


def _grant(record_id, purpose, recipients, classes, status="accepted", basis="consent", until=None, recorded=None):
    return K.Grant(record_id=record_id, legal_basis=basis, purpose=purpose, recipients=tuple(recipients),
                   data_classes=tuple(classes), valid_from=dt.date(2020, 1, 1), valid_until=until,
                   status=K.Status(status), recorded=recorded)


def _register():
    linkage = [_grant(r, "linkage", ["*"], ["identity"], basis="statute:SGB II §50") for r in ("1", "2", "4")]
    return K.register_from_grants(linkage + [
        _grant("1", "integration_support", ["course_provider", "foreigners_authority"], ["identity"]),
        _grant("2", "integration_support", ["course_provider"], ["identity", "household"], until=dt.date(2030, 1, 1)),
        _grant("4", "integration_support", ["course_provider"], ["identity"]),
        _grant("4", "integration_support", ["course_provider"], ["*"], status="withdrawn"),
        _grant("2", "integration_support", ["employment_agency"], ["identity"], status="declined"),
    ])


@pytest.fixture(scope="module")
def keys():
    return {name: seal.generate_recipient_key(name)
            for name in ("course_provider", "foreigners_authority", "employment_agency")}


@pytest.fixture
def keyring(keys):
    return seal.Keyring({name: pair.public_key for name, pair in keys.items()})


@pytest.fixture
def result(config, secret, keyring):
    return encode(_records(), config, secret=secret, consent=_register(), keyring=keyring, created=CREATED)


def _opened(result, keys):
    out = []
    table = result.table_in_input_order()
    for ref, envelopes in zip(table.column("record_ref").to_pylist(), table.column("envelopes").to_pylist()):
        for raw in envelopes:
            env = seal.Envelope.from_arrow_dict(raw)
            out.append((ref, env, seal.open_envelope(env, record_ref=ref, agency="jobcentre",
                                                     private_key=keys[env.recipient], recipient=env.recipient)))
    return out


def test_records_without_linkage_basis_are_quarantined_and_counted(result):
    assert result.export.record_count == 3
    q = result.quarantine
    assert q[["row_number", "field", "reason"]].values.tolist() == [[3, "consent", "no_linkage_basis"]]
    stats = result.export.metadata["stats"]["consent"]
    assert stats["register"] and stats["no_linkage_basis"] == 1
    assert sorted(result.reference_map["local_id"]) == ["1", "2", "4"]


def test_envelopes_follow_the_grants_exactly(result, keys):
    refs = dict(zip(result.reference_map["local_id"], result.reference_map["record_ref"]))
    opened = _opened(result, keys)
    got = sorted((ref, env.recipient, env.purpose, tuple(sorted(p.fields))) for ref, env, p in opened)
    identity = ("birth_date", "family_name", "given_names", "nationality", "sex")
    assert got == sorted([
        (refs["1"], "course_provider", "integration_support", identity),
        (refs["1"], "foreigners_authority", "integration_support", identity),
        # household is granted but not a payload class of this config: only identity fields
        (refs["2"], "course_provider", "integration_support", identity),
    ])  # record 4: withdrawn; record 2 -> employment_agency: declined
    by_ref = {(ref, env.recipient): (env, p) for ref, env, p in opened}
    env, payload = by_ref[(refs["2"], "course_provider")]
    assert (env.valid_from, env.valid_until) == ("2020-01-01", "2030-01-01")
    assert payload.fields["birth_date"] == "1991-07-14" and payload.fields["sex"] == "f"
    assert payload.captured == CREATED.date().isoformat()  # 'kaputt' could not be read
    _, payload = by_ref[(refs["1"], "course_provider")]
    assert payload.fields["family_name"] == PLANTED
    assert payload.fields["birth_date"] == "1990"  # 1 January placeholder: the year only
    assert payload.captured == "2025-02-01"
    assert result.export.metadata["stats"]["consent"]["envelopes_by_recipient"] == {
        "course_provider": 2, "foreigners_authority": 1}


def test_birth_date_with_unknown_day_is_sealed_as_the_year(config, secret, keyring, keys):
    records = _records()
    records.loc[0, "Geburtsdatum"] = "00.07.1990"  # month known, day not
    result = encode(records, config, secret=secret, consent=_register(), keyring=keyring, created=CREATED)
    first = result.reference_map.set_index("local_id").loc["1", "record_ref"]
    dates = {p.fields["birth_date"] for ref, _, p in _opened(result, keys) if ref == first}
    assert dates == {"1990"}


def test_unreadable_capture_date_is_a_warning(result):
    w = result.warnings
    assert w[w["field"] == "payload.captured"]["row_number"].tolist() == [2]


def test_envelopes_follow_the_register_and_the_export_lists_no_scopes(result):
    """Each record's envelopes come from its scopes; the scopes themselves
    (legal basis, data classes, consent dates) stay with the agency."""
    register = _register()
    table = result.table_in_input_order()
    assert "scopes" not in table.column_names
    refs = dict(zip(result.reference_map["record_ref"], result.reference_map["local_id"]))
    for ref, envs in zip(table.column("record_ref").to_pylist(), table.column("envelopes").to_pylist()):
        allowed = {(s.recipient, s.purpose) for s in K.scopes(register, refs[ref], CREATED.date())}
        assert {(e["recipient"], e["purpose"]) for e in envs} <= allowed
    assert result.export.metadata["stats"]["consent"]["records_with_scopes"] == sum(
        1 for lid in result.reference_map["local_id"] if K.scopes(register, lid, CREATED.date()))


def test_envelope_moved_to_another_record_does_not_open(result, keys):
    table = result.table_in_input_order()
    rows = [(ref, envs) for ref, envs in zip(table.column("record_ref").to_pylist(),
                                             table.column("envelopes").to_pylist()) if envs]
    (_, envs_a), (ref_b, _) = rows[0], rows[1]
    env = seal.Envelope.from_arrow_dict(envs_a[0])
    with pytest.raises(IntegrityError, match="cannot open"):
        seal.open_envelope(env, record_ref=ref_b, agency="jobcentre", private_key=keys[env.recipient],
                           recipient=env.recipient)


def test_no_payload_plaintext_in_the_encoded_file(result, tmp_path):
    path = io.write_encoded(result.export, tmp_path / "jobcentre.parquet")
    raw = path.read_bytes()
    for value in (PLANTED, "Mohammed", "Fatima", "1991-07-14"):
        assert value.encode() not in raw
    assert PLANTED not in repr(result.export.metadata)
    again = io.read_encoded(path)  # the envelopes are covered by the signature
    assert again.table.column("envelopes").to_pylist() == result.export.table.column("envelopes").to_pylist()


def test_same_output_for_any_number_of_workers_except_random_envelope_bytes(config, secret, keyring, keys):
    one = encode(_records(), config, secret=secret, consent=_register(), keyring=keyring, created=CREATED)
    two = encode(_records(), config, secret=secret, consent=_register(), keyring=keyring, created=CREATED, workers=2)
    assert one.export.table.drop_columns(["envelopes"]).equals(two.export.table.drop_columns(["envelopes"]))
    assert ([(r, e.recipient, dict(p.fields)) for r, e, p in _opened(one, keys)]
            == [(r, e.recipient, dict(p.fields)) for r, e, p in _opened(two, keys)])


def test_register_is_required_when_the_config_says_consent(config, secret, keyring):
    with pytest.raises(ConfigError, match="requires a consent register"):
        encode(_records(), config, secret=secret, keyring=keyring, created=CREATED)


def test_keyring_is_required_for_payloads(config, secret):
    with pytest.raises(ConfigError, match="keyring"):
        encode(_records(), config, secret=secret, consent=_register(), created=CREATED)


def test_recipient_missing_from_the_keyring_is_refused_without_values(config, secret, keys):
    partial = seal.Keyring({"course_provider": keys["course_provider"].public_key})
    with pytest.raises(ConsentError) as err:
        encode(_records(), config, secret=secret, consent=_register(), keyring=partial, created=CREATED)
    message = str(err.value)
    assert "foreigners_authority" in message and "employment_agency" not in message  # declined: not needed
    assert PLANTED not in message and "Mohammed" not in message


def test_register_without_payload_gives_no_envelopes(schema, secret):
    config = parse_export_config(
        {k: v for k, v in tomllib.loads((CONFIGS / "jobcentre.toml").read_text(encoding="utf-8")).items()
         if k != "payload"}, schema)
    result = encode(_records(), config, secret=secret, consent=_register(), created=CREATED)
    table = result.table_in_input_order()
    assert all(len(e) == 0 for e in table.column("envelopes").to_pylist())
    assert "scopes" not in table.column_names
    assert result.export.metadata["stats"]["consent"]["records_with_scopes"] == table.num_rows


def test_without_consent_section_every_record_is_encoded(schema, secret):
    data = {k: v for k, v in tomllib.loads((CONFIGS / "jobcentre.toml").read_text(encoding="utf-8")).items()
            if k not in ("payload", "consent")}
    result = encode(_records(), parse_export_config(data, schema), secret=secret, created=CREATED)
    assert result.export.record_count == 4
    assert result.export.metadata["stats"]["consent"]["register"] is False


@pytest.mark.parametrize(("change", "path"), [
    ({"consent": None}, "payload"),
    ({"payload": {"fields": {"x": {"column": "Vorname", "class": "Identity"}}}}, "payload.fields.x.class"),
    ({"payload": {"fields": {"x": {"column": "Vorname", "class": "identity", "normalise": "upper"}}}},
     "payload.fields.x.normalise"),
    ({"payload": {"fields": {"x": {"column": "Vorname", "class": "identity", "colour": "red"}}}},
     "payload.fields.x.colour"),
    ({"payload": {"fields": {"Bad-Name": {"column": "Vorname", "class": "identity"}}}}, "payload.fields.Bad-Name"),
    ({"payload": {"fields": {}}}, "payload.fields"),
    ({"payload": {"captured_formats": ["%Y"], "fields": {"x": {"column": "Vorname", "class": "identity"}}}},
     "payload.captured_formats[0]"),
    ({"consent": {"delimiter": "|"}}, "consent.delimiter"),
    ({"consent": {"registry": "x.csv"}}, "consent.registry"),
])
def test_invalid_consent_and_payload_settings_name_the_path(schema, change, path):
    data = tomllib.loads((CONFIGS / "jobcentre.toml").read_text(encoding="utf-8"))
    for key, value in change.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    with pytest.raises(ConfigError) as err:
        parse_export_config(data, schema)
    assert any(p.startswith(path + ":") for p in err.value.problems), err.value.problems


def test_missing_payload_column_is_a_clear_error(config, secret, keyring):
    from linkage.errors import DataError

    with pytest.raises(DataError, match="'Stand'"):
        encode(_records().drop(columns=["Stand"]), config, secret=secret, consent=_register(), keyring=keyring,
               created=CREATED)


def test_signed_envelope_digests_are_those_of_the_reference_definition(result):
    from linkage.authenticity import _set_digest, envelope_digests, envelope_leaf

    table = result.export.table
    leaves: dict[str, list[bytes]] = {}
    for ref, envelopes in zip(table.column("record_ref").to_pylist(), table.column("envelopes").to_pylist()):
        for envelope in envelopes:
            leaves.setdefault(envelope["recipient"], []).append(envelope_leaf(ref, envelope))
    expected = {name: {"envelopes": len(v), "digest": _set_digest("jobcentre", name, v)}
                for name, v in sorted(leaves.items())}
    assert result.export.metadata["envelope_digests"] == expected == envelope_digests("jobcentre", table)
    assert list(result.export.metadata["envelope_digests"]) == list(expected)


def test_many_parts_in_several_processes_give_the_same_export(schema, secret, keys, monkeypatch):
    """Parts are cut in record-reference order and encoded here and in forked workers: the
    export, the agency's side tables and the envelopes do not depend on it."""
    from linkage import synth
    from linkage.authenticity import envelope_digests
    from linkage.encoded import content_digest

    data = synth.generate(300, seed=3)
    export = next(e for e in data.exports if e.agency == "jobcentre")
    register = K.parse_register(data.consent["jobcentre"])
    public = {name: pair.public_key for name, pair in keys.items()}
    keyring = seal.Keyring(public | {"coordination_office": seal.generate_recipient_key("coordination_office").public_key})
    runs = []
    for workers, chunk in ((1, 100_000), (3, 40)):
        monkeypatch.setattr(sys.modules["linkage.encode"], "_CHUNK_ROWS", chunk)  # the module, not the function
        runs.append(encode(export.frame, _config(schema), secret=secret, consent=register, keyring=keyring,
                           created=CREATED, workers=workers))
    one, many = runs
    assert many.export.table.column("envelopes").num_chunks > 3
    assert one.export.table.drop_columns(["envelopes"]).equals(many.export.table.drop_columns(["envelopes"]))
    for name in ("reference_map", "quarantine", "warnings"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(many, name))
    assert one.export.metadata["stats"] == many.export.metadata["stats"]
    assert many.export.metadata["envelope_digests"] == envelope_digests("jobcentre", many.export.table)
    assert many.export.metadata["content_digest"] == content_digest(many.export.table.combine_chunks())
    lengths = [r.export.table.column("envelopes").combine_chunks().value_lengths().to_pylist() for r in runs]
    assert lengths[0] == lengths[1] and sum(lengths[0]) > 100
