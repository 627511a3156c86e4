"""Privacy attacks on encoded exports, from the linkage unit's view: the self-test and its benchmark.

The linkage unit receives encoded exports and must not learn plaintext from them. This package
runs the known attacks on Bloom-filter encodings against exports exactly as the linkage unit
sees them (columns found by type, so the attacks follow format changes) and says how much they
give away:

* :func:`audit_privacy` -- the self-test for ``linkage audit-privacy``: structure of every
  encoding column without any plaintext, and with the attacker's public sample
  (:func:`public_sample`) the share of items each attack expects to re-identify;
* :func:`run_attacks` -- the same attacks scored against the truth (``benchmarks/attacks.py``,
  tests): frequency alignment (:mod:`.frequency`), the structural birth-year attack on date
  filters (:mod:`.dates`), pattern mining (:mod:`.patterns`) and graph matching (:mod:`.graph`);
* :func:`add_dummies` -- owner-side dummy records, simulated on plaintext until the encoder
  offers them; :func:`synthetic_scenario` -- encoded synthetic exports with their truth and a
  public sample of other people (benchmarks, tests).

Nothing here prints, reads files or needs a key. Errors: ``ValueError`` for bad arguments; what
reading the exports raises (:class:`~linkage.errors.IntegrityError`) is the caller's.
"""

from ._plain import PlainColumn, PlainSide, concat_sides, plain_side_of_frame, public_sample
from ._view import EncodedColumn, EncodedView, lu_view
from .dummies import add_dummies
from .measure import ATTACKS, AttackFigure, AttackReport, run_attacks
from .scenario import Scenario, synthetic_scenario
from .selftest import PrivacyAudit, audit_privacy

__all__ = [
    "ATTACKS",
    "AttackFigure",
    "AttackReport",
    "EncodedColumn",
    "EncodedView",
    "PlainColumn",
    "PlainSide",
    "PrivacyAudit",
    "Scenario",
    "add_dummies",
    "audit_privacy",
    "concat_sides",
    "lu_view",
    "plain_side_of_frame",
    "public_sample",
    "run_attacks",
    "synthetic_scenario",
]
