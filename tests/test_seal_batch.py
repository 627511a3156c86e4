"""The batched sealing kernel against the plain definition (one PayloadSealer.seal per envelope)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage import seal
from linkage._seal_batch import PayloadColumn, envelope_inputs, seal_records, seal_records_reference
from linkage.authenticity import envelope_leaf
from linkage.encoded import ENVELOPE_TYPE, SCOPE_TYPE
from linkage.errors import DataError

AGENCY = "jobcentre"
RECIPIENTS = ("course_provider", "foreigners_authority")
FIELDS = (("family_name", "identity"), ("birth_date", "identity"), ("language", "language"), ("z_note", "other"))
CLASSES = ("identity", "language", "other", "household")


@pytest.fixture(scope="module")
def keys():
    return {name: seal.generate_recipient_key(name) for name in RECIPIENTS}


def _columns(values: list[list[str | None]]) -> list[PayloadColumn]:
    out = []
    for j, (name, data_class) in enumerate(FIELDS):
        cells = [row[j] for row in values]
        vocab = sorted({c for c in cells if c is not None})
        codes = np.asarray([-1 if c is None else vocab.index(c) for c in cells], dtype=np.int64)
        out.append(PayloadColumn(name, data_class, codes, vocab))
    return out


_text = st.one_of(st.none(), st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
                  st.sampled_from(['"', "\\", "\n\t\x00\x1f", "Ünïcødé ☃", "x" * 700]))
_scope = st.fixed_dictionaries({
    "recipient": st.sampled_from(RECIPIENTS + ("*",)),
    "purpose": st.sampled_from(("integration_support", "linkage", "counselling")),
    "data_classes": st.one_of(st.just(["*"]), st.lists(st.sampled_from(CLASSES), min_size=1, max_size=3, unique=True)),
    "legal_basis": st.just("consent"),
    "valid_from": st.sampled_from(("2024-01-01", "2025-06-30")),
    "valid_until": st.sampled_from((None, "2030-12-31")),
})
_records = st.lists(st.tuples(st.lists(_text, min_size=len(FIELDS), max_size=len(FIELDS)),
                              st.sampled_from(("2025-02-01", "2026-06-30")),
                              st.one_of(st.none(), st.lists(_scope, max_size=4))), max_size=8)


def _inputs(records):
    refs = [f"{i:032x}" for i in range(len(records))]
    columns = _columns([r[0] for r in records])
    scopes = pa.array([r[2] for r in records], type=pa.list_(SCOPE_TYPE))
    return refs, columns, [r[1] for r in records], scopes


@settings(max_examples=150, deadline=None)
@given(records=_records)
def test_property_plaintexts_and_associated_data_are_those_of_the_definition(records, keys):
    refs, columns, captured, scopes = _inputs(records)
    public = {name: pair.public_key for name, pair in keys.items()}
    batch = envelope_inputs(seal.PayloadSealer(public, agency=AGENCY), refs, columns, captured, scopes)
    expected = []
    for i, record_scopes in enumerate(scopes.to_pylist()):
        for s in record_scopes or ():
            allowed = s["data_classes"]
            fields = {c.name: c.value(i) for c in columns
                      if c.value(i) is not None and ("*" in allowed or c.data_class in allowed)}
            if s["recipient"] != "*" and s["purpose"] != "linkage" and fields:
                expected.append((i, seal._canonical_payload(fields, AGENCY, captured[i], refs[i]),
                                 seal._associated_data(refs[i], AGENCY, s["recipient"], s["purpose"],
                                                       s["valid_from"], s["valid_until"]), s["recipient"]))
    assert batch.rows.tolist() == [e[0] for e in expected]
    assert batch.plaintexts() == [e[1] for e in expected]
    assert batch.associated_data.to_pylist() == [e[2] for e in expected]
    assert batch.recipient.to_pylist() == [e[3] for e in expected]


def _opened(envelopes: pa.Array, refs, keys):
    out = []
    for ref, row in zip(refs, envelopes.to_pylist()):
        for raw in row:
            env = seal.Envelope.from_arrow_dict(raw)
            opened = seal.open_envelope(env, record_ref=ref, agency=AGENCY, private_key=keys[env.recipient],
                                        recipient=env.recipient)
            out.append((ref, env.recipient, env.purpose, env.valid_from, env.valid_until, len(env.ciphertext),
                        dict(opened.fields), opened.captured))
    return out


@settings(max_examples=40, deadline=None)
@given(records=_records)
def test_property_envelopes_open_to_what_the_definition_seals(records, keys):
    refs, columns, captured, scopes = _inputs(records)
    public = {name: pair.public_key for name, pair in keys.items()}
    fast, leaves = seal_records(seal.PayloadSealer(public, agency=AGENCY), refs, columns, captured, scopes)
    plain, _ = seal_records_reference(seal.PayloadSealer(public, agency=AGENCY), refs, columns, captured, scopes)
    assert fast.type == pa.list_(ENVELOPE_TYPE) and len(fast) == len(refs)
    assert [row.tobytes() for row in leaves] == [envelope_leaf(ref, e) for ref, row in zip(refs, fast.to_pylist())
                                                  for e in row]
    assert fast.value_lengths().to_pylist() == plain.value_lengths().to_pylist()
    assert _opened(fast, refs, keys) == _opened(plain, refs, keys)
    nonces = [e["nonce"] for row in fast.to_pylist() for e in row]
    assert len(set(nonces)) == len(nonces)


def test_a_value_that_is_not_unicode_names_the_record_never_the_value(keys):
    records = [(["Ali", "1990", None, None], "2025-02-01", [_plain_scope()]),
               (["Om\ud800ar", "1991", None, None], "2025-02-01", [_plain_scope()])]
    refs, columns, captured, scopes = _inputs(records)
    sealer = seal.PayloadSealer({n: p.public_key for n, p in keys.items()}, agency=AGENCY)
    with pytest.raises(DataError) as err:
        seal_records(sealer, refs, columns, captured, scopes)
    assert refs[1] in str(err.value) and "Om" not in str(err.value)


def _plain_scope(**changes):
    scope = {"recipient": "course_provider", "purpose": "integration_support", "data_classes": ["identity"],
             "legal_basis": "consent", "valid_from": "2024-01-01", "valid_until": None}
    return {**scope, **changes}


@pytest.mark.parametrize(("scope", "message"), [
    (_plain_scope(valid_until="2023-01-01"), "is before 'valid_from'"),
    (_plain_scope(valid_from="2024-02-30"), "'valid_from' must be an ISO date"),
    (_plain_scope(recipient="employment_agency"), "has no public key"),
    (_plain_scope(purpose=""), "'purpose' must be a non-empty string"),
])
def test_scopes_are_checked_like_the_sealer_does(keys, scope, message):
    refs, columns, captured, scopes = _inputs([(["Ali", "1990", None, None], "2025-02-01", [scope])])
    for kernel in (seal_records, seal_records_reference):
        sealer = seal.PayloadSealer({n: p.public_key for n, p in keys.items()}, agency=AGENCY)
        with pytest.raises(Exception, match=message):
            kernel(sealer, refs, columns, captured, scopes)


def test_batches_of_any_size_give_the_same_envelopes(keys, monkeypatch):
    import linkage._seal_batch as kernel

    scopes = [_plain_scope(), _plain_scope(recipient="foreigners_authority", data_classes=["*"])]
    records = [([f"Name{i}", "1990", "ar" if i % 2 else None, None], "2025-02-01", scopes[: 1 + i % 2])
               for i in range(11)]
    refs, columns, captured, scopes = _inputs(records)
    public = {name: pair.public_key for name, pair in keys.items()}
    plain, _ = seal_records_reference(seal.PayloadSealer(public, agency=AGENCY), refs, columns, captured, scopes)
    monkeypatch.setattr(kernel, "_BATCH", 4)
    fast, leaves = seal_records(seal.PayloadSealer(public, agency=AGENCY), refs, columns, captured, scopes)
    assert _opened(fast, refs, keys) == _opened(plain, refs, keys) and len(leaves) == 16
    assert [row.tobytes() for row in leaves] == [envelope_leaf(ref, e) for ref, row in zip(refs, fast.to_pylist())
                                                  for e in row]
