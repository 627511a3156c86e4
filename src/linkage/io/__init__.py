"""Everything that touches files: inputs, configs, key files, encoded exports, side tables.

No other module of the library opens a file. Every writer is atomic (a temporary file in the
target directory, fsync, rename), so a crash never leaves a half-written output behind.
"""

from .atomic import atomic_path, write_csv
from .configs import load_export_config, load_schema
from .encoded_files import read_encoded, write_encoded
from .keyfiles import read_secret, write_secret
from .results import RESULT_FILES, load_link_job, read_entities, read_string_csv, write_link_result
from .synth_files import write_synth
from .tables import read_table

__all__ = [
    "atomic_path",
    "write_csv",
    "load_schema",
    "load_export_config",
    "read_encoded",
    "write_encoded",
    "read_secret",
    "write_secret",
    "read_table",
    "write_synth",
    "load_link_job",
    "write_link_result",
    "RESULT_FILES",
    "read_entities",
    "read_string_csv",
]
