"""Golden data: the oracle's verdict on the catalogue, written as JSON (format in golden/FORMAT.md).

``cosine-spec golden`` writes ``spec/golden/``; ``cosine-spec golden --check`` regenerates everything in
memory and compares byte for byte, naming the first case that differs. ``load_cases`` reads the data
installed with the package, for the harness and the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from importlib import resources
from pathlib import Path

import numpy as np
from cosine_spec.spec import SPEC_VERSION, oracle
from cosine_spec.spec.catalogue import all_cases
from cosine_spec.spec.catalogue.build import Case
from cosine_spec.spec.shapes import SpecError, np_dtype

FORMAT_VERSION = 1
SOURCE_DIR = Path(__file__).resolve().parent / "golden"


def _tensor(a: np.ndarray) -> dict:
    return {"shape": list(a.shape), "data": [float(x).hex() for x in a.astype(np.float64).ravel().tolist()]}


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
        "sample_weight": None if case.sample_weight is None else _tensor(case.sample_weight),
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


def _dump(family: str, records: list[dict]) -> bytes:
    lines = [json.dumps(r, sort_keys=True, separators=(",", ":")) for r in records]
    body = ",\n".join(lines)
    return f'{{"cases": [\n{body}\n], "family": "{family}", "format": {FORMAT_VERSION}}}\n'.encode()


def _family_bytes(args: tuple[str, list[Case], bool]) -> tuple[str, bytes, list[str]]:
    family, cases, verify = args
    records = [record(c, verify) for c in cases]
    return family, _dump(family, records), [r["id"] for r in records]


def build(jobs: int = 2, verify: bool = True, progress: bool = True) -> dict[str, bytes]:
    """Every golden file's bytes, MANIFEST.json included, keyed by file name."""
    by_family: dict[str, list[Case]] = {}
    for c in all_cases():
        by_family.setdefault(c.family, []).append(c)
    chunks = [(f, cs, verify) for f, cs in by_family.items()]
    results: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    bar = _progress(len(chunks), progress)
    with ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else _Serial() as pool:
        for family, data, ids in pool.map(_family_bytes, chunks):
            results[f"{family}.json"] = data
            counts[f"{family}.json"] = len(ids)
            bar.update(1)
    bar.close()
    results["MANIFEST.json"] = _manifest(results, counts)
    return results


def _manifest(files: dict[str, bytes], counts: dict[str, int]) -> bytes:
    import mpmath
    import sympy

    manifest = {
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
    return (json.dumps(manifest, sort_keys=True, indent=2) + "\n").encode()


class _Serial:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @staticmethod
    def map(fn, items):
        return map(fn, items)


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="golden families", unit="family", disable=not enabled, file=sys.stderr)


def _first_difference(name: str, old: bytes, new: bytes) -> str:
    if name == "MANIFEST.json":
        return "MANIFEST.json differs"
    old_lines, new_lines = old.decode(errors="replace").splitlines(), new.decode().splitlines()
    for a, b in zip(old_lines, new_lines, strict=False):
        if a != b:
            try:
                case_id = json.loads(b.rstrip(","))["id"]
            except (ValueError, KeyError, TypeError):
                return f"{name}: line differs: {b[:80]}"
            return f"{name}: case {case_id} differs"
    return f"{name}: {len(old_lines)} lines stored, {len(new_lines)} regenerated"


def _comparable(name: str, data: bytes) -> bytes:
    """The manifest's library versions are provenance, not data: the exact oracle does not use them."""
    if name != "MANIFEST.json":
        return data
    m = json.loads(data)
    m.get("oracle", {}).pop("versions", None)
    return json.dumps(m, sort_keys=True).encode()


def check(directory: Path, jobs: int = 2, progress: bool = True) -> list[str]:
    """Regenerate and compare with ``directory``; the list of differences (empty when identical)."""
    fresh = build(jobs=jobs, progress=progress)
    problems = []
    stored = {p.name for p in directory.glob("*.json")}
    for name in sorted(stored - set(fresh)):
        problems.append(f"{name}: stored but not generated by the catalogue")
    for name, data in sorted(fresh.items()):
        path = directory / name
        if not path.exists():
            problems.append(f"{name}: missing")
        elif _comparable(name, path.read_bytes()) != _comparable(name, data):
            problems.append(_first_difference(name, path.read_bytes(), data))
    return problems


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
    """A golden TENSOR as a numpy array of ``dtype`` (exact: every value is representable)."""
    values = np.array([float.fromhex(x) for x in tensor["data"]], dtype=np.float64)
    return values.reshape(tensor["shape"]).astype(np_dtype(dtype))


def cli_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="cosine-spec golden", description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="regenerate and compare byte for byte; exit 1 on a difference")
    ap.add_argument("--dir", type=Path, default=SOURCE_DIR, help="golden directory (default: the source tree's)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if args.check:
        problems = check(args.dir, jobs=args.jobs, progress=not args.quiet)
        for p in problems:
            print(f"golden --check: {p}", file=sys.stderr)
        print("golden data matches the oracle" if not problems else f"{len(problems)} file(s) differ")
        return 1 if problems else 0
    args.dir.mkdir(parents=True, exist_ok=True)
    files = build(jobs=args.jobs, progress=not args.quiet)
    for name, data in files.items():
        (args.dir / name).write_bytes(data)
    print(f"wrote {len(files)} files to {args.dir}")
    return 0
