"""The output policy (issue #6): no command writes over its inputs, a key, or a file it did not write.

Each command is run through the CLI with its outputs pointed at an input, a key, a non-empty
foreign folder, a previous output of the same kind (replaced) and the current directory; a
hypothesis property runs the path options of encode, link, deliver and view in every
combination and checks that no file the command did not write is deleted or modified.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage import io
from linkage.demo import example_configs_dir, run_demo
from linkage.errors import OutputError
from linkage.io.outputs import OutputKind, Target, check_target, check_targets, is_previous_output
from linkage_cli.main import cli

CONFIG = example_configs_dir() / "jobcentre.toml"
FOREIGN = "Ein Dokument, das niemand verlieren darf.\n"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("outputs") / "demo"
    run_demo(out, persons=60, seed=4)
    return out


@pytest.fixture
def sandbox(demo_dir, tmp_path) -> Path:
    """A copy of the demo folder plus foreign files (a document, a folder with a document)."""
    root = tmp_path / "box"
    shutil.copytree(demo_dir, root, symlinks=True)
    (root / "notes.txt").write_text(FOREIGN, encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "brief.txt").write_text(FOREIGN, encoding="utf-8")
    (root / "empty").mkdir()
    return root


def run(root: Path, *args: str) -> Result:
    """The CLI with ``root`` as the working directory (so that '.' is a real choice); KCV in the
    arguments becomes the key check value of the demo's project secret."""
    if KCV in args:
        secret = next(p / "keys" / "project.key" for p in (root, *root.parents)
                      if (p / "keys" / "project.key").is_file())
        args = tuple(io.read_secret(secret).key_check_value if a == KCV else a for a in args)
    with contextlib.chdir(root):
        return CliRunner().invoke(cli, [str(a) for a in args])


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def encode_args(*extra: str) -> list[str]:
    return ["encode", "--config", str(CONFIG), "--secret", "keys/project.key", "--consent",
            "exports/consent/jobcentre.csv", "--keyring", "keys/keyring.json", "exports/jobcentre.csv", *extra]


ENCODED = ["encoded/jobcentre.parquet", "encoded/course_provider.parquet"]
VIEW_KEY = "keys/recipients/jobcentre.key"
UNIT_KEY, UNIT_PUB = "keys/linkage-unit.key", "keys/linkage-unit.pub"
KCV = "<key check value>"  # replaced by run()


def link(up: str = "") -> list[str]:
    """``linkage link`` of ENCODED signed with the demo's linkage unit key (``up``: '../' to the sandbox)."""
    return ["link", *(up + p for p in ENCODED), "--signing-key", up + UNIT_KEY]


def refused(result: Result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: "), result.stderr
    assert "internal error" not in result.output
    for word in words:
        assert word in result.stderr, result.stderr


# ------------------------------------------------------------------------------------------ encode


@pytest.mark.parametrize("option", ["-o", "--quarantine", "--ref-map"])
@pytest.mark.parametrize("victim", ["exports/jobcentre.csv", str(CONFIG), "keys/project.key",
                                    "exports/consent/jobcentre.csv", "keys/keyring.json"])
def test_encode_never_writes_over_an_input_or_a_key(sandbox, option, victim):
    before = snapshot(sandbox)
    config_before = CONFIG.read_bytes()
    extra = () if option == "-o" else ("-o", "out.parquet")
    refused(run(sandbox, *encode_args(option, victim, *extra)), "choose another path")
    assert snapshot(sandbox) == before and CONFIG.read_bytes() == config_before


def test_encode_refuses_two_outputs_on_one_path(sandbox):
    before = snapshot(sandbox)
    refused(run(sandbox, *encode_args("-o", "x.parquet", "--quarantine", "q.csv", "--ref-map", "q.csv")),
            "two outputs")
    refused(run(sandbox, *encode_args("-o", "same.csv", "--quarantine", "same.csv")), "two outputs")
    assert snapshot(sandbox) == before


def test_encode_refuses_foreign_files_and_odd_targets(sandbox):
    before = snapshot(sandbox)
    refused(run(sandbox, *encode_args("-o", "notes.txt")), "not a encoded export written by linkage", "--force")
    refused(run(sandbox, *encode_args("-o", "encoded/jobcentre.parquet", "--ref-map", "notes.txt")),
            "reference map", "--force")
    refused(run(sandbox, *encode_args("-o", "packages/jobcentre.parquet")), "not a encoded export")
    refused(run(sandbox, *encode_args("-o", ".")), "is a directory")
    refused(run(sandbox, *encode_args("-o", "docs")), "is a directory")
    refused(run(sandbox, *encode_args("-o", "notes.txt/x.parquet")), "is a file, not a directory")
    refused(run(sandbox, *encode_args("-o", "/dev/null")), "not a regular file")
    refused(run(sandbox, *encode_args("-o", "/dev/null", "--force")), "not a regular file")
    assert snapshot(sandbox) == before


def test_encode_replaces_its_previous_outputs_and_force_replaces_a_foreign_file(sandbox):
    before = snapshot(sandbox)
    result = run(sandbox, *encode_args("-o", "encoded/jobcentre.parquet"))
    assert result.exit_code == 0, result.output
    after = snapshot(sandbox)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed <= {"encoded/jobcentre.parquet", "exports/jobcentre.quarantine.csv",
                       "exports/jobcentre.refmap.csv", "exports/jobcentre.warnings.csv"}
    assert set(after) == set(before)
    result = run(sandbox, *encode_args("-o", "notes.txt", "--force"))
    assert result.exit_code == 0, result.output
    assert io.read_encoded(sandbox / "notes.txt").record_count > 0


# -------------------------------------------------------------------------------------------- link


def test_link_refuses_a_folder_holding_its_inputs_or_foreign_files(sandbox):
    before = snapshot(sandbox)
    refused(run(sandbox, *link(), "-o", "encoded"), "holds this command's inputs", "--force")
    refused(run(sandbox, *link(), "-o", "docs"), "not a link result", "--force")
    refused(run(sandbox, *link(), "-o", "."), "--force")
    refused(run(sandbox, *link(), "-o", "exports"), "not a link result")
    refused(run(sandbox, *link(), "-o", "notes.txt"), "is a file, not a directory")
    refused(run(sandbox, *link(), "-o", "keys"), "holds this command's inputs or keys")  # the signing key
    assert snapshot(sandbox) == before


def test_link_replaces_a_previous_result_and_fills_an_empty_folder(sandbox):
    (sandbox / "result" / "manifest.json").touch()  # still the only files of a result
    result = run(sandbox, *link(), "-o", "result")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (sandbox / "result").iterdir()) == sorted(io.RESULT_FILES)
    assert io.read_manifest(sandbox / "result")["counts"]["records"] > 0
    result = run(sandbox, *link(), "-o", "empty")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (sandbox / "empty").iterdir()) == sorted(io.RESULT_FILES)


def test_link_into_a_result_with_a_foreign_file_is_refused_and_force_keeps_that_file(sandbox):
    (sandbox / "result" / "my-notes.txt").write_text(FOREIGN, encoding="utf-8")
    refused(run(sandbox, *link(), "-o", "result"), "not a link result")
    result = run(sandbox, *link(), "-o", "docs", "--force")
    assert result.exit_code == 0, result.output
    assert (sandbox / "docs" / "brief.txt").read_text(encoding="utf-8") == FOREIGN
    assert io.read_manifest(sandbox / "docs")["counts"]["records"] > 0


def test_link_force_still_never_writes_over_an_input(sandbox):
    shutil.copy(sandbox / ENCODED[0], sandbox / "docs" / "pairs.parquet")
    before = snapshot(sandbox)
    refused(run(sandbox, "link", "docs/pairs.parquet", "-o", "docs", "--force", "--signing-key", UNIT_KEY),
            "one of this command's inputs")
    assert snapshot(sandbox) == before


def test_link_into_the_working_directory(sandbox):
    result = run(sandbox / "result", *link("../"), "-o", ".")
    assert result.exit_code == 0, result.output
    assert io.read_manifest(sandbox / "result")["counts"]["records"] > 0
    (sandbox / "empty" / "sub").mkdir()
    result = run(sandbox / "empty" / "sub", *link("../../"), "-o", ".")
    assert result.exit_code == 0, result.output
    assert (sandbox / "empty" / "sub" / "manifest.json").is_file()


# ----------------------------------------------------------------------------------------- deliver


def test_deliver_refuses_inputs_foreign_files_and_folders(sandbox):
    before = snapshot(sandbox)
    base = ["deliver", "result", "--recipient", "jobcentre", "--signing-key", UNIT_KEY]
    refused(run(sandbox, *base, "-o", "result/entities.parquet"), "one of this command's inputs")
    refused(run(sandbox, *base, "-o", "result/manifest.json", "--force"), "one of this command's inputs")
    refused(run(sandbox, *base, "-o", "notes.txt"), "not a delivery package", "--force")
    refused(run(sandbox, *base, "-o", "encoded/jobcentre.parquet"), "not a delivery package")
    refused(run(sandbox, *base, "-o", "."), "is a directory")
    refused(run(sandbox, *base, "-o", "result"), "is a directory")
    assert snapshot(sandbox) == before
    result = run(sandbox, *base, "-o", "packages/jobcentre.parquet")  # a previous package: replaced
    assert result.exit_code == 0, result.output
    result = run(sandbox, *base, "-o", "notes.txt", "--force")
    assert result.exit_code == 0, result.output
    assert io.read_package(sandbox / "notes.txt").metadata["recipient"] == "jobcentre"


# -------------------------------------------------------------------------------------------- view


def view_args(*extra: str) -> list[str]:
    return ["view", "packages/jobcentre.parquet", "--private-key", VIEW_KEY, "--linkage-unit-key", UNIT_PUB,
            "--expect-key-check", KCV, *extra]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".parquet"])
def test_view_replaces_its_previous_view_of_every_format(sandbox, suffix):
    for _ in range(2):
        result = run(sandbox, *view_args("-o", f"views/again{suffix}"))
        assert result.exit_code == 0, result.output
    entries = (sandbox / "views" / "view-audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(entries) > 2


def test_view_refuses_inputs_keys_and_foreign_files(sandbox):
    before = snapshot(sandbox)
    refused(run(sandbox, *view_args("-o", "packages/jobcentre.parquet")), "is one of this command's inputs")
    refused(run(sandbox, *view_args("-o", "x.xlsx", "--audit-log", VIEW_KEY)), "is a key file")
    refused(run(sandbox, *view_args("-o", "x.xlsx", "--audit-log", "packages/jobcentre.parquet", "--force")),
            "inputs")
    refused(run(sandbox, *view_args("-o", "x.csv", "--ref-map", "exports/jobcentre.refmap.csv", "--audit-log",
                                   "exports/jobcentre.refmap.csv")), "inputs")
    refused(run(sandbox, *view_args("-o", "notes.csv", "--audit-log", "notes.csv")), "two outputs")
    refused(run(sandbox, *view_args("-o", "x.xlsx", "--audit-log", "notes.txt")), "not a view audit log")
    (sandbox / "docs" / "x.duplicates.csv").write_text(FOREIGN, encoding="utf-8")
    before = snapshot(sandbox)
    refused(run(sandbox, *view_args("-o", "docs/x.csv")), "x.duplicates.csv", "--force")
    refused(run(sandbox, *view_args("-o", "exports/truth.csv")), "not a view")
    refused(run(sandbox, *view_args("-o", ".")), "is a directory")
    assert snapshot(sandbox) == before


# -------------------------------------------------------------------------------- synth, demo, keys


def test_synth_and_demo_refuse_foreign_folders_and_rerun_into_their_own(sandbox):
    before = snapshot(sandbox)
    refused(run(sandbox, "synth", "--persons", "20", "--out", "docs"), "not a synthetic export folder", "--force")
    refused(run(sandbox, "synth", "--persons", "20", "--out", "."), "--force")
    refused(run(sandbox, "synth", "--persons", "20", "--out", "notes.txt"), "is a file")
    refused(run(sandbox, "demo", "--persons", "20", "--out", "docs"), "not a demo folder")
    refused(run(sandbox, "demo", "--persons", "20", "--out", "exports"), "not a demo folder")
    assert snapshot(sandbox) == before
    result = run(sandbox, "synth", "--persons", "20", "--out", "exports")  # a previous synth folder
    assert result.exit_code == 0, result.output
    result = run(sandbox, "synth", "--persons", "20", "--out", "docs", "--force")
    assert result.exit_code == 0, result.output
    assert (sandbox / "docs" / "brief.txt").read_text(encoding="utf-8") == FOREIGN
    assert (sandbox / "docs" / "truth.csv").is_file()


def test_demo_reruns_into_its_own_folder_and_the_working_directory(sandbox):
    keys = {p: (sandbox / p).read_bytes() for p in ("keys/project.key", "keys/keyring.json", UNIT_KEY, UNIT_PUB)}
    result = run(sandbox, "demo", "--persons", "20", "--out", ".")
    assert result.exit_code == 0, result.output
    assert {p: (sandbox / p).read_bytes() for p in keys} == keys  # the demo reuses its keys
    assert (sandbox / "notes.txt").read_text(encoding="utf-8") == FOREIGN
    result = run(sandbox, "demo", "--persons", "20", "--out", "empty")
    assert result.exit_code == 0, result.output


def test_keys_never_overwrite_and_the_keyring_is_no_key(sandbox):
    before = snapshot(sandbox)
    result = run(sandbox, "keys", "init", "keys/project.key")
    assert result.exit_code == 5 and "refusing to overwrite" in result.stderr
    result = run(sandbox, "keys", "recipient", "newoffice", "--out", "keys", "--keyring", "keys/newoffice.key")
    refused(result, "key file")
    result = run(sandbox, "keys", "recipient", "newoffice", "--out", "keys", "--keyring", "notes.txt")
    refused(result, "not a keyring")
    result = run(sandbox, "keys", "linkage-unit", "-o", UNIT_KEY)
    assert result.exit_code == 5 and "refusing to overwrite" in result.stderr
    result = run(sandbox, "keys", "linkage-unit", "-o", "keys/new.key", "--public-key", "notes.txt")
    assert result.exit_code == 5 and "notes.txt already exists" in result.stderr
    refused(run(sandbox, "keys", "linkage-unit", "-o", "keys/new.pub"), "would be the private key file")
    assert snapshot(sandbox) == before


# ---------------------------------------------------------------------------------- policy (unit)


def test_the_same_file_by_link_or_relative_path_is_recognised(sandbox):
    os.symlink(sandbox / "notes.txt", sandbox / "alias.txt")
    os.link(sandbox / "notes.txt", sandbox / "hard.txt")
    for alias in ("alias.txt", "hard.txt", "docs/../notes.txt"):
        with contextlib.chdir(sandbox), pytest.raises(OutputError, match="one of this command's inputs"):
            check_targets([Target(Path(alias), OutputKind.TABLE)], inputs=[sandbox / "notes.txt"], force=True)


@pytest.mark.parametrize(("path", "kind"), [
    ("encoded/jobcentre.parquet", OutputKind.ENCODED_EXPORT),
    ("packages/jobcentre.parquet", OutputKind.PACKAGE),
    ("views/jobcentre.xlsx", OutputKind.VIEW),
    ("views/view-audit.jsonl", OutputKind.AUDIT_LOG),
    ("keys/keyring.json", OutputKind.KEYRING),
    ("result", OutputKind.LINK_RESULT),
    ("exports", OutputKind.SYNTH),
    (".", OutputKind.DEMO),
])
def test_each_kind_recognises_its_own_outputs_and_nothing_else(sandbox, path, kind):
    files = io.RESULT_FILES if kind is OutputKind.LINK_RESULT else ()
    assert is_previous_output(Target(sandbox / path, kind, files=files))
    for other in ("notes.txt", "docs", "exports/jobcentre.csv", "keys/project.key", "encoded/jobcentre.parquet",
                  "packages/jobcentre.parquet", "result", "views/jobcentre.xlsx", "exports"):
        if other != path:
            assert not is_previous_output(Target(sandbox / other, kind, files=files)), other


def test_a_table_is_recognised_by_its_header(sandbox):
    refmap = Target(sandbox / "exports/jobcentre.refmap.csv", OutputKind.TABLE, columns=("local_id", "record_ref"))
    assert is_previous_output(refmap)
    assert not is_previous_output(Target(refmap.path, OutputKind.TABLE, columns=("row_number", "field", "reason")))
    assert not is_previous_output(Target(sandbox / "exports/jobcentre.csv", OutputKind.TABLE, columns=("a",)))
    frame = pd.DataFrame({"a": ["1"]})
    with pytest.raises(OutputError, match="not a table"):
        io.write_csv(frame, sandbox / "exports/jobcentre.refmap.csv")
    io.write_csv(frame, sandbox / "new.csv")
    io.write_csv(frame, sandbox / "new.csv")  # same header: its own previous output


def test_an_unwritable_folder_is_a_clear_error_not_an_internal_one(sandbox):
    target = Path("/proc/linkage-test/x.csv")  # no one may create a folder there, root included
    with pytest.raises(OutputError, match="cannot create the folder"):
        io.write_csv(pd.DataFrame({"a": ["1"]}), target)
    refused(run(sandbox, *encode_args("-o", str(target))), "cannot create the folder")


def test_library_writers_refuse_foreign_files_on_their_own(sandbox):
    export = io.read_encoded(sandbox / "encoded/jobcentre.parquet")
    with pytest.raises(OutputError, match="--force"):
        io.write_encoded(export, sandbox / "notes.txt")
    with pytest.raises(OutputError):
        io.write_package(io.read_package(sandbox / "packages/jobcentre.parquet"), sandbox / "encoded/jobcentre.parquet")
    assert (sandbox / "notes.txt").read_text(encoding="utf-8") == FOREIGN
    io.write_encoded(export, sandbox / "notes.txt", force=True)
    with pytest.raises(OutputError, match="holds files that are not a link result"):
        check_target(Target(sandbox / "docs", OutputKind.LINK_RESULT, files=io.RESULT_FILES))


# ------------------------------------------------------------------------------------ the property

#: What each sandbox path is, by construction (the property's oracle: never the code under test).
KINDS: dict[str, str] = {
    "encoded/jobcentre.parquet": "encoded", "encoded/course_provider.parquet": "encoded",
    "packages/jobcentre.parquet": "package", "result": "result", "views/jobcentre.xlsx": "view",
    "views/view-audit.jsonl": "audit", "exports/jobcentre.quarantine.csv": "quarantine",
    "exports/jobcentre.warnings.csv": "quarantine", "exports/jobcentre.refmap.csv": "refmap",
    # the demo's other agencies' reference maps: the map of encoded/<agency>.parquet, replaced with it
    **{f"exports/{a}.refmap.csv": "refmap" for a in ("course_provider", "employment_agency", "foreigners_authority",
                                                    "coordination_office")},
}
POOL = ["exports/jobcentre.csv", "exports/consent/jobcentre.csv", "keys/project.key", "keys/keyring.json",
        VIEW_KEY, UNIT_KEY, UNIT_PUB, "notes.txt", "docs", "docs/brief.txt", "empty", ".", "new/out.parquet", "new.csv", "new.xlsx",
        "result/entities.parquet", *KINDS]

COMMANDS = {
    # name: (fixed arguments, {option: kind of output or "input"}, derived outputs (path, kind), inputs and keys)
    "encode": (encode_args(), {"-o": "encoded", "--quarantine": "quarantine", "--ref-map": "refmap"},
               [("exports/jobcentre.warnings.csv", "quarantine")],
               {"exports/jobcentre.csv", "exports/consent/jobcentre.csv", "keys/keyring.json", "keys/project.key"}),
    "link": (link(), {"-o": "result"}, [], {*ENCODED, UNIT_KEY}),
    "deliver": (["deliver", "result", "--recipient", "jobcentre", "--signing-key", UNIT_KEY], {"-o": "package"}, [],
                {f"result/{f}" for f in io.RESULT_FILES} | {UNIT_KEY}),
    "view": (view_args(), {"-o": "view", "--audit-log": "audit", "--ref-map": "input"}, [],
             {"packages/jobcentre.parquet", VIEW_KEY, UNIT_PUB}),
}
REQUIRED = {"-o"}


def _may_change(path: str, outputs: list[tuple[str, str]], force: bool) -> bool:
    for out, kind in outputs:
        if out == ".":
            out = ""
        inside = out == "" or path == out or path.startswith(out + "/")
        if not inside:
            continue
        if kind == "result":
            if KINDS.get(out) == "result" or force:
                return True
        elif path == out and (KINDS.get(out) == kind or force):
            return True
        elif kind == "view" and path == out.rsplit(".", 1)[0] + ".duplicates." + out.rsplit(".", 1)[-1]:
            return True
    return False


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_command_modifies_or_deletes_a_file_it_did_not_write(demo_dir, tmp_path_factory, data):
    name = data.draw(st.sampled_from(sorted(COMMANDS)), label="command")
    fixed, options, derived, inputs = COMMANDS[name]
    chosen = {opt: data.draw(st.sampled_from(POOL), label=opt) for opt in options
              if opt in REQUIRED or data.draw(st.booleans(), label=f"use {opt}")}
    force = data.draw(st.booleans(), label="force")
    root = tmp_path_factory.mktemp("prop") / "box"
    shutil.copytree(demo_dir, root, symlinks=True)
    (root / "notes.txt").write_text(FOREIGN, encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "brief.txt").write_text(FOREIGN, encoding="utf-8")
    (root / "empty").mkdir()
    if "--ref-map" in chosen and options["--ref-map"] == "input":
        inputs = inputs | {chosen["--ref-map"]}
    before = snapshot(root)
    args = [a for opt, value in chosen.items() for a in (opt, value)] + (["--force"] if force else [])
    result = run(root, *fixed, *args)
    assert result.exit_code in (0, 2, 3, 4, 6), result.output
    assert "internal error" not in result.output
    outputs = [(v, options[o]) for o, v in chosen.items() if options[o] != "input"] + derived
    if name == "encode" and "--ref-map" not in chosen:  # beside the input, named after the export
        outputs.append((f"exports/{Path(chosen['-o']).stem or 'export'}.refmap.csv", "refmap"))
    if name == "view":
        view_out = chosen["-o"]
        outputs.append((chosen.get("--audit-log", str(Path(view_out).parent / "view-audit.jsonl")).removeprefix("./"),
                        "audit"))
    after = snapshot(root)
    for path, digest in before.items():
        if path in inputs or not _may_change(path, outputs, force):
            assert after.get(path) == digest, f"{name} {args} changed or deleted {path}"
