"""``linkage`` command-line interface.

Each command parses its options, calls one library function and prints a short summary.
Library errors become messages on stderr and the exit code of their class:

====  =====================================================================
code  meaning
====  =====================================================================
0     success
1     internal error (a bug: rerun with ``--debug`` and report the traceback)
2     usage error (unknown option, missing argument) or a refused output path (an input, a key, a file or folder linkage did not write)
3     invalid configuration
4     unusable input data (missing columns, undecodable bytes, empty input)
5     key file problem (missing, exposed permissions, already exists)
6     integrity failure (wrong key, other schema, tampered or foreign file)
7     consent error
8     rows were quarantined and ``--fail-on-quarantine`` was given
====  =====================================================================
"""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

import linkage
from linkage import io, jobs, seal
from linkage.errors import LinkageError
from linkage.keys import generate_linkage_unit_key, generate_secret
from linkage.audit import audit_privacy

EXIT_QUARANTINE = 8

_signing_key_option = click.option(
    "--signing-key", "signing_key", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="The linkage unit's private key (from 'linkage keys linkage-unit') to sign with.")

_force_option = click.option(
    "--force", is_flag=True,
    help="Replace an existing output file that linkage did not write, or add to a non-empty folder (its other "
         "files are kept). Inputs and key files are never overwritten.")


def _handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into a message and their exit code; hide other tracebacks."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        try:
            return fn(*args, **kwargs)
        except LinkageError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:  # the reader went away (linkage inspect X | head): not an error of ours
            sys.stderr.close()
            ctx.exit(141)
        except Exception as exc:  # noqa: BLE001 - last line of defence: never leak a value
            if ctx.find_root().params.get("debug"):
                traceback.print_exc()
            click.echo(f"internal error ({type(exc).__name__}); rerun with 'linkage --debug ...' "
                       "for a traceback and report it", err=True)
            ctx.exit(1)

    return wrapper


class _Progress:
    """A click progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(linkage.__version__, prog_name="linkage")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def cli(debug: bool) -> None:
    """Privacy-preserving record linkage of agency exports with keyed Bloom-filter encodings."""


# ------------------------------------------------------------------------------------------- keys


@cli.group()
def keys() -> None:
    """Create and check the project secret shared among agencies, recipient key pairs and the linkage unit's key."""


@keys.command("init")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_handle_errors
def keys_init(path: Path) -> None:
    """Create a new 256-bit project secret at PATH (mode 0600; never overwrites).

    Share the file only among the agencies, over a secure channel; never give it to the
    linkage unit. The printed key check value identifies the secret without revealing it.
    """
    secret = generate_secret()
    io.write_secret(path, secret)
    click.echo(f"wrote project secret {path} (mode 0600)")
    click.echo(f"key check value: {secret.key_check_value}")


@keys.command("check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_handle_errors
def keys_check(path: Path) -> None:
    """Print the key check value of the secret at PATH (compare it across agencies)."""
    click.echo(f"key check value: {io.read_secret(path).key_check_value}")


@keys.command("recipient")
@click.argument("name")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the private key file NAME.key (created 0700 when missing).")
@click.option("--keyring", "keyring_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Keyring file to add the public key to (default: OUT/keyring.json; created when missing).")
@click.option("--replace", is_flag=True, help="Replace another public key the keyring already holds for NAME.")
@_handle_errors
def keys_recipient(name: str, out_dir: Path, keyring_path: Path | None, replace: bool) -> None:
    """Create an X25519 key pair for recipient NAME (an office that may open sealed payloads).

    Writes the private key to OUT/NAME.key (mode 0600; never overwrites; it stays with NAME) and
    adds the public key to the keyring the agencies seal with. The printed key id identifies the
    public key: NAME and the agencies compare it.
    """
    pair = seal.generate_recipient_key(name)
    key_path = out_dir / f"{name}.key"
    keyring_path = keyring_path or out_dir / "keyring.json"
    keyring = io.create_recipient(pair, key_path, keyring_path, replace=replace)
    click.echo(f"wrote private key of recipient '{name}' {key_path} (mode 0600; give it to {name} only)")
    click.echo(f"added '{name}' to keyring {keyring_path} ({len(keyring)} recipient(s))")
    click.echo(f"key id: {pair.key_id}")


@keys.command("linkage-unit")
@click.option("-o", "--out", "key_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Private key file to create (mode 0600; never overwrites).")
@click.option("--public-key", "public_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Public key file to create (default: OUT with the suffix .pub).")
@_handle_errors
def keys_linkage_unit(key_path: Path, public_path: Path | None) -> None:
    """Create the linkage unit's Ed25519 signing key (link results and delivery packages).

    The private key stays with the linkage unit ('link' and 'deliver --signing-key'); give the
    public key file to every recipient over a trusted channel ('view --linkage-unit-key'), who
    compares the printed key id with the one you tell them.
    """
    key = generate_linkage_unit_key()
    private, public = io.create_linkage_unit_key(key, key_path, public_path)
    click.echo(f"wrote linkage unit signing key {private} (mode 0600; keep it at the linkage unit)")
    click.echo(f"wrote public key {public} (give it to the recipients)")
    click.echo(f"key id: {key.key_id}")


# ----------------------------------------------------------------------------------------- encode


@cli.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Export config of this agency's format (TOML).")
@click.option("--secret", "secret_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Project secret file (from 'linkage keys init').")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Encoded export to write (Parquet).")
@click.option("--quarantine", type=click.Path(path_type=Path),
              help="Quarantine CSV (default: INPUT's name + .quarantine.csv).")
@click.option("--ref-map", type=click.Path(path_type=Path),
              help="Reference map CSV, local id -> record reference (default: beside INPUT, OUTPUT's name + .refmap.csv; references are per export).")
@click.option("--workers", type=click.IntRange(0, 64), default=1, show_default=True,
              help="Processes to encode with (0 = one per CPU core); the output is identical for any number.")
@click.option("--consent", "consent_path", type=click.Path(dir_okay=False, path_type=Path),
              help="The agency's consent register (CSV); overrides consent.register of the config.")
@click.option("--keyring", "keyring_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Recipients' public keys (from 'linkage keys recipient'); overrides payload.keyring.")
@click.option("--fail-on-quarantine", is_flag=True, help=f"Exit with {EXIT_QUARANTINE} if any row was quarantined.")
@_force_option
@_handle_errors
def encode(config_path: Path, secret_path: Path, input_path: Path, output: Path, quarantine: Path | None,
           ref_map: Path | None, workers: int, consent_path: Path | None, keyring_path: Path | None,
           fail_on_quarantine: bool, force: bool) -> None:
    """Encode an agency export INPUT (CSV, .xlsx or Parquet) for the linkage unit.

    Writes the signed encoded export to OUTPUT; rows that cannot be encoded go to the quarantine
    file (row number and reason, no values) and the reference map stays with the agency. With a
    consent register, records without a linkage basis are not encoded (quarantine reason
    consent.no_linkage_basis) and each record's payload is sealed for the recipients its grants
    allow.
    """
    secret = io.read_secret(secret_path)
    progress = _Progress("encoding")
    try:
        summary = jobs.encode_file(input_path, config_path, output, secret=secret, quarantine_path=quarantine,
                                   reference_map_path=ref_map, progress=progress,
                                   workers=workers or os.cpu_count() or 1, consent_path=consent_path,
                                   keyring_path=keyring_path, key_paths=[secret_path], force=force)
    finally:
        progress.close()
    click.echo(f"{summary.agency}: {summary.encoded} of {summary.input_rows} rows encoded -> {summary.output}")
    click.echo(f"key check value {summary.key_check_value}, schema {summary.schema_fingerprint[:19]}")
    click.echo(f"reference map (keep it here) -> {summary.reference_map}")
    if summary.envelopes_by_recipient:
        ids = summary.recipient_key_ids or {}
        per = ", ".join(f"{k} {v} (key id {ids.get(k, '?')})" for k, v in summary.envelopes_by_recipient.items())
        click.echo(f"sealed {summary.envelopes} payload envelope(s): {per}")
        click.echo("compare each key id with the one its recipient printed at 'linkage keys recipient'")
    if summary.warnings:
        click.echo(f"{sum(summary.warnings.values())} rows encoded with reduced evidence -> {summary.warnings_path}",
                   err=True)
        _echo_issues(summary.warnings, summary.first_warned_rows)
    if summary.quarantined:
        click.echo(f"{summary.quarantined} rows quarantined -> {summary.quarantine}", err=True)
        _echo_issues(summary.reasons, summary.first_rows)
        if fail_on_quarantine:
            sys.exit(EXIT_QUARANTINE)


def _echo_issues(counts: dict[str, int], first_rows: dict[str, tuple[int, ...]]) -> None:
    for reason, count in counts.items():
        rows = ", ".join(str(r) for r in first_rows[reason])
        more = ", ..." if count > len(first_rows[reason]) else ""
        click.echo(f"  {reason}: {count} (rows {rows}{more})", err=True)


# ---------------------------------------------------------------------------------------- inspect


@cli.command()
@click.argument("encoded", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--expect-key-check", help="Refuse the file unless it was made with this key check value.")
@_handle_errors
def inspect(encoded: Path, as_json: bool, expect_key_check: str | None) -> None:
    """Verify an encoded export and show its metadata, counts and fill rates (never values)."""
    info = jobs.inspect_export(io.read_encoded(encoded, expected_key_check=expect_key_check))
    if as_json:
        click.echo(json.dumps(info, indent=2, sort_keys=True))
        return
    click.echo(f"{encoded}: signature valid")
    for key in ("agency", "record_count", "created", "key_check_value", "schema_name", "schema_fingerprint",
                "format_version", "library_version"):
        click.echo(f"  {key:<20} {info[key]}")
    stats = info["stats"]
    click.echo(f"  {'quarantined rows':<20} {stats.get('quarantined_rows', 0)} of {stats.get('input_rows', '?')}")
    consent = stats.get("consent") or {}
    if consent.get("register"):
        per = ", ".join(f"{k} {v}" for k, v in consent.get("envelopes_by_recipient", {}).items()) or "none"
        click.echo(f"  {'consent':<20} {consent.get('no_linkage_basis', 0)} records without a linkage basis left out; "
                   f"{consent.get('records_with_scopes', 0)} with scopes; envelopes: {per}")
    hard = ", ".join(f"{k}={v}" for k, v in info["hardening"].items())
    click.echo(f"  {'hardening':<20} {hard}")
    click.echo("  fields:")
    for name, f in info["fields"].items():
        parts = f" mean parts {f['mean_parts']}" if "mean_parts" in f else ""
        click.echo(f"    {name:<16} {f['kind']:<5} present {f['present']:>8}  fill {f['fill_rate']:.3f}{parts}")
    if info["record_filter"]:
        click.echo(f"    {'clk':<16} record filter fill {info['record_filter']['fill_rate']:.3f}")
    click.echo("  blocking keys:")
    for name, b in info["blocking"].items():
        click.echo(f"    {name:<16} records {b['records_with_key']:>8}  distinct {b['distinct_keys']:>8}"
                   f"  largest block {b['largest_block']}")


# ------------------------------------------------------------------------------------------- link


@cli.command()
@click.argument("encoded", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Link job config (TOML); defaults for everything when left out.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Result directory: new, empty or a previous link result (replaced as a whole when the run "
                   "succeeds).")
@click.option("--expect-key-check", help="Refuse exports not made with this key check value.")
@_signing_key_option
@_force_option
@_handle_errors
def link(encoded: tuple[Path, ...], config_path: Path | None, output: Path, expect_key_check: str | None,
         signing_key: Path, force: bool) -> None:
    """Link and deduplicate ENCODED exports (one export: deduplication only).

    Verifies every export (signature, same project secret and schema), blocks, compares, scores
    with Fellegi-Sunter (EM), clusters records into persons and writes entities, pairs, the
    review list, the exports' signed metadata and a run manifest (digests of every file, signed
    with the linkage unit's key) to OUTPUT.
    """
    summary = jobs.link_files(encoded, output, signing_key_path=signing_key, job_config_path=config_path,
                              expected_key_check=expect_key_check, force=force)
    click.echo(f"linked {summary.records} records of {len(summary.agencies)} export(s) "
               f"({', '.join(summary.agencies)}) in {summary.seconds:.1f} s -> {summary.output}")
    pc = "n/a" if summary.pair_completeness is None else f"{summary.pair_completeness:.3f}"
    click.echo(f"  candidates {summary.candidate_pairs} (reduction ratio {summary.reduction_ratio:.6f}, "
               f"estimated pair completeness {pc})")
    click.echo(f"  thresholds match >= {summary.thresholds[0]:.3f}, review >= {summary.thresholds[1]:.3f} "
               f"(from the {summary.threshold_source})")
    click.echo(f"  {summary.matches} matches, {summary.undecided} undecided pairs; the {summary.reviews} most decisive "
               f"for review -> {summary.output / 'review.csv'}")
    click.echo(f"  {summary.entities} persons -> {summary.output / 'entities.parquet'}")


# ---------------------------------------------------------------------------------------- deliver


@cli.command()
@click.argument("result_dir", metavar="RESULT", type=click.Path(file_okay=False, path_type=Path))
@click.option("--recipient", required=True, help="Recipient name (as in the keyring and the consent registers).")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Delivery package to write (Parquet).")
@click.option("--own-agency", help="The recipient's own agency in the result (default: the agency named like it).")
@_signing_key_option
@_force_option
@_handle_errors
def deliver(result_dir: Path, recipient: str, output: Path, own_agency: str | None, signing_key: Path,
            force: bool) -> None:
    """Verify a link result and assemble RECIPIENT's signed delivery package (linkage unit).

    Refuses a result whose files differ from its signed manifest or whose envelopes differ from
    those the agencies signed. Per person: the sealed envelopes addressed to the recipient from
    every member record, plus the recipient's own record references. The linkage unit cannot
    open the envelopes.
    """
    s = jobs.deliver_file(result_dir, recipient, output, signing_key_path=signing_key, own_agency=own_agency,
                          force=force)
    per = ", ".join(f"{k} {v}" for k, v in s.envelopes_by_agency.items()) or "none"
    click.echo(f"package for '{s.recipient}' -> {s.output} (signed, linkage unit key id {s.linkage_unit_key_id})")
    click.echo(f"  {s.entities} persons, {s.envelopes} envelopes (by agency: {per}), "
               f"{s.own_records} own records of agency {s.own_agency or '(none)'}")
    if s.envelopes == 0 and s.own_records == 0:
        click.echo(f"warning: nothing in this result is addressed to '{s.recipient}'; check the name against the "
                   "keyring and the consent registers", err=True)


# ------------------------------------------------------------------------------------------- view


@cli.command()
@click.argument("package_path", metavar="PACKAGE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--private-key", "key_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The recipient's private key file (from 'linkage keys recipient').")
@click.option("--linkage-unit-key", "unit_key", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The linkage unit's public key file (.pub, from the linkage unit over a trusted channel).")
@click.option("--expect-key-check", "expect_key_check", required=True,
              help="The project's key check value (from the agencies): the exports must be signed under it.")
@click.option("--max-age", "max_age", type=click.IntRange(0), default=jobs.STALE_AFTER_DAYS, show_default=True,
              help="Warn when the package, or an export whose envelopes it holds, is older than this many days.")
@click.option("--purpose", help="Purpose to view for (default: the package's only purpose).")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="View to write: .xlsx (sheets persons, duplicates), .csv or .parquet (plus OUT.duplicates.*).")
@click.option("--ref-map", "ref_map", type=click.Path(dir_okay=False, path_type=Path),
              help="The recipient's own reference map (from its 'linkage encode') to show local record ids.")
@click.option("--at", "at", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Day the grants must be valid on (default: today).")
@click.option("--audit-log", "audit_log", type=click.Path(path_type=Path),
              help="Audit log to append to (default: view-audit.jsonl beside OUTPUT).")
@_force_option
@_handle_errors
def view(package_path: Path, key_path: Path, unit_key: Path, expect_key_check: str, max_age: int,
         purpose: str | None, output: Path, ref_map: Path | None, at: Any, audit_log: Path | None,
         force: bool) -> None:
    """Verify and open a delivery PACKAGE (recipient) and write the consent-scoped view: one row per person.

    The package must be signed by the linkage unit's key and hold exactly the envelopes the
    agencies signed under the project's key check value. Only envelopes of the purpose that are
    valid today are opened; each field shows the newest value with its agency and capture date,
    other values as conflicts. A second sheet lists the recipient's own duplicate records. Every
    view is logged (counts and references, no values).
    """
    s = jobs.view_file(package_path, key_path, output, linkage_unit_key_path=unit_key,
                       expected_key_check=expect_key_check, purpose=purpose, at=at.date() if at else None,
                       reference_map_path=ref_map, audit_log_path=audit_log, max_age_days=max_age, force=force)
    click.echo(f"view of '{s.recipient}' for purpose {s.purpose or '(none)'} on {s.at}: {s.persons} persons "
               f"from {s.envelopes_opened} envelopes -> {', '.join(str(p) for p in s.outputs)}")
    click.echo(f"  skipped: {s.skipped_expired} not valid on {s.at}, {s.skipped_other_purpose} of other purposes; "
               f"{s.duplicate_entities} own duplicates to merge")
    made = sorted(s.exports_created.values())
    click.echo(f"  authenticated: package made {s.package_created} (linkage unit key id {s.linkage_unit_key_id}); "
               f"exports encoded {made[0]} to {made[-1]} (key check value {s.key_check_value})")
    for warning in s.warnings:
        click.echo(f"warning: {warning}", err=True)
    if s.purpose is not None and s.purpose not in s.purposes_in_package:
        click.echo(f"note: the package holds no envelope for purpose '{s.purpose}' (it has: "
                   f"{', '.join(s.purposes_in_package) or 'none'})", err=True)
    click.echo(f"  logged -> {s.audit_log}")


# ------------------------------------------------------------------------------------ synth, demo


@cli.command()
@click.option("--persons", default=1000, show_default=True, type=click.IntRange(1, 10_000_000),
              help="Number of synthetic persons (each appears at one to five agencies).")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0), help="Random seed (same seed, same files).")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder to write: new, empty or a previous 'linkage synth' folder.")
@_force_option
@_handle_errors
def synth(persons: int, seed: int, out_dir: Path, force: bool) -> None:
    """Write synthetic exports of the five agency kinds and truth.csv to OUT."""
    from linkage import synth as synth_mod

    io.check_target(io.Target(out_dir, io.OutputKind.SYNTH), force=force)  # before generating anything
    data = synth_mod.generate(persons, seed=seed)
    paths = io.write_synth(data, out_dir, force=force)
    for name, path in paths.items():
        click.echo(f"{name}: {path}")


@cli.command()
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder to write: new, empty or a previous demo folder.")
@click.option("--persons", default=2000, show_default=True, type=click.IntRange(10, 2_000_000),
              help="Number of synthetic persons.")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0), help="Random seed of the generated data.")
@_force_option
@_handle_errors
def demo(out_dir: Path, persons: int, seed: int, force: bool) -> None:
    """Run the whole three-party flow on generated data and score it against the truth.

    Writes DIR/exports/ (agency files, truth.csv, consent registers, quarantine and reference
    maps), DIR/keys/ (project secret, recipient key pairs, keyring, the linkage unit's signing key),
    DIR/encoded/ (one signed, hardened encoded export per agency with its sealed payloads), DIR/result/ (the linkage unit's
    entities, pairs, review list and manifest), DIR/packages/ (one delivery package per recipient)
    and DIR/views/<recipient>.xlsx (each office's consent-scoped view, with the audit log).
    """
    from linkage import demo as demo_mod

    summary = demo_mod.run_demo(out_dir, persons=persons, seed=seed, force=force)
    click.echo(f"demo: {persons} persons, seed {seed}, key check value {summary.key_check_value}")
    for s in summary.encodes:
        click.echo(f"  {s.agency:<22} {s.encoded:>7} of {s.input_rows:>7} rows encoded  -> {s.output}")
    lk, q = summary.link, summary.quality
    pc = "n/a" if lk.pair_completeness is None else f"{lk.pair_completeness:.3f}"
    click.echo(f"linkage unit: {lk.records} records, {lk.candidate_pairs} candidate pairs (estimated pair "
               f"completeness {pc}), {lk.matches} matches, {lk.reviews} for review ({lk.undecided} undecided), {lk.entities} persons "
               f"in {lk.seconds:.1f} s")
    click.echo(f"  thresholds match >= {lk.thresholds[0]:.3f}, review >= {lk.thresholds[1]:.3f} (from the "
               f"{lk.threshold_source})")
    click.echo(f"against truth.csv: precision {q.precision:.4f}, recall {q.recall:.4f}, F1 {q.f1:.4f} "
               f"({q.true_pairs} true record pairs)")
    click.echo(f"exports: {summary.exports_dir}")
    click.echo(f"encoded: {summary.encoded_dir}")
    click.echo(f"result:  {lk.output}  (entities, pairs, review, manifest.json)")
    for v in summary.views:
        click.echo(f"view of {v.recipient:<22} {v.persons:>6} persons from {v.envelopes:>6} envelopes, "
                   f"{v.duplicate_entities:>4} own duplicates to merge -> {v.view}")


# --------------------------------------------------------------------------------- audit-privacy


@cli.command("audit-privacy")
@click.argument("encoded", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--public-sample", "public_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Plaintext CSV the attacker may hold (columns given_name, family_name, full_name, father_name, "
                   "original_name, birth_date as YYYY-MM-DD, sex, nationality, place; any subset): also estimate "
                   "how much each attack re-identifies.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_handle_errors
def audit_privacy_cmd(encoded: tuple[Path, ...], public_path: Path | None, as_json: bool) -> None:
    """Self-test ENCODED exports for what the linkage unit could learn from them (no key needed).

    Reports per encoding column how many distinct encodings there are, how large the largest
    equal-encoding classes are and flags (deterministic, few values, nested bit patterns); the
    groups that blocking keys tie together; envelope sizes against name lengths. With
    --public-sample it runs frequency alignment, the birth-year structure attack, pattern mining
    and graph matching and prints the share of items each expects to re-identify (estimates:
    benchmarks/attacks.py measures them against the truth).
    """
    public = io.read_string_csv(public_path) if public_path is not None else None
    report = audit_privacy([io.read_encoded(p) for p in encoded], public=public)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True))
        return
    click.echo(f"{report.records} records in {len(report.exports)} export(s) ({', '.join(report.exports)})")
    click.echo(f"  {'column':<16} {'kind':<12} {'items':>8} {'distinct':>8} {'largest':>8} {'entropy':>8}  flags")
    for c in report.columns:
        click.echo(f"  {c.column:<16} {c.kind:<12} {c.items:>8} {c.distinct:>8} {c.largest_class_share:>8.2%} "
                   f"{c.entropy_bits:>8.2f}  {', '.join(c.flags)}")
    for b in report.blocking:
        purity = "n/a" if b.date_group_purity is None else f"{b.date_group_purity:.1%}"
        click.echo(f"  {b.column}: {b.groups} groups of records sharing digests (largest {b.largest_group_share:.1%}"
                   f" of records); purity against date groups {purity}")
    if report.expectations:
        click.echo("expected re-identification (share of items, estimated without truth):")
        for e in report.expectations:
            click.echo(f"  {e.attack:<32} {e.column:<16} {e.expected_share:>7.2%}  {e.note}")
    click.echo("findings:" if report.findings else "findings: none")
    for finding in report.findings:
        click.echo(f"  - {finding}")


def main() -> None:  # pragma: no cover - console entry point
    cli()
