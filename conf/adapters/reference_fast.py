"""The `reference-fast` target: this project's correctly rounded implementation, `cosine_spec.impl.fast.loss`
(double-double arithmetic, blocked). Same API and argument checks as `reference`; its accuracy promise is
`conf/accuracy.toml`."""

from __future__ import annotations

from cosine_spec.conf.adapters.pycallable import CallableAdapter
from cosine_spec.conf.adapters.reference import load_implementation


def load() -> CallableAdapter:
    return load_implementation("cosine_spec.impl.fast", "reference-fast")
