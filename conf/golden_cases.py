"""Read the golden cases (format: `spec/golden/FORMAT.md`) into numpy arrays of each case's dtype.

The files are read by the spec's own reader (`cosine_spec.spec.golden_format.load_cases`, the format's owner);
this module decodes each case into arrays and turns a malformed case into a `GoldenDataError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from cosine_spec.conf.errors import GoldenDataError
from cosine_spec.spec import golden_format as spec_golden
from cosine_spec.spec.exact import DTYPES as SPEC_DTYPES
from cosine_spec.spec.shapes import np_dtype

# The spec's dtype table (one definition: spec/exact.py), as numpy dtypes.
DTYPES: dict[str, np.dtype] = {name: np_dtype(name) for name in SPEC_DTYPES}


@dataclass(frozen=True, eq=False)
class Case:
    """One golden case, decoded. `exact` is the float64 nearest to the oracle's 40-digit exact value."""

    id: str
    family: str
    clauses: tuple[str, ...]
    dtype: str
    axis: int
    reduction: str
    y_true: np.ndarray
    y_pred: np.ndarray
    sample_weight: np.ndarray | None
    expected: np.ndarray | None
    exact: np.ndarray | None
    error: str | None
    gradients: tuple[tuple[np.ndarray, np.ndarray], ...] | None
    note: str = ""


def golden_dir() -> Path:
    """The checked-in golden data of the installed spec package."""
    return Path(str(resources.files("cosine_spec.spec") / "golden"))


def _tensor(obj: dict | None, dtype: str) -> np.ndarray | None:
    return None if obj is None else spec_golden.decode(obj, dtype)


def decode_case(raw: dict) -> Case:
    """Decode one case dict of a golden file; a malformed case raises `GoldenDataError` naming it."""
    try:
        dtype = raw["dtype"]
        if dtype not in DTYPES:
            raise GoldenDataError(f"case {raw.get('id')!r}: dtype {dtype!r}; allowed: {', '.join(DTYPES)}")
        exp = raw.get("expected")
        exact = None
        if exp is not None:
            exact_strs = exp.get("exact") or exp["data"]
            exact = np.array([float(s) if not s.startswith(("0x", "-0x")) else float.fromhex(s)
                              for s in exact_strs], dtype=np.float64).reshape(exp["shape"])
        grads = raw.get("gradients")
        shape_t, shape_p = raw["y_true"]["shape"], raw["y_pred"]["shape"]
        gradients = None if grads is None else tuple(
            (spec_golden.decode({"shape": shape_t, "data": g["y_true"]}, dtype),
             spec_golden.decode({"shape": shape_p, "data": g["y_pred"]}, dtype)) for g in grads)
        return Case(id=raw["id"], family=raw["family"], clauses=tuple(raw["clauses"]), dtype=dtype,
                    axis=int(raw["axis"]), reduction=raw["reduction"],
                    y_true=_tensor(raw["y_true"], dtype), y_pred=_tensor(raw["y_pred"], dtype),
                    sample_weight=_tensor(raw.get("sample_weight"), dtype),
                    expected=_tensor(exp, dtype), exact=exact, error=raw.get("error"),
                    gradients=gradients, note=raw.get("note", ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise GoldenDataError(f"golden case {raw.get('id', '?')!r} does not follow FORMAT.md: "
                              f"{type(exc).__name__}: {exc}") from exc


def load_cases(directory: Path | str | None = None) -> list[Case]:
    """All cases of every `*.json` data file in `directory` (default: the spec's golden data), file order."""
    root = Path(directory) if directory is not None else golden_dir()
    if not root.is_dir() or not any(p.name != "MANIFEST.json" for p in root.glob("*.json")):
        raise GoldenDataError(f"no golden data files (*.json) in {root}; generate them with `cosine-spec golden`")
    try:
        raw_cases = spec_golden.load_cases(directory=root)
    except (OSError, ValueError) as exc:
        raise GoldenDataError(f"cannot read golden data in {root}: {exc}") from exc
    return [decode_case(raw) for raw in raw_cases]


def spec_version(directory: Path | str | None = None) -> str:
    """The spec version recorded in the golden MANIFEST.json, or 'unknown'."""
    root = Path(directory) if directory is not None else golden_dir()
    try:
        manifest = json.loads((root / "MANIFEST.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "unknown"
    return str(manifest.get("spec_version", manifest.get("spec", "unknown")))
