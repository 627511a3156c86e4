"""linkage: privacy-preserving record linkage and deduplication with keyed Bloom-filter encodings.

Three parties, one library: agencies normalise and encode their exports locally under a shared
secret (:func:`encode`), the linkage unit matches encodings only, and recipients see a
consent-scoped consolidated view. See the README for the security model.
"""

from .config import ExportConfig, Schema, parse_export_config, parse_schema
from .encode import EncodeResult, encode
from .encoded import EncodedExport, verify_export
from .errors import ConfigError, ConsentError, DataError, IntegrityError, KeyFileError, LinkageError
from .keys import ProjectSecret, generate_secret

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "ExportConfig",
    "Schema",
    "parse_export_config",
    "parse_schema",
    "EncodeResult",
    "encode",
    "EncodedExport",
    "verify_export",
    "ProjectSecret",
    "generate_secret",
    "LinkageError",
    "ConfigError",
    "DataError",
    "IntegrityError",
    "KeyFileError",
    "ConsentError",
]
