"""Configuration objects: the shared encoding schema and each agency's export config.

Two files configure encoding:

* The **schema** (shared by all agencies of a project, e.g. ``configs/schema.toml``) fixes what
  is encoded and how: fields, token kinds and bits per token, filter lengths, hardening, the
  record-level filter and the blocking keys. Its fingerprint is written into every encoded export;
  the linkage unit refuses to link exports whose fingerprints differ.
* An **export config** (one per agency format, e.g. ``configs/jobcentre.toml``) maps the agency's
  columns to roles, says how to read the file and how its dates are written, and names the schema.

Contract: ``parse_schema`` and ``parse_export_config`` take parsed TOML mappings, validate every
setting, and raise one :class:`~linkage.errors.ConfigError` that lists every problem with its path
(``fields[2].num_bits: must be in [64, 16384], got 3``). Unknown keys are errors. The returned
objects are frozen and hashable. Reading files is :mod:`linkage.io`'s job.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal

from ._validate import Reader, raise_if_problems

__all__ = [
    "CONFIG_VERSION",
    "Role",
    "FIELD_KINDS",
    "TOKEN_KINDS",
    "BLOCKING_DERIVATIONS",
    "FieldSpec",
    "BIND_ANCHORS",
    "KEYED_ANCHORS",
    "NAME_ANCHOR",
    "BINDABLE_ROLES",
    "slice_kinds",
    "HardeningSpec",
    "RecordFilterSpec",
    "BlockingKeySpec",
    "Schema",
    "InputSpec",
    "DateSpec",
    "ExportConfig",
    "ConsentSpec",
    "PayloadField",
    "PayloadSpec",
    "PAYLOAD_NORMALISERS",
    "parse_schema",
    "parse_export_config",
]

CONFIG_VERSION = 1

FieldKind = Literal["name", "date", "code", "text"]
FIELD_KINDS: tuple[str, ...] = ("name", "date", "code", "text")


class Role(StrEnum):
    """What a column holds. Free attributes are addressed as ``attribute.<name>``."""

    ID = "id"
    GIVEN_NAME = "given_name"
    FAMILY_NAME = "family_name"
    FULL_NAME = "full_name"
    FATHER_NAME = "father_name"
    ORIGINAL_NAME = "original_name"
    BIRTH_DATE = "birth_date"
    SEX = "sex"
    NATIONALITY = "nationality"
    PLACE = "place"


#: The field kind each role can feed (attributes can feed ``code`` or ``text`` fields).
ROLE_KINDS: Mapping[str, str] = {
    Role.GIVEN_NAME: "name",
    Role.FAMILY_NAME: "name",
    Role.FULL_NAME: "name",
    Role.FATHER_NAME: "name",
    Role.ORIGINAL_NAME: "name",
    Role.BIRTH_DATE: "date",
    Role.SEX: "code",
    Role.NATIONALITY: "code",
    Role.PLACE: "text",
}

#: Token kinds per field kind (implemented in :mod:`linkage.tokens`).
TOKEN_KINDS: Mapping[str, tuple[str, ...]] = {
    "name": ("bigram", "trigram", "whole", "folded_bigram", "folded_trigram", "folded_final", "skeleton_bigram", "skeleton",
             "koelner", "metaphone"),
    "date": ("ymd", "year", "month_day", "year_month", "day_month_set", "year_window", "year_day_month_set",
             "month_day_window_a", "month_day_window_b", "month_day_window_c", "year_of_full_date"),
    "code": ("value",),
    "text": ("bigram", "whole"),
}

#: Blocking-key derivations per field kind (implemented in :mod:`linkage.tokens`).
BLOCKING_DERIVATIONS: Mapping[str, tuple[str, ...]] = {
    "name": ("part", "prefix3", "skeleton", "phonetic", "skeleton_pair"),
    "date": ("ymd", "year", "month_day"),
    "code": ("value",),
    "text": ("value",),
}

#: The anchors of bound roles (``bind``), each a slice of its own, in the order the linkage unit
#: tries them: the year of the date with the sorted set of name-part skeletons of the field named
#: by ``bind_name_field`` (the only anchor of a year-only date), and the exact date with one
#: skeleton of the record picked by each of two public min-hash orders (a pair of records whose
#: skeleton sets overlap in a share J picks the same part with probability J). Records sharing
#: an anchor are one person's records, or namesakes born in the same year, or persons born on the
#: same day sharing a name part: a bound role never splits a large group. (Measured and rejected:
#: the exact date or the day/month swap alone, whose groups hold several persons once data is
#: dense, and the year or year windows: benchmarks/results/lowentropy_study.md.)
BIND_ANCHORS: tuple[str, ...] = ("year_name_set", "ymd_name_a", "ymd_name_b")
NAME_ANCHOR = BIND_ANCHORS[0]
#: Anchors a bound date may add (``anchors``) that no role is bound to, for the date comparison
#: alone: ``year_name_keyed`` is the year with the one name skeleton of the record first in an
#: order keyed by the project secret (one token per record, so its classes are year-pure but
#: small; the linkage unit cannot tell which skeleton a record picked). It gives the "same year
#: only" category beside ``year_name_set``. Measured and not shipped: with the other anchors its
#: classes still chain into year-pure components (4 % of records at 100 k, +15.6 pp on the birth
#: year), for no F1 gain (benchmarks/results/lowentropy_study.md).
KEYED_ANCHORS: tuple[str, ...] = ("year_name_keyed",)
#: Roles that a date field may bind (besides ``attribute.<name>``): the low-entropy codes.
BINDABLE_ROLES: tuple[str, ...] = ("sex", "nationality")


def slice_kinds(token_kinds: Sequence[str], bind: Sequence[str] = (), anchors: Sequence[str] = ()) -> tuple[str, ...]:
    """The slices of a split field, in stored order: one per token kind; with bound roles the
    anchors (:data:`BIND_ANCHORS`), the extra ``anchors`` (:data:`KEYED_ANCHORS`, in order), then
    one per bound anchor and role as ``"<anchor>+<role>"`` (anchors in order, roles in ``bind``
    order)."""
    if not bind:
        return tuple(token_kinds)
    return (*token_kinds, *BIND_ANCHORS, *anchors, *(f"{anchor}+{role}" for anchor in BIND_ANCHORS for role in bind))


_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_AGENCY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_MIN_BITS, _MAX_BITS = 64, 16384
_MAX_BITS_PER_TOKEN = 64
#: Largest diffusion ``t`` (:mod:`linkage.diffusion`): beyond it a spelling variant is noise.
MAX_DIFFUSION = 16
_CALENDARS = ("gregorian", "solar_hijri", "ethiopian")
_INPUT_FORMATS = ("auto", "csv", "xlsx", "parquet")
_DAY_MONTH_RE = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    """One encoded field: a Bloom filter of ``num_bits`` per value (per name part for names).

    ``layout = "split"`` (date fields): the filter is cut into one equal slice per token kind (in
    the order of ``tokens``), each hashed and hardened on its own, so that the linkage unit can
    compare the kinds one by one (dates by category, see :mod:`linkage.compare`); a value that
    yields no token at all is stored as missing. ``"joint"``: all tokens in one filter.

    ``bind`` (split date fields, with ``bind_name_field``) names low-entropy roles (``sex``,
    ``nationality``, ``attribute.<name>``) that are encoded only *bound to an anchor*: each anchor
    (:data:`BIND_ANCHORS`: the date and the name skeletons of the name field ``bind_name_field``)
    gets a slice of its own, and each anchor and role one more slice holding the keyed hash of the
    anchor's token with the role's value, so the linkage unit can tell whether two records agree on
    the role only where they agree on an anchor (:mod:`linkage.bind`). ``anchors`` adds anchors
    that no role is bound to (:data:`KEYED_ANCHORS`), compared as date categories only.
    """

    name: str
    kind: FieldKind
    sources: tuple[str, ...]
    num_bits: int
    tokens: tuple[tuple[str, int], ...]
    max_parts: int = 1
    required: bool = False
    layout: Literal["joint", "split"] = "joint"
    bind: tuple[str, ...] = ()
    bind_name_field: str | None = None
    anchors: tuple[str, ...] = ()

    @property
    def num_bytes(self) -> int:
        return self.num_bits // 8

    @property
    def slice_kinds(self) -> tuple[str, ...]:
        """Slices of a split field in stored order (:func:`slice_kinds`); empty when joint."""
        if self.layout != "split":
            return ()
        return slice_kinds([kind for kind, _ in self.tokens], self.bind, self.anchors)

    @property
    def slice_bits(self) -> int:
        """Bits of each slice (split layout); the whole filter otherwise."""
        return self.num_bits // len(self.slice_kinds) if self.layout == "split" else self.num_bits


@dataclass(frozen=True, slots=True, kw_only=True)
class HardeningSpec:
    """Hardening applied to every field filter, in this order: balance, diffusion, fold, permute, BLIP.

    ``diffusion`` is ``t``: every stored bit the XOR of ``t`` keyed-chosen bits (0: off; see
    :mod:`linkage.diffusion`). ``salt_field`` names a code or date field whose value (the year for
    dates) is mixed into every token of every other field; records with that field missing are
    salted with the empty value.
    """

    balance: bool = False
    diffusion: int = 0
    xor_fold: bool = False
    permute: bool = False
    blip_probability: float = 0.0
    salt_field: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordFilterSpec:
    """The optional record-level filter (CLK) used for blocking: all fields' tokens in one filter."""

    num_bits: int
    bits_per_token: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockingKeySpec:
    """A keyed blocking key: the digest of ``field.derivation`` components joined.

    A name component yields one key per name part; a record missing any component has no key.
    """

    name: str
    components: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Schema:
    """What is encoded and how; identical for every agency of a project."""

    version: int
    name: str
    fields: tuple[FieldSpec, ...]
    hardening: HardeningSpec
    record_filter: RecordFilterSpec | None
    blocking: tuple[BlockingKeySpec, ...]

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (lists for tuples); the input of :meth:`fingerprint`. A field's
        ``bind``, ``bind_name_field`` and ``anchors`` are left out when unset (schemas without bound
        roles or extra anchors keep their fingerprints)."""
        data = json.loads(json.dumps(asdict(self)))
        for field in data["fields"]:
            for key in ("bind", "bind_name_field", "anchors"):
                if not field.get(key):
                    field.pop(key, None)
        return data

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON of the schema: equal iff encodings are comparable."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def encoded_width(self, spec: FieldSpec) -> int:
        """Bits per stored filter of ``spec`` after hardening (balancing doubles, folding halves)."""
        bits = spec.num_bits * (2 if self.hardening.balance else 1)
        return bits // 2 if self.hardening.xor_fold else bits


@dataclass(frozen=True, slots=True, kw_only=True)
class InputSpec:
    """How to read an agency's file. ``delimiter`` None means sniffed; ``sheet`` None the first."""

    format: Literal["auto", "csv", "xlsx", "parquet"] = "auto"
    delimiter: str | None = None
    encoding: str = "utf-8"
    sheet: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DateSpec:
    """How an agency writes birth dates.

    ``formats`` are strptime patterns tried in order (ISO ``%Y-%m-%d`` is always tried last).
    ``unknown_day_month`` lists ``MM-DD`` values that mean "day and month unknown" (German
    authorities use 1 January); a zero day or month always means unknown. Two-digit years below
    ``two_digit_year_pivot`` are 20xx, the others 19xx. ``invalid`` says what an unparseable or
    impossible date does: ``"quarantine"`` the row (the default), or ``"missing"``: the record is
    encoded without a birth date and the row is listed in the warnings (for sources whose dates
    are known to be noisy, so that their records can still be linked on the other fields).
    """

    formats: tuple[str, ...] = ("%d.%m.%Y",)
    calendar: Literal["gregorian", "solar_hijri", "ethiopian"] = "gregorian"
    unknown_day_month: tuple[str, ...] = ("01-01",)
    two_digit_year_pivot: int = 30
    invalid: Literal["quarantine", "missing"] = "quarantine"


#: How a payload field's value may be normalised before sealing (``none``: as the agency wrote it).
PAYLOAD_NORMALISERS: tuple[str, ...] = ("none", "birth_date", "sex", "nationality")


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentSpec:
    """The agency's consent register (issue #5): a register is required to encode.

    ``register`` is a path relative to the export config's folder (None: given at encode time,
    e.g. ``linkage encode --consent FILE``); ``delimiter`` None means told from the header.
    """

    register: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PayloadField:
    """One field sealed for recipients: its name in the view, the agency's column, its data class."""

    name: str
    column: str
    data_class: str
    normalise: Literal["none", "birth_date", "sex", "nationality"] = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class PayloadSpec:
    """What is sealed per record for the recipients its grants allow.

    ``captured`` names the column with the date the record was captured or last changed (read
    with ``captured_formats``; when None, or for a cell that cannot be read, the encoding date).
    ``keyring`` is a path relative to the export config's folder (None: given at encode time).
    """

    fields: tuple[PayloadField, ...]
    captured: str | None = None
    captured_formats: tuple[str, ...] = ("%d.%m.%Y",)
    keyring: str | None = None

    def columns(self) -> tuple[str, ...]:
        cols = [f.column for f in self.fields] + ([self.captured] if self.captured else [])
        return tuple(dict.fromkeys(cols))


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportConfig:
    """One agency's export format and the schema it encodes into.

    ``consent`` None means the agency links all records under its own responsibility and seals
    no payloads; a ``payload`` requires ``consent`` (envelopes go only where a grant allows).
    """

    version: int
    agency: str
    schema: Schema
    input: InputSpec
    columns: tuple[tuple[str, tuple[str, ...]], ...]
    birth_date: DateSpec
    reference: Literal["pseudonym", "local_id"] = "pseudonym"
    consent: ConsentSpec | None = None
    payload: PayloadSpec | None = None

    def columns_for(self, role: str) -> tuple[str, ...]:
        for r, cols in self.columns:
            if r == role:
                return cols
        return ()

    @property
    def id_column(self) -> str:
        return self.columns_for(Role.ID)[0]


# --------------------------------------------------------------------------------------- parsing


def parse_schema(data: Mapping[str, Any], *, source: str = "schema") -> Schema:
    """Validate a parsed schema mapping and build the :class:`Schema`."""
    problems: list[str] = []
    top = Reader(data, "", problems)
    version = _version(top)
    name = top.str("name")
    field_readers = top.tables("fields")
    fields = tuple(f for f in (_field(r) for r in field_readers) if f is not None)
    if not fields and not problems:
        top.problem("fields", "at least one field is required")
    _unique([f.name for f in fields], "fields", top)
    # Fields with problems of their own are left out of by_name; references to them are not
    # reported again (one typo, one problem).
    by_name: dict[str, FieldSpec | None] = {r.data.get("name"): None for r in field_readers
                                            if isinstance(r.data.get("name"), str)}
    by_name.update({f.name: f for f in fields})
    _check_bind_name_fields(field_readers, by_name, problems)
    hardening = _hardening(top.table("hardening", {}), by_name)
    record_filter = _record_filter(top.table("record_filter", None), by_name)
    blocking = tuple(b for b in (_blocking(r, by_name) for r in top.tables("blocking")) if b is not None)
    _unique([b.name for b in blocking], "blocking", top)
    top.finish()
    raise_if_problems(source, problems)
    return Schema(
        version=version, name=name, fields=fields, hardening=hardening,
        record_filter=record_filter, blocking=blocking,
    )


def parse_export_config(data: Mapping[str, Any], schema: Schema, *, source: str = "export config") -> ExportConfig:
    """Validate a parsed export-config mapping against ``schema`` and build the config.

    The ``schema`` key (a path) is resolved by the caller; here it is only checked to be present.
    """
    problems: list[str] = []
    top = Reader(data, "", problems)
    version = _version(top)
    agency = top.str("agency")
    if agency is not None and not _AGENCY_RE.match(agency):
        top.problem("agency", "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")
    top.str("schema")
    reference = top.str("reference", "pseudonym", choices=("pseudonym", "local_id"))
    input_spec = _input(top.table("input", {}))
    columns = _columns(top.table("columns"), top.table("attributes", {}))
    birth_date = _date_spec(top.table("birth_date", {}))
    consent = _consent(top.table("consent", None))
    payload = _payload(top.table("payload", None))
    if payload is not None and consent is None:
        top.problem("payload", "needs a [consent] section: envelopes are sealed only for the recipients a "
                               "grant in the consent register names")
    top.finish()
    roles = {role for role, _ in columns}
    for spec in schema.fields:
        if spec.required and not roles.intersection(spec.sources):
            problems.append(
                f"columns: schema field '{spec.name}' is required; map at least one of {', '.join(spec.sources)}"
            )
    raise_if_problems(source, problems)
    return ExportConfig(
        version=version, agency=agency, schema=schema, input=input_spec, columns=columns,
        birth_date=birth_date, reference=reference, consent=consent, payload=payload,
    )


def _version(top: Reader) -> int:
    version = top.int("version")
    if version is not None and version != CONFIG_VERSION:
        top.problem("version", f"must be {CONFIG_VERSION} (this linkage reads config version {CONFIG_VERSION})")
    return CONFIG_VERSION


def _unique(names: list[str], key: str, top: Reader) -> None:
    seen: set[str] = set()
    for i, n in enumerate(names):
        if n in seen:
            top.problem(key, f"name '{n}' is used twice (entry {i})")
        seen.add(n)


def _field(r: Reader) -> FieldSpec | None:
    n_problems = len(r.problems)
    name = r.str("name")
    if name is not None and not _NAME_RE.match(name):
        r.problem("name", "must be lower-case letters, digits and '_', starting with a letter, at most 40 long")
    kind = r.str("kind", choices=FIELD_KINDS)
    sources = r.str_list("sources", allow_single=True)
    for i, src in enumerate(sources or ()):
        if src.startswith("attribute."):
            if kind not in ("code", "text"):
                r.problem(f"sources[{i}]", "attributes can feed only 'code' or 'text' fields")
        elif src not in ROLE_KINDS:
            r.problem(f"sources[{i}]", f"must be a role ({', '.join(ROLE_KINDS)}) or 'attribute.<name>'")
        elif kind is not None and ROLE_KINDS[src] != kind:
            r.problem(f"sources[{i}]", f"role '{src}' feeds '{ROLE_KINDS[src]}' fields, not '{kind}'")
    num_bits = r.int("num_bits", low=_MIN_BITS, high=_MAX_BITS)
    if num_bits is not None and num_bits % 16:
        r.problem("num_bits", "must be a multiple of 16 (whole bytes, and halves for XOR folding)")
    tokens: list[tuple[str, int]] = []
    tok = r.table("tokens")
    if tok is not None:
        allowed = TOKEN_KINDS.get(kind or "", ())
        for token_kind, bits in tok.data.items():
            tok.raw(token_kind)
            if kind is not None and token_kind not in allowed:
                tok.problem(token_kind, f"is not a token kind of '{kind}' fields (allowed: {', '.join(allowed)})")
            elif isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= _MAX_BITS_PER_TOKEN:
                tok.problem(token_kind, f"bits per token must be an integer in [1, {_MAX_BITS_PER_TOKEN}]")
            else:
                tokens.append((token_kind, bits))
        if not tok.data:
            r.problem("tokens", "at least one token kind is required")
    max_parts = r.int("max_parts", 5 if kind == "name" else 1, low=1, high=12)
    if kind != "name" and r.has("max_parts"):
        r.problem("max_parts", "applies to 'name' fields only")
    required = r.bool("required", False)
    layout = r.str("layout", "joint", choices=("joint", "split"))
    bind = _bind(r, kind, layout, sources or ())
    bind_name_field = r.str("bind_name_field", None)
    if bind_name_field is not None and not r.has("bind"):
        r.problem("bind_name_field", "needs 'bind' (the roles to bind)")
    anchors = _anchors(r, bind)
    if layout == "split":
        slices = len(slice_kinds([t for t, _ in sorted(tokens)], bind, anchors))
        if kind is not None and kind != "date":
            r.problem("layout", "'split' applies to 'date' fields only")
        elif num_bits is not None and tokens and num_bits % (16 * slices):
            r.problem("num_bits", f"must be a multiple of {16 * slices} with layout 'split' (one slice of whole "
                                  f"16-bit units per token kind, anchor and bound slice, {slices} slices)")
    r.finish()
    if len(r.problems) != n_problems:
        return None
    return FieldSpec(
        name=name, kind=kind, sources=sources, num_bits=num_bits, tokens=tuple(sorted(tokens)),
        max_parts=max_parts, required=required, layout=layout, bind=bind, bind_name_field=bind_name_field,
        anchors=anchors,
    )


def _anchors(r: Reader, bind: Sequence[str]) -> tuple[str, ...]:
    """The extra anchors of a bound date (see FieldSpec), in the given order; problems recorded in ``r``."""
    anchors = r.str_list("anchors", (), allow_single=True)
    if not anchors:
        return ()
    ok = True
    for i, anchor in enumerate(anchors):
        if anchor not in KEYED_ANCHORS:
            r.problem(f"anchors[{i}]", f"must be one of {', '.join(KEYED_ANCHORS)}")
            ok = False
    if len(set(anchors)) != len(anchors):
        r.problem("anchors", "names an anchor twice")
        ok = False
    if not r.has("bind"):
        r.problem("anchors", "needs 'bind' and 'bind_name_field' (anchors pick from the name field's skeletons)")
        ok = False
    return tuple(anchors) if ok else ()


def _bind(r: Reader, kind: str | None, layout: str | None, sources: Sequence[str]) -> tuple[str, ...]:
    """The roles a split date field binds (sorted; see FieldSpec); problems recorded in ``r``."""
    roles = r.str_list("bind", (), allow_single=True)
    if not roles:
        return ()
    if kind != "date" or layout != "split":
        r.problem("bind", "applies to 'date' fields with layout 'split' only")
        return ()
    ok = True
    for i, role in enumerate(roles):
        if role.startswith("attribute."):
            if not _NAME_RE.match(role.removeprefix("attribute.")):
                r.problem(f"bind[{i}]", "attribute names must be lower-case letters, digits and '_'")
                ok = False
        elif role not in BINDABLE_ROLES:
            r.problem(f"bind[{i}]", f"must be one of {', '.join(BINDABLE_ROLES)} or 'attribute.<name>'")
            ok = False
        if role in sources:
            r.problem(f"bind[{i}]", "is a source of this field already")
            ok = False
    if len(set(roles)) != len(roles):
        r.problem("bind", "names a role twice")
        ok = False
    if not r.has("bind_name_field"):
        r.problem("bind", "needs 'bind_name_field': the name field whose skeletons, with the year, anchor the "
                          "bound roles (a bound role is only ever compared where the anchor agrees)")
        ok = False
    return tuple(sorted(roles)) if ok else ()


def _check_bind_name_fields(readers: list[Reader], fields: Mapping[str, FieldSpec | None], problems: list[str]) -> None:
    """``bind_name_field`` must name a 'name' field of the schema (checked once all are read)."""
    for r in readers:
        name = r.data.get("bind_name_field")
        if not isinstance(name, str) or not name:
            continue
        if name not in fields:
            problems.append(f"{r.at('bind_name_field')}: must name a field of this schema")
        elif fields[name] is not None and fields[name].kind != "name":
            problems.append(f"{r.at('bind_name_field')}: must name a 'name' field (the anchor is the year with the "
                            "set of that field's name skeletons)")


def _hardening(r: Reader | None, fields: Mapping[str, FieldSpec | None]) -> HardeningSpec:
    if r is None:
        return HardeningSpec()
    balance = r.bool("balance", False)
    diffusion = r.int("diffusion", 0, low=0, high=MAX_DIFFUSION)
    if diffusion == 1:
        r.problem("diffusion", f"must be 0 (off) or in [2, {MAX_DIFFUSION}] (1 only permutes the bits)")
    smallest = min((f.slice_bits for f in fields.values() if f is not None), default=None)
    if diffusion and smallest is not None and diffusion > smallest // 4:
        r.problem("diffusion", f"must be at most a quarter of the smallest filter ({smallest} bits), got {diffusion}")
    xor_fold = r.bool("xor_fold", False)
    permute = r.bool("permute", False)
    blip = r.float("blip_probability", 0.0, low=0.0, high=0.25)
    salt = r.str("salt_field", None)
    if salt is not None:
        if salt not in fields:
            r.problem("salt_field", "must name a field of this schema")
        elif fields[salt] is not None and fields[salt].kind not in ("code", "date"):
            r.problem("salt_field", "must name a 'code' or 'date' field (dates salt with the year)")
    r.finish()
    return HardeningSpec(balance=bool(balance), diffusion=diffusion or 0, xor_fold=bool(xor_fold),
                         permute=bool(permute), blip_probability=blip or 0.0, salt_field=salt)


def _record_filter(r: Reader | None, fields: Mapping[str, FieldSpec | None]) -> RecordFilterSpec | None:
    if r is None:
        return None
    num_bits = r.int("num_bits", 1024, low=_MIN_BITS, high=_MAX_BITS)
    if num_bits is not None and num_bits % 16:
        r.problem("num_bits", "must be a multiple of 16")
    per = r.table("bits_per_token")
    pairs: list[tuple[str, int]] = []
    if per is not None:
        for fname, bits in per.data.items():
            per.raw(fname)
            if fname not in fields:
                per.problem(fname, "must name a field of this schema")
            elif isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= _MAX_BITS_PER_TOKEN:
                per.problem(fname, f"bits per token must be an integer in [1, {_MAX_BITS_PER_TOKEN}]")
            else:
                pairs.append((fname, bits))
    r.finish()
    return RecordFilterSpec(num_bits=num_bits or 1024, bits_per_token=tuple(sorted(pairs)))


def _blocking(r: Reader, fields: Mapping[str, FieldSpec | None]) -> BlockingKeySpec | None:
    n_problems = len(r.problems)
    name = r.str("name")
    if name is not None and not _NAME_RE.match(name):
        r.problem("name", "must be lower-case letters, digits and '_', starting with a letter")
    components = r.str_list("components") or ()
    name_components = 0
    for i, comp in enumerate(components):
        fname, _, derivation = comp.partition(".")
        if fname not in fields:
            r.problem(f"components[{i}]", "must be '<field>.<derivation>' with a field of this schema")
            continue
        spec = fields[fname]
        if spec is None:  # the field itself is invalid and reported
            continue
        kind = spec.kind
        if derivation not in BLOCKING_DERIVATIONS[kind]:
            r.problem(f"components[{i}]", f"derivation of a '{kind}' field must be one of "
                      f"{', '.join(BLOCKING_DERIVATIONS[kind])}")
        name_components += kind == "name"
    if not components:
        r.problem("components", "at least one component is required")
    if name_components > 1:
        r.problem("components", "at most one name component per key (each name part gives its own key)")
    r.finish()
    if len(r.problems) != n_problems:
        return None
    return BlockingKeySpec(name=name, components=components)


def _input(r: Reader | None) -> InputSpec:
    if r is None:
        return InputSpec()
    fmt = r.str("format", "auto", choices=_INPUT_FORMATS)
    delimiter = r.raw("delimiter", None)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        r.problem("delimiter", "must be a single character (or left out to sniff it)")
        delimiter = None
    encoding = r.str("encoding", "utf-8")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            r.problem("encoding", "is not a text encoding Python knows (e.g. 'utf-8', 'cp1252', 'latin-1')")
    sheet = r.str("sheet", None)
    r.finish()
    return InputSpec(format=fmt or "auto", delimiter=delimiter, encoding=encoding or "utf-8", sheet=sheet)


def _columns(r: Reader | None, attrs: Reader | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if r is None:
        return ()
    out: list[tuple[str, tuple[str, ...]]] = []
    roles = [role.value for role in Role]
    for role in roles:
        cols = r.str_list(role, None, allow_single=True)
        if cols:
            if role in (Role.ID, Role.BIRTH_DATE, Role.SEX, Role.NATIONALITY) and len(cols) > 1:
                r.problem(role, "takes exactly one column")
            out.append((role, cols))
    if not r.has(Role.ID):
        r.problem(Role.ID, "is required: the column holding the agency's own record id")
    r.finish()
    if attrs is not None:
        for attr in list(attrs.data):
            if not _NAME_RE.match(attr):
                attrs.problem(attr, "attribute names must be lower-case letters, digits and '_'")
            col = attrs.str(attr)
            if col:
                out.append((f"attribute.{attr}", (col,)))
        attrs.finish()
    return tuple(out)


def _date_spec(r: Reader | None) -> DateSpec:
    if r is None:
        return DateSpec()
    formats = r.str_list("formats", ("%d.%m.%Y",), allow_single=True)
    for i, fmt in enumerate(formats or ()):
        directives = re.findall(r"%.", fmt)
        if [d for d in directives if d not in ("%d", "%m", "%Y", "%y", "%%")]:
            r.problem(f"formats[{i}]", "may use only the directives %d, %m, %Y, %y and %%")
        elif sorted(d for d in directives if d != "%%") not in (["%Y", "%d", "%m"], ["%d", "%m", "%y"]):
            r.problem(f"formats[{i}]", "must contain %d, %m and one of %Y or %y, each once")
    calendar = r.str("calendar", "gregorian", choices=_CALENDARS)
    unknown = r.str_list("unknown_day_month", ("01-01",))
    for i, dm in enumerate(unknown or ()):
        if not _DAY_MONTH_RE.match(dm):
            r.problem(f"unknown_day_month[{i}]", "must be 'MM-DD', e.g. '01-01'")
    pivot = r.int("two_digit_year_pivot", 30, low=0, high=99)
    invalid = r.str("invalid", "quarantine", choices=("quarantine", "missing"))
    r.finish()
    return DateSpec(formats=formats or ("%d.%m.%Y",), calendar=calendar or "gregorian",
                    unknown_day_month=unknown or (), two_digit_year_pivot=30 if pivot is None else pivot,
                    invalid=invalid or "quarantine")


def _consent(r: Reader | None) -> ConsentSpec | None:
    if r is None:
        return None
    register = r.str("register", None)
    delimiter = r.raw("delimiter", None)
    if delimiter is not None and (not isinstance(delimiter, str) or delimiter not in (",", ";", "\t")):
        r.problem("delimiter", "must be ',', ';' or '\\t' (or left out to tell it from the header)")
        delimiter = None
    r.finish()
    return ConsentSpec(register=register, delimiter=delimiter)


def _payload(r: Reader | None) -> PayloadSpec | None:
    if r is None:
        return None
    keyring = r.str("keyring", None)
    captured = r.str("captured", None)
    formats = r.str_list("captured_formats", ("%d.%m.%Y",), allow_single=True)
    for i, fmt in enumerate(formats or ()):
        directives = sorted(d for d in re.findall(r"%.", fmt) if d != "%%")
        if directives not in (["%Y", "%d", "%m"], ["%d", "%m", "%y"]):
            r.problem(f"captured_formats[{i}]", "must contain %d, %m and one of %Y or %y, each once (and no "
                                               "other directive)")
    fields_reader = r.table("fields")
    fields: list[PayloadField] = []
    if fields_reader is not None:
        for name in list(fields_reader.data):
            if not _NAME_RE.match(name):
                fields_reader.problem(name, "payload field names must be lower-case letters, digits and '_', "
                                            "starting with a letter (at most 40)")
            f = fields_reader.table(name)
            if f is None:
                continue
            column = f.str("column")
            data_class = f.str("class")
            if data_class is not None and not _NAME_RE.match(data_class):
                f.problem("class", "must be an identifier such as 'identity', 'language' or 'residence'")
            normalise = f.str("normalise", "none", choices=PAYLOAD_NORMALISERS)
            f.finish()
            if column and data_class:
                fields.append(PayloadField(name=name, column=column, data_class=data_class,
                                           normalise=normalise or "none"))
        fields_reader.finish()
        if not fields_reader.data:
            fields_reader.problem("", "lists no field; name at least one (or leave [payload] out)")
    r.finish()
    return PayloadSpec(fields=tuple(fields), captured=captured, captured_formats=formats or ("%d.%m.%Y",),
                       keyring=keyring)
