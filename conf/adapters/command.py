"""Targets in a process of their own: `cmd:COMMAND` (any program speaking docs/contracts/protocol.md) and
the Python worker of the built-in and `MODULE:ATTR` targets. The harness knows such a target only by its
hello line: `RemoteAdapter` holds what it declared (name, version, dtypes, gradients, class checks); the
calls themselves go through `executor.Worker`.
"""

from __future__ import annotations

import importlib
import shlex

from cosine_spec.conf.adapters.base import Adapter, ExtraCheck
from cosine_spec.conf.errors import TargetError
from cosine_spec.conf.golden_cases import Case


def command_argv(target: str) -> list[str]:
    """`cmd:COMMAND` split as a POSIX shell would split words (no shell runs: no pipes, no expansions)."""
    try:
        argv = shlex.split(target[len("cmd:") :])
    except ValueError as exc:
        raise TargetError(
            f'Got target {target!r}: {exc}; quote COMMAND as in a POSIX shell, e.g. "cmd:node examples/js/cosine.js"'
        ) from exc
    if not argv:
        raise TargetError(
            f'Got target {target!r} with no command; give cmd:PROGRAM [ARGS], e.g. "cmd:node examples/js/cosine.js"'
        )
    return argv


def _not_here() -> None:
    raise RuntimeError("a remote check runs in its worker (executor.check), not in the harness")


class RemoteAdapter(Adapter):
    """What the harness knows of a target that runs elsewhere: its hello line (nothing of it is imported)."""

    def __init__(self, target: str, hello: dict):
        from cosine_spec.conf.adapters import BUILTIN, KERAS_NAMES
        from cosine_spec.conf.deviations import builtin_expectations

        self.target = target
        self.name = target if target.startswith("cmd:") or ":" in target else str(hello["name"])
        self.declared_name = str(hello["name"])[:200]
        self.version = str(hello.get("version", ""))[:200]
        self.dtypes = frozenset(hello["dtypes"])
        features = hello.get("features", {})
        self.has_grad = bool(features.get("grad", False))
        self._checks = [
            ExtraCheck(
                str(c["id"])[:200], tuple(str(x)[:40] for x in c["clauses"]), _not_here, c.get("dtype", "float32")
            )
            for c in features.get("checks", [])
        ]
        builtin = target in BUILTIN or target in KERAS_NAMES
        if builtin and self.name not in BUILTIN and self.name not in KERAS_NAMES:  # e.g. keras on an unknown backend
            self.name = target
        self.expectations = builtin_expectations(self.name) if builtin else None
        self._builtin = BUILTIN.get(target) or BUILTIN.get(target.partition("-")[0]) if builtin else None

    def extra_checks(self) -> list[ExtraCheck]:
        return list(self._checks)

    def repro(self, case: Case, grad: bool = False) -> str:
        if self._builtin:  # a built-in adapter module may say how to reproduce without the harness
            fn = getattr(importlib.import_module(self._builtin), "repro", None)
            if fn is not None:
                return fn(case, grad)
        elif not self.target.startswith("cmd:"):
            from cosine_spec.conf.adapters.pycallable import python_repro

            module, _, attr = self.target.partition(":")
            return python_repro(module, attr, case, grad) or super().repro(case, grad)
        return f"cosine-spec check {shlex.quote(self.name)} --cases '{case.id}'"
