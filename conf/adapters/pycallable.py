"""`MODULE:ATTR` targets: any Python callable obeying the target contract (docs/contracts/target.md)."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from cosine_spec.conf.adapters.base import Adapter, literal_args
from cosine_spec.conf.errors import TargetError
from cosine_spec.conf.golden_cases import Case
from cosine_spec.conf.judge import exc_text, safe_str


class CallableAdapter(Adapter):
    """Adapter around a function `f` (and its optional `f.grad`)."""

    def __init__(
        self, fn, name: str, module: str | None = None, attr: str | None = None, expectations: Path | None = None
    ):
        self.fn, self.name, self.module, self.attr = fn, name, module, attr
        try:
            self.gradfn = getattr(fn, "grad", None)
        except Exception as exc:  # noqa: BLE001 - a `grad` property that raises: a setup error, not a crash
            raise TargetError(f"target {name!r}: reading its attribute `grad` raised {exc_text(exc)}") from exc
        self.has_grad = callable(self.gradfn)
        self.expectations = expectations
        # The callables themselves, so that an argument the harness leaves out meets the target's own default.
        self.loss = fn  # type: ignore[method-assign]
        if self.has_grad:
            self.grad = self.gradfn  # type: ignore[method-assign]

    def repro(self, case: Case, grad: bool = False) -> str:
        return (self.module and python_repro(self.module, self.attr, case, grad)) or super().repro(case, grad)


def python_repro(module: str, attr: str, case: Case, grad: bool = False) -> str | None:
    """A `python -c` line calling MODULE:ATTR on the case's inputs, or None when they are too long to show."""
    args = literal_args(case)
    if args is None:
        return None
    bf = ", ml_dtypes" if case.dtype == "bfloat16" else ""
    call = "f.grad" if grad else "f"
    return f'python -c "import numpy as np{bf}; from {module} import {attr} as f; print(repr({call}({args})))"'


def _import_raised(module_name: str, target: str, cwd: str, exc: BaseException) -> TargetError:
    return TargetError(
        f"module {module_name!r} of target {target!r} raised while being imported: "
        f"{exc_text(exc)}; fix the module so that `import {module_name}` succeeds (run "
        f"`python -c 'import {module_name}'` in {cwd} to see the traceback)."
    )


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
    except KeyboardInterrupt:
        raise
    except SystemExit as exc:  # a script-style module (sys.exit, argparse) must not end the harness's run
        raise TargetError(
            f"module {module_name!r} of target {target!r} exited while being imported "
            f"(SystemExit({safe_str(exc.code)})); a target module must define the callable "
            f"without running code at import: guard script code with "
            f"`if __name__ == '__main__':`."
        ) from exc
    except ModuleNotFoundError as exc:
        if exc.name and (module_name + ".").startswith(exc.name + "."):  # the module itself is not found
            raise TargetError(
                f"cannot import module {module_name!r} of target {target!r} (searched the "
                f"current directory {cwd} and PYTHONPATH): {exc_text(exc)}"
            ) from exc
        raise _import_raised(module_name, target, cwd, exc) from exc
    except BaseException as exc:  # noqa: BLE001 - the module's own import-time failure is a setup error
        raise _import_raised(module_name, target, cwd, exc) from exc
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            names = ", ".join(n for n in vars(module) if not n.startswith("_"))[:300]
            raise TargetError(
                f"module {module_name!r} has no attribute {attr!r} (target {target!r}); it defines: {names}"
            ) from None
        except Exception as exc:  # noqa: BLE001 - a module __getattr__ or property that raises
            raise TargetError(
                f"looking up {attr!r} in module {module_name!r} (target {target!r}) raised {exc_text(exc)}"
            ) from exc
    if not callable(obj):
        raise TargetError(f"{target!r} is a {type(obj).__name__}, not a callable with the target contract")
    return CallableAdapter(obj, name=target, module=module_name, attr=attr)
