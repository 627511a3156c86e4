"""Everything that touches files: inputs, configs, key files, encoded exports, side tables.

No other module of the library opens a file. Every writer is atomic (a temporary file in the
target directory, fsync, rename), so a crash never leaves a half-written output behind, and every
writer follows one output policy (:mod:`linkage.io.outputs`): it never replaces an input, a key,
or a file or directory that is not a previous output of its kind, unless told to (``force``).
"""

from .atomic import atomic_path, write_csv
from .configs import load_export_config, load_schema
from .encoded_files import read_encoded, write_encoded
from .keyfiles import read_secret, write_secret
from .outputs import OutputKind, Target, check_target, check_targets
from .packages import read_package, write_package
from .recipients import (
    add_to_keyring,
    create_recipient,
    read_keyring,
    read_recipient_key,
    write_keyring,
    write_recipient_key,
)
from .results import (RESULT_FILES, LinkResultFiles, load_link_job, read_entities, read_envelopes, read_link_result,
                      read_manifest, read_string_csv, write_link_result)
from .unit_keys import (create_linkage_unit_key, public_key_path, read_linkage_unit_key,
                        read_linkage_unit_public_key)
from .synth_files import write_synth
from .tables import read_table

__all__ = [
    "atomic_path",
    "OutputKind",
    "Target",
    "check_target",
    "check_targets",
    "write_csv",
    "load_schema",
    "load_export_config",
    "read_encoded",
    "write_encoded",
    "read_secret",
    "read_package",
    "write_package",
    "write_secret",
    "write_recipient_key",
    "read_recipient_key",
    "read_keyring",
    "write_keyring",
    "add_to_keyring",
    "create_recipient",
    "read_table",
    "write_synth",
    "load_link_job",
    "write_link_result",
    "RESULT_FILES",
    "read_entities",
    "read_envelopes",
    "read_manifest",
    "read_string_csv",
    "read_link_result",
    "LinkResultFiles",
    "create_linkage_unit_key",
    "read_linkage_unit_key",
    "read_linkage_unit_public_key",
    "public_key_path",
]

from .consent_files import read_consent_register  # noqa: E402

__all__ += ["read_consent_register"]
