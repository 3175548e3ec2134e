"""The harness's one exception root. Anything the harness raises on purpose is a `HarnessError`.

A `HarnessError` means "this run cannot be set up" (unknown target, module not importable, framework not
installed, malformed expectations file): `cosine-spec check` prints its message and exits 2. Misbehaviour of
the implementation under test is never an exception of the harness: it is a failed case.
"""

from __future__ import annotations


class HarnessError(Exception):
    """A usage or setup error of the conformance harness (exit status 2)."""


class TargetError(HarnessError):
    """The target cannot be resolved or loaded: unknown name, import failure, missing attribute or framework."""


class GoldenDataError(HarnessError):
    """The golden data is missing or does not follow `spec/golden/FORMAT.md`."""


class ExpectationsError(HarnessError):
    """An expectations file (declared deviations) is missing or malformed."""
