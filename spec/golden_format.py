"""The golden data format (``spec/golden/FORMAT.md``): its writer and its reader.

The writer records the oracle's verdict on a catalogue case (:func:`record`), writes a family file
(:func:`family_file`) and the manifest (:func:`manifest`); ``cosine-spec golden`` (``conf/golden_cli.py``)
drives it. The reader (:func:`load_cases`, :func:`decode`) reads the data installed with the package, for
the harness and the tests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import numpy as np
from cosine_spec.spec import SPEC_VERSION, oracle
from cosine_spec.spec.catalogue.build import Case
from cosine_spec.spec.shapes import SpecError, np_dtype

FORMAT_VERSION = 2  # 2: a TENSOR may name its own dtype (a sample_weight wider than the inputs)


def _tensor(a: np.ndarray, case_dtype: str | None = None) -> dict:
    """A TENSOR; one whose dtype is not the case's (format 2: only a sample_weight) also names its dtype."""
    out = {"shape": list(a.shape), "data": [float(x).hex() for x in a.astype(np.float64).ravel().tolist()]}
    if case_dtype is not None and a.dtype != np_dtype(case_dtype):
        out["dtype"] = "bfloat16" if a.dtype == np_dtype("bfloat16") else a.dtype.name
    return out


def record(case: Case, verify: bool = True) -> dict:
    """The JSON object of one case: its inputs and the oracle's proven result."""
    rec = {
        "id": case.id,
        "family": case.family,
        "dtype": case.dtype,
        "axis": case.axis,
        "reduction": case.reduction,
        "note": case.note,
        "y_true": _tensor(case.y_true),
        "y_pred": _tensor(case.y_pred),
        "sample_weight": None if case.sample_weight is None else _tensor(case.sample_weight, case.dtype),
    }
    clauses = list(case.clauses)
    try:
        res = oracle.evaluate(
            case.y_true,
            case.y_pred,
            case.sample_weight,
            axis=case.axis,
            reduction=case.reduction,
            dtype=case.dtype,
            gradients=True,
            verify=verify,
            digits=True,
        )
    except SpecError as exc:
        if case.error is None:
            raise ValueError(
                f"case {case.id}: the oracle rejects it ({exc}) but the catalogue expects a value"
            ) from exc
        rec.update(expected=None, error=exc.error_class, gradients=None)
        rec["clauses"] = sorted(set(clauses + [exc.clause]))
        return rec
    if case.error is not None:
        raise ValueError(f"case {case.id}: the catalogue expects {case.error} but the oracle accepts it")
    rec["expected"] = {"shape": list(res.shape), "data": [v.hex() for v in res.values], "exact": res.exact}
    rec["error"] = None
    rec["gradients"] = (
        None
        if res.gradients is None
        else [{"y_true": [v.hex() for v in gt], "y_pred": [v.hex() for v in gp]} for gt, gp in res.gradients]
    )
    clauses.append("CS-OUT-1")
    if case.reduction == "none" and case.sample_weight is None:
        clauses.append("CS-VAL-2")  # judged exactly on unweighted per-sample values
    if res.gradients is not None and case.y_true.size:
        clauses.append("CS-GRAD-1")
    rec["clauses"] = sorted(set(clauses))
    return rec


def family_file(family: str, cases: list[Case], verify: bool = True) -> bytes:
    """The bytes of ``<family>.json``: every case of the family recorded, in catalogue order, one per line."""
    lines = [json.dumps(record(c, verify), sort_keys=True, separators=(",", ":")) for c in cases]
    body = ",\n".join(lines)
    return f'{{"cases": [\n{body}\n], "family": "{family}", "format": {FORMAT_VERSION}}}\n'.encode()


def manifest(files: dict[str, bytes], counts: dict[str, int]) -> bytes:
    """The bytes of MANIFEST.json for the family files ``files`` holding ``counts`` cases each."""
    import mpmath
    import sympy

    doc = {
        "format": FORMAT_VERSION,
        "spec_version": SPEC_VERSION,
        "total_cases": sum(counts.values()),
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "cases": counts[name]}
            for name, data in sorted(files.items())
        },
        "oracle": {
            "method": "exact integer sums of products; sqrt(A*B) enclosed by integer square roots; "
            "Ziv's rounding test on exact rational enclosures; every rounding repeated at twice "
            "the precision; 40 digits from a 160-bit enclosure",
            "start_precision_bits": f"target precision + {oracle.START_PREC}",
            "max_precision_bits": oracle.MAX_PREC,
            "versions": {"mpmath": mpmath.__version__, "sympy": sympy.__version__},
        },
    }
    return (json.dumps(doc, sort_keys=True, indent=2) + "\n").encode()


def load_cases(families: Iterable[str] | None = None, directory: Path | str | None = None) -> list[dict]:
    """The golden cases as dicts (FORMAT.md), in file order; default: the data installed with the package.

    A file that is not JSON raises ValueError naming it.
    """
    root = resources.files("cosine_spec.spec") / "golden" if directory is None else Path(directory)
    wanted = None if families is None else set(families)
    cases = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json") or entry.name == "MANIFEST.json":
            continue
        try:
            doc = json.loads(entry.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"golden file {entry.name} in {root} is not valid JSON: {exc}") from exc
        if wanted is None or doc.get("family") in wanted:
            cases.extend(doc.get("cases", []))
    return cases


def decode(tensor: dict, dtype: str) -> np.ndarray:
    """A golden TENSOR as a numpy array of its own dtype (format 2) or else ``dtype`` (exact either way)."""
    values = np.array([float.fromhex(x) for x in tensor["data"]], dtype=np.float64)
    return values.reshape(tensor["shape"]).astype(np_dtype(tensor.get("dtype", dtype)))
