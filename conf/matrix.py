"""`cosine-spec matrix`: every installed built-in target (and any named) into one conformance matrix.

Each target runs as `cosine-spec check TARGET --report-json` in a process of its own (tf-keras and Keras 3, or
Keras on two backends, cannot share one), up to `--jobs` at a time; `run_targets` is also what the pytest plugin
uses. The matrix holds, per target: the summary, the clause table (passed / failed / declared / not tested), the
worst ulp error per dtype of the results that passed, and each declared deviation with its status; or why the
target could not run. Written as JSON (`--json`) and Markdown (`--markdown`). The JSON carries its cache key
(the golden data's MANIFEST sha256, a sha256 of the tolerances, deviation models and expectations files, and the
package versions): a target already in the `--json` file under the same key and tier is reused, not re-measured
(`--fresh` measures all); the docs page reads that file. The worst ulp figure is over value results and leaves out those
judged by an absolute bound (near zero, cancellation-bound), where a count of ulps says nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

KERAS_BACKENDS = ("tensorflow", "jax", "torch")
BUILTINS = ("reference", "tf-keras", "torch", "optax") + tuple(f"keras-{b}" for b in KERAS_BACKENDS)


def run_target(target: str, tier: str = "full", expectations: str | None = None, timeout: float = 3600) -> dict:
    """`{"report": <report JSON>}` of one target run in its own process, or `{"error": text}` (exit 2)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [
            sys.executable,
            "-m",
            "cosine_spec.conf.cli",
            "check",
            target,
            "--tier",
            tier,
            "--report-json",
            str(out),
            "--max-failures-shown",
            "0",
        ]
        if expectations:
            cmd += ["--expectations", expectations]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"`cosine-spec check {target}` did not finish within {timeout:g} s"}
        if proc.returncode in (0, 1) and out.exists():
            return {"report": json.loads(out.read_text(encoding="utf-8"))}
        why = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        return {"error": why[-1] if why else f"`cosine-spec check {target}` exited with {proc.returncode}"}


def run_targets(targets: list[str], tier: str = "full", expectations: str | None = None, jobs: int = 1) -> dict:
    """`run_target` for each target, `jobs` processes at a time, in the order given."""
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        futures = {t: pool.submit(run_target, t, tier, expectations) for t in dict.fromkeys(targets)}
    return {t: f.result() for t, f in futures.items()}


MANTISSA_BITS = {"float16": 10, "bfloat16": 7, "float32": 23, "float64": 52}


def worst_ulp(report: dict) -> dict[str, float | None]:
    """The largest ulp error per dtype among the value results that were judged and passed, on a relative scale
    only: a result whose tolerance exceeds the magnitude of the value it is measured at (an absolute bound: a
    cancellation-bound or zero expected value, where one unit in the last place is that of a number near 0) is
    left out, since a count of ulps there says nothing about accuracy. Gradients are left out for the same reason:
    they are judged against the norm of the whole gradient (CS-GRAD-1), so a small component's ulps can be many
    within its bound."""
    worst: dict[str, float | None] = {}
    for c in report["cases"]:
        u, err, tol = c.get("max_ulp"), c.get("max_err"), c.get("tolerance")
        worst.setdefault(c["dtype"], None)
        if c["status"] != "passed" or c.get("kind") != "value" or not isinstance(u, int | float):
            continue
        if u > 0 and isinstance(err, int | float) and isinstance(tol, int | float):
            unit = err / u  # one ulp where the error was measured
            if tol > unit * 2.0 ** MANTISSA_BITS.get(c["dtype"], 52):
                continue
        worst[c["dtype"]] = max(worst[c["dtype"]] or 0.0, float(u))
    return dict(sorted(worst.items()))


def matrix(measured: dict, versions: dict[str, str] | None = None) -> dict:
    """The matrix as plain data (the JSON file's content)."""
    out = {"versions": versions or {}, "targets": {}}
    for name, got in measured.items():
        if "error" in got:
            out["targets"][name] = {"error": got["error"]}
            continue
        r = got["report"]
        out["targets"][name] = {
            "conformant": r["conformant"],
            "tier": r["tier"],
            "spec_version": r["spec_version"],
            "seconds": r["seconds"],
            "summary": r["summary"],
            "clauses": r["clauses"],
            "worst_ulp": worst_ulp(r),
            "deviations": [
                {
                    k: d.get(k)
                    for k in (
                        "name",
                        "model",
                        "params",
                        "cases",
                        "dtypes",
                        "reason",
                        "upstream",
                        "status",
                        "matched",
                        "failed",
                        "explained",
                        "still_failed",
                    )
                }
                for d in r["deviations"]
            ],
        }
    return out


def cache_key(versions: dict[str, str] | None = None) -> dict:
    """What a matrix measured depends on: the golden data (MANIFEST.json's sha256), the judgement's data and
    models (the tolerances, the deviation models and every built-in expectations file: `models_sha256`) and the
    package versions."""
    import hashlib
    from importlib import resources

    conf = resources.files("cosine_spec.conf")
    manifest = resources.files("cosine_spec.spec") / "golden" / "MANIFEST.json"
    judged = [conf / "models.py", conf / "tolerances.toml", conf / "accuracy.toml"]
    judged += sorted((f for f in (conf / "expectations").iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    models = hashlib.sha256()
    for f in judged:
        models.update(f.name.encode() + b"\0" + f.read_bytes())
    return {
        "golden_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest(),
        "models_sha256": models.hexdigest(),
        "versions": installed_versions() if versions is None else versions,
    }


def cached(path: str | None, key: dict, tier: str) -> dict:
    """The targets of an earlier matrix at `path` measured under the same key and tier (reused, not re-run)."""
    if not path or not Path(path).is_file():
        return {}
    try:
        old = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError:
        return {}
    if old.get("key") != key:
        return {}
    return {n: t for n, t in old.get("targets", {}).items() if "error" not in t and t.get("tier") == tier}


def markdown(m: dict) -> str:
    """The matrix as Markdown: a summary row per target, a clause x target table, worst ulp per dtype."""
    ran = {n: t for n, t in m["targets"].items() if "error" not in t}
    lines = [
        "| target | conformant | passed | declared | failed | not tested | unexpected passes | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, t in ran.items():
        s = t["summary"]
        lines.append(
            f"| `{n}` | {'yes' if t['conformant'] else '**no**'} | {s['passed']} | {s['declared']} | "
            f"{s['failed']} | {s['not_tested']} | {s['unexpected_passes']} | {t['seconds']:.0f} |"
        )
    for n, t in m["targets"].items():
        if "error" in t:
            lines.append(f"| `{n}` | not run: {t['error'].replace('|', '/')} | | | | | | |")
    clauses = sorted({c for t in ran.values() for c in t["clauses"]})
    lines += ["", "| clause | " + " | ".join(f"`{n}`" for n in ran) + " |", "|---|" + "---|" * len(ran)]
    for c in clauses:
        lines.append(
            f"| {c} | " + " | ".join(t["clauses"].get(c, "not_tested").replace("_", " ") for t in ran.values()) + " |"
        )
    dtypes = sorted({d for t in ran.values() for d in t["worst_ulp"]})
    lines += [
        "",
        "Worst ulp error of a passing value result, per dtype (results judged by an absolute bound, near zero "
        "or cancellation-bound, are left out):",
        "",
        "| target | " + " | ".join(dtypes) + " |",
        "|---|" + "---|" * len(dtypes),
    ]
    for n, t in ran.items():
        cells = [t["worst_ulp"].get(d) for d in dtypes]
        lines.append(f"| `{n}` | " + " | ".join("-" if v is None else f"{v:g}" for v in cells) + " |")
    lines += ["", "Declared deviations:", ""]
    for n, t in ran.items():
        held = sum(d["status"] == "held" for d in t["deviations"])
        lines.append(
            f"- `{n}`: {held} of {len(t['deviations'])} held"
            + "".join(
                f"; {d['status'].replace('_', ' ')}: {d['name']}" for d in t["deviations"] if d["status"] != "held"
            )
        )
    return "\n".join(lines) + "\n"


def installed_versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for dist in ("cosine-spec", "numpy", "tensorflow", "tf-keras", "keras", "torch", "jax", "jaxlib", "optax"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def cli_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="cosine-spec matrix", description=__doc__.split("\n\n")[0])
    p.add_argument("targets", nargs="*", help=f"targets to add to the built-in ones ({', '.join(BUILTINS)})")
    p.add_argument("--only", action="store_true", help="only the targets given, not the built-in ones")
    p.add_argument("--tier", choices=("fast", "full"), default="full")
    p.add_argument("--jobs", type=int, default=1, help="targets run at the same time (default 1)")
    p.add_argument("--json", metavar="PATH", help="write the matrix as JSON")
    p.add_argument("--markdown", metavar="PATH", help="write the matrix as Markdown (default: print it)")
    p.add_argument(
        "--fresh",
        action="store_true",
        help="measure every target again (default: a target already in the --json file, measured on the same "
        "golden data, models, tier and package versions, is reused)",
    )
    args = p.parse_args(argv)
    targets = list(args.targets) if args.only else [*BUILTINS, *args.targets]
    if not targets:
        print("cosine-spec matrix: error: --only without targets selects nothing; name a target", file=sys.stderr)
        return 2
    key = cache_key()
    reuse = {} if args.fresh else cached(args.json, key, args.tier)
    todo = [t for t in targets if t not in reuse]
    if reuse:
        print(
            f"cosine-spec matrix: reusing {', '.join(reuse)} from {args.json} (same golden data, models and versions)"
        )
    m = matrix(run_targets(todo, args.tier, jobs=args.jobs), key["versions"])
    m["key"], m["tier"] = key, args.tier
    m["targets"] = {t: reuse[t] if t in reuse else m["targets"][t] for t in dict.fromkeys(targets)}
    if args.json:
        Path(args.json).write_text(json.dumps(m, indent=2) + "\n", encoding="utf-8")
    md = markdown(m)
    if args.markdown:
        Path(args.markdown).write_text(md, encoding="utf-8")
    elif not args.json:
        print(md)
    return 0
