"""`MODULE:ATTR` targets: any Python callable obeying the target contract (DESIGN.md)."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from cosine_spec.conf.adapters.base import Adapter, literal_args
from cosine_spec.conf.errors import TargetError
from cosine_spec.conf.golden_io import Case


class CallableAdapter(Adapter):
    """Adapter around a function `f` (and its optional `f.grad`)."""

    def __init__(self, fn, name: str, module: str | None = None, attr: str | None = None,
                 expectations: Path | None = None):
        self.fn, self.name, self.module, self.attr = fn, name, module, attr
        self.gradfn = getattr(fn, "grad", None)
        self.has_grad = callable(self.gradfn)
        self.expectations = expectations

    def loss(self, y_true, y_pred, sample_weight, axis, reduction):
        return self.fn(y_true, y_pred, sample_weight, axis=axis, reduction=reduction)

    def grad(self, y_true, y_pred, sample_weight, axis, reduction):
        return self.gradfn(y_true, y_pred, sample_weight, axis=axis, reduction=reduction)

    def repro(self, case: Case, grad: bool = False) -> str:
        args = literal_args(case)
        if args is None or self.module is None:
            return super().repro(case, grad)
        bf = ", ml_dtypes" if case.dtype == "bfloat16" else ""
        call = "f.grad" if grad else "f"
        return (f'python -c "import numpy as np{bf}; from {self.module} import {self.attr} as f; '
                f'print(repr({call}({args})))"')


def load_callable(target: str) -> CallableAdapter:
    """Import MODULE (the current directory and PYTHONPATH searched) and look up ATTR (dots allowed)."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise TargetError(f"Got target {target!r}; a Python target is MODULE:ATTR, e.g. mypkg.losses:cosine.")
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        raise TargetError(f"cannot import module {module_name!r} of target {target!r} (searched the current "
                          f"directory {cwd} and PYTHONPATH): {type(exc).__name__}: {exc}") from exc
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise TargetError(f"module {module_name!r} has no attribute {attr!r} (target {target!r}); "
                              f"it defines: {', '.join(n for n in dir(module) if not n.startswith('_'))[:300]}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise TargetError(f"{target!r} is a {type(obj).__name__}, not a callable with the target contract")
    return CallableAdapter(obj, name=target, module=module_name, attr=attr)
