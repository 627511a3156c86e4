"""The ``linkage`` command: a thin click layer over :mod:`linkage` (parse, call, print)."""
