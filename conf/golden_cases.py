"""Read the golden cases (format: `spec/golden/FORMAT.md`) into numpy arrays of each case's dtype.

Every file is verified against MANIFEST.json (sha256 and case count) before it is read; this module decodes
each case into arrays with the spec's decoder and turns anything malformed into a `GoldenDataError` (exit 2)
that names the file or case, never a traceback.
"""

from __future__ import annotations

import hashlib
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


FORMATS_READ = (1, 2)  # golden format versions this reader understands (FORMAT.md)
CASE_KEYS = ("id", "family", "clauses", "dtype", "axis", "reduction", "y_true", "y_pred")


def _where(raw: object) -> str:
    cid = raw.get("id") if isinstance(raw, dict) else None
    return f"golden case {cid!r}" if isinstance(cid, str) else "a golden case"


def _tensor(obj: object, dtype: str, what: str) -> np.ndarray:
    """A TENSOR (FORMAT.md) as an array of its own dtype (format 2: `dtype` key) or the case's dtype."""
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list) or not isinstance(obj.get("shape"), list):
        raise GoldenDataError(f'{what} is not a TENSOR {{"shape": [..], "data": [..]}}: got {str(obj)[:80]}')
    shape = obj["shape"]
    if not all(type(n) is int and n >= 0 for n in shape):
        raise GoldenDataError(f"{what} has shape {shape}; a shape is a list of integers >= 0")
    if not all(isinstance(x, str) for x in obj["data"]):
        raise GoldenDataError(f'{what}: every element of `data` is a hex float string such as "0x1.8p-1"')
    own = obj.get("dtype", dtype)
    if own not in DTYPES:
        raise GoldenDataError(f"{what} has dtype {own!r}; allowed: {', '.join(DTYPES)}")
    try:
        return spec_golden.decode(obj, own)
    except (TypeError, ValueError, OverflowError) as exc:
        raise GoldenDataError(f"{what} cannot be decoded: {type(exc).__name__}: {exc}") from exc


def _loss_shape(shape: tuple[int, ...], axis: int, reduction: str) -> tuple[int, ...]:
    if reduction != "none" or not shape or not -len(shape) <= axis < len(shape):
        return ()
    ax = axis % len(shape)
    return shape[:ax] + shape[ax + 1 :]


def _check_fields(raw: dict, where: str) -> None:
    missing = [k for k in CASE_KEYS if k not in raw]
    if missing:
        raise GoldenDataError(f"{where} lacks the key(s) {', '.join(missing)}; FORMAT.md lists every key")
    types = {"id": str, "family": str, "dtype": str, "reduction": str}
    bad = [
        f"`{k}` is {type(raw[k]).__name__}, not {tp.__name__}" for k, tp in types.items() if not isinstance(raw[k], tp)
    ]
    if type(raw["axis"]) is not int:
        bad.append(f"`axis` is {raw['axis']!r}, not an integer")
    if not isinstance(raw["clauses"], list) or not all(isinstance(c, str) for c in raw["clauses"]):
        bad.append("`clauses` is not a list of clause IDs")
    if (raw.get("expected") is None) == (raw.get("error") is None):
        bad.append("exactly one of `expected` and `error` must be given (not null)")
    if raw.get("error") is not None and not isinstance(raw["error"], str):
        bad.append("`error` is not an exception class name")
    if bad:
        raise GoldenDataError(f"{where} does not follow FORMAT.md: {'; '.join(bad)}")


def decode_case(raw: object) -> Case:
    """Decode one case dict of a golden file; a malformed case raises `GoldenDataError` naming it."""
    where = _where(raw)
    if not isinstance(raw, dict):
        raise GoldenDataError(f"{where}: a case is a JSON object, got {type(raw).__name__}")
    _check_fields(raw, where)
    dtype = raw["dtype"]
    if dtype not in DTYPES:
        raise GoldenDataError(f"{where}: dtype {dtype!r}; allowed: {', '.join(DTYPES)}")
    try:
        y_true = _tensor(raw["y_true"], dtype, f"{where}: y_true")
        y_pred = _tensor(raw["y_pred"], dtype, f"{where}: y_pred")
        sw = raw.get("sample_weight")
        sample_weight = None if sw is None else _tensor(sw, dtype, f"{where}: sample_weight")
        exp, exact, expected = raw.get("expected"), None, None
        if exp is not None:
            expected = _tensor(exp, dtype, f"{where}: expected")
            exact_strs = exp.get("exact") or exp["data"]
            if not isinstance(exact_strs, list) or not all(isinstance(s, str) for s in exact_strs):
                raise GoldenDataError(f"{where}: expected.exact is not a list of decimal strings")
            exact = np.array(
                [float(s) if not s.startswith(("0x", "-0x")) else float.fromhex(s) for s in exact_strs],
                dtype=np.float64,
            ).reshape(expected.shape)
            want = _loss_shape(y_true.shape, raw["axis"], raw["reduction"])
            if expected.shape != want:
                raise GoldenDataError(
                    f"{where}: expected has shape {expected.shape}, but these inputs, axis and "
                    f"reduction give a result of shape {want}"
                )
        grads = raw.get("gradients")
        if grads is not None and (not isinstance(grads, list) or not all(isinstance(g, dict) for g in grads)):
            raise GoldenDataError(f"{where}: gradients is not a list of GRADIENT objects")
        gradients = (
            None
            if grads is None
            else tuple(
                (
                    _tensor({"shape": list(y_true.shape), "data": g["y_true"]}, dtype, f"{where}: a y_true gradient"),
                    _tensor({"shape": list(y_pred.shape), "data": g["y_pred"]}, dtype, f"{where}: a y_pred gradient"),
                )
                for g in grads
            )
        )
    except GoldenDataError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        raise GoldenDataError(f"{where} does not follow FORMAT.md: {type(exc).__name__}: {exc}") from exc
    return Case(
        id=raw["id"],
        family=raw["family"],
        clauses=tuple(raw["clauses"]),
        dtype=dtype,
        axis=raw["axis"],
        reduction=raw["reduction"],
        y_true=y_true,
        y_pred=y_pred,
        sample_weight=sample_weight,
        expected=expected,
        exact=exact,
        error=raw.get("error"),
        gradients=gradients,
        note=str(raw.get("note", "")),
    )


def _manifest(root: Path) -> dict[str, dict]:
    """MANIFEST.json's `files` table ({name: {sha256, cases}}), validated, or a GoldenDataError in words."""
    path = root / "MANIFEST.json"
    regenerate = "restore the golden data or regenerate it with `cosine-spec golden`"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GoldenDataError(
            f"MANIFEST.json is missing in {root}, so the golden data cannot be verified; {regenerate}"
        ) from None
    except (OSError, ValueError) as exc:
        raise GoldenDataError(f"cannot read {path}: {exc}; {regenerate}") from exc
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("sha256"), str) and type(v.get("cases")) is int for v in files.values()
    ):
        raise GoldenDataError(f'{path} has no valid `files` table ({{name: {{"sha256", "cases"}}}}); {regenerate}')
    return files


def _data_file(root: Path, name: str, entry: dict) -> list:
    """The cases of one data file, after its bytes matched the manifest's sha256 and its count."""
    fix = "restore it or regenerate the golden data with `cosine-spec golden`"
    try:
        data = (root / name).read_bytes()
    except FileNotFoundError:
        raise GoldenDataError(f"golden file {name} is listed in MANIFEST.json but missing from {root}; {fix}") from None
    except OSError as exc:
        raise GoldenDataError(f"cannot read golden file {name} in {root}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry["sha256"]:
        raise GoldenDataError(
            f"golden file {name} in {root} was altered: its sha256 is {digest[:16]}..., "
            f"MANIFEST.json records {entry['sha256'][:16]}...; {fix}"
        )
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GoldenDataError(f"golden file {name} in {root} is not valid JSON: {exc}; {fix}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise GoldenDataError(f'golden file {name} in {root} is not {{"cases": [..], "family", "format"}}; {fix}')
    if doc.get("format") not in FORMATS_READ:
        raise GoldenDataError(
            f"golden file {name} has format {doc.get('format')!r}; this harness reads "
            f"formats {', '.join(map(str, FORMATS_READ))}: upgrade cosine-spec"
        )
    if len(doc["cases"]) != entry["cases"]:
        raise GoldenDataError(
            f"golden file {name} holds {len(doc['cases'])} cases, MANIFEST.json records {entry['cases']}; {fix}"
        )
    return doc["cases"]


def load_cases(directory: Path | str | None = None) -> list[Case]:
    """All cases of every data file in `directory` (default: the spec's golden data), in file order.

    The data is verified against MANIFEST.json first: a file missing, not listed, altered (sha256) or
    holding another number of cases than recorded is a `GoldenDataError` naming it.
    """
    root = Path(directory) if directory is not None else golden_dir()
    if not root.is_dir() or not any(p.name != "MANIFEST.json" for p in root.glob("*.json")):
        raise GoldenDataError(f"no golden data files (*.json) in {root}; generate them with `cosine-spec golden`")
    files = _manifest(root)
    extra = sorted(p.name for p in root.glob("*.json") if p.name != "MANIFEST.json" and p.name not in files)
    if extra:
        raise GoldenDataError(
            f"golden file(s) {', '.join(extra)} in {root} are not listed in MANIFEST.json; "
            f"remove them or regenerate the golden data with `cosine-spec golden`"
        )
    cases, seen = [], set()
    for name in sorted(files):
        for raw in _data_file(root, name, files[name]):
            try:
                case = decode_case(raw)
            except GoldenDataError as exc:
                raise GoldenDataError(f"golden file {name}: {exc}") from exc
            if case.id in seen:
                raise GoldenDataError(f"golden case id {case.id!r} appears twice (again in {name})")
            seen.add(case.id)
            cases.append(case)
    return cases


def spec_version(directory: Path | str | None = None) -> str:
    """The spec version recorded in the golden MANIFEST.json, or 'unknown'."""
    root = Path(directory) if directory is not None else golden_dir()
    try:
        manifest = json.loads((root / "MANIFEST.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "unknown"
    return str(manifest.get("spec_version", manifest.get("spec", "unknown")))
