"""Writes docs/_generated/conformance.md: the conformance matrix of every installed built-in target.

Run by docs/conf.py at build time: each built-in target that imports is held against the full tier of the
golden cases by the suite itself (`cosine_spec.conf.runner.run`, as `cosine-spec check TARGET` does), so the
published matrix is what this build measured, never a hand copy. `measure()` runs each target once per build
and caches the reports for the accuracy page (docs/accuracy.py).
"""

from __future__ import annotations

import os

# Before anything imports TensorFlow: tf.keras must be Keras 2 (tf-keras), and its C++ logging stays quiet.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from functools import cache  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

from cosine_spec.conf.adapters import BUILTIN, resolve  # noqa: E402
from cosine_spec.conf.errors import TargetError  # noqa: E402
from cosine_spec.conf.report import Report  # noqa: E402
from cosine_spec.conf.runner import run  # noqa: E402
from cosine_spec.spec.clauses import load_clauses  # noqa: E402
from myst_parser.slugs import github_slugify  # noqa: E402

TIER = "full"
# What to install for a built-in target whose framework is missing (the reference needs nothing more).
INSTALL = {"tf-keras": "pip install 'cosine-spec[tf]'"}

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md_escape(text: str) -> str:
    """`text` as literal Markdown: a deviation's reason holds globs (huge-*-max-*) and code."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


@cache
def measure() -> dict[str, Report | str]:
    """Every built-in target: its full-tier report, or why it could not run (a str: not installed)."""
    out: dict[str, Report | str] = {}
    # The framework targets (keras, torch, optax) each need a process of their own and minutes to run:
    # they join this page through `cosine-spec matrix` (conf/matrix.py), not by an in-process docs build.
    for name in (n for n in BUILTIN if n in ("reference", "tf-keras")):
        try:
            with warnings.catch_warnings():  # a framework's import-time warnings are not the docs' business
                warnings.simplefilter("ignore")
                adapter = resolve(name)
        except TargetError as exc:
            out[name] = str(exc)
            continue
        out[name] = run(adapter, tier=TIER, timeout=None)
    return out


def versions() -> list[tuple[str, str]]:
    """The versions this build measured with: ours, Python, numpy and each framework that was imported."""
    import numpy as np

    found = [
        ("cosine-spec", metadata.version("cosine-spec")),
        ("Python", platform.python_version()),
        ("numpy", np.__version__),
    ]
    for module in ("tensorflow", "tf_keras"):
        mod = sys.modules.get(module)
        if mod is not None:
            found.append((module, getattr(mod, "__version__", "unknown")))
    return found


def clause_counts(report: Report, cid: str) -> tuple[int, int, int]:
    """(judged, declared, failed): how many results judged the clause, and how many failed it declared /
    undeclared (a result judges a clause when it lists it or failed it; not-tested results judge nothing)."""
    judged = declared = failed = 0
    for r in report.results:
        if r.status == "not_tested" or cid not in set(r.clauses) | set(r.failed_clauses):
            continue
        judged += 1
        if cid in r.failed_clauses:
            if cid in r.undeclared:
                failed += 1
            else:
                declared += 1
    return judged, declared, failed


def cell(report: Report, cid: str) -> str:
    status = report.clauses.get(cid, "not_tested")
    judged, declared, failed = clause_counts(report, cid)
    if status == "not_tested" or not judged:
        return "not tested"
    if status == "failed":
        return f"**failed** {failed}/{judged}" + (f" (declared {declared})" if declared else "")
    if status == "declared":
        return f"declared {declared}/{judged}"
    return f"passed {judged}/{judged}"


def _upstream(text: str) -> str:
    parts = [p.strip() for p in text.split(";") if p.strip()]
    return ", ".join(f"<{p}>" if re.fullmatch(r"https?://\S+", p) else md_escape(p) for p in parts)


def _deviations(name: str, report: Report) -> list[str]:
    lines = [f"### {name}", ""]
    if not report.deviations:
        return lines + ["No deviation declared: any failure makes it non-conformant.", ""]
    lines += [
        f"{len(report.deviations)} declared deviations (`conf/expectations/{name}.toml`), each a model of what "
        "the target computes instead. *held*: its model explained failures in its scope; *unmatched*: it "
        "explained none; *unexpected pass*: every result in its scope passed (the entry is out of date); "
        "*not exercised*: no result in its scope ran.",
        "",
    ]
    for d in report.deviations:
        dev = d.deviation
        where = f"model `{' + '.join(dev.changes)}`, cases `{', '.join(dev.cases)}`" + (
            f", dtypes `{','.join(dev.dtypes)}`" if dev.dtypes else ""
        )
        status = d.status.replace("_", " ")
        lines.append(
            f"- **{status}** ({d.explained} of {d.failed} failed results in scope explained), {where}: "
            f"{md_escape(dev.reason).rstrip('.')}. Upstream: {_upstream(dev.upstream)}."
        )
    return lines + [""]


def render(measured: dict[str, Report | str] | None = None) -> str:
    measured = measure() if measured is None else measured
    ran = {n: r for n, r in measured.items() if isinstance(r, Report)}
    missing = {n: why for n, why in measured.items() if not isinstance(why, Report)}
    lines = [
        "# Conformance matrix",
        "",
        f"Generated when these docs were built, by the suite itself: every built-in target that is installed "
        f"was held against the **{TIER}** tier of the golden cases (what `cosine-spec check TARGET` runs), "
        f"with its own declared deviations. The numbers are what this build measured, not a hand copy.",
        "",
        "Measured with "
        + ", ".join(f"{k} {v}" for k, v in versions())
        + (f"; spec version {next(iter(ran.values())).spec_version}." if ran else "."),
        "",
        "| target | conformant | passed | declared | failed | not tested | unexpected passes |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, report in ran.items():
        s = report.summary
        lines.append(
            f"| `{name}` | {'yes' if report.conformant else '**no**'} | {s['passed']} | {s['declared']} | "
            f"{s['failed']} | {s['not_tested']} | {s['unexpected_passes']} |"
        )
    for name in missing:
        lines.append(f"| `{name}` | not installed ({INSTALL.get(name, 'see its adapter')}) | | | | | |")
    lines += [
        "",
        "Counts are results: one per golden case and dtype for the value, one more for the gradient, and the "
        "class-level checks (constructor, configuration, distribution strategy, `fit`).",
        "",
        "## Clause by clause",
        "",
        "A cell reads *status k/n*: of the *n* results that judged the clause, *k* had that status. "
        "*passed*: every result passed it; *declared*: some failed it, each covered by a declared deviation "
        "(below); *failed*: some failed it undeclared; *not tested*: no case or check of the target reaches "
        "the clause (informative text, names only TensorFlow has, or a class-level check the target's "
        "adapter cannot make).",
        "",
        "| clause | level | " + " | ".join(f"`{n}`" for n in ran) + " |",
        "|---|---|" + "---|" * len(ran),
    ]
    for cid, clause in load_clauses().items():
        anchor = github_slugify(f"{cid}: {clause.title}")
        title = md_escape(clause.title)
        lines.append(
            f"| [{cid}](../spec.md#{anchor}) {title} | {clause.level} | "
            + " | ".join(cell(report, cid) for report in ran.values())
            + " |"
        )
    lines += ["", "## Declared deviations", ""]
    for name, report in ran.items():
        lines += _deviations(name, report)
    for name, why in missing.items():
        lines += [f"### {name}", "", f"Not installed: {md_escape(why)}", ""]
    lines += frameworks()
    return "\n".join(lines).rstrip() + "\n"


MATRIX_JSON = Path(__file__).parent / "conformance-matrix.json"  # `cosine-spec matrix --json` writes it


def frameworks(path: Path = MATRIX_JSON) -> list[str]:
    """The framework targets' section, from the committed matrix JSON (never measured at docs build: each takes
    minutes); stale when the golden data or a package version moved since, and then it says so."""
    from cosine_spec.conf.matrix import cache_key

    lines = ["## Framework targets", ""]
    regen = "`cosine-spec matrix --json docs/conformance-matrix.json`"
    if not path.is_file():
        return lines + [f"Not measured yet: run {regen}.", ""]
    m = json.loads(path.read_text(encoding="utf-8"))
    key, now = m.get("key", {}), cache_key()
    moved = [k for k, v in now["versions"].items() if key.get("versions", {}).get(k) != v and k != "cosine-spec"]
    fresh = key.get("golden_sha256") == now["golden_sha256"]
    same_models = key.get("models_sha256") == now["models_sha256"]
    lines += [
        f"Measured by `cosine-spec matrix` on the **{m.get('tier', '?')}** tier, each target in a process of its "
        f"own with its deviation models, and read here from `docs/conformance-matrix.json` (its key: the golden "
        f"data's sha256, that of the tolerances and deviation models, and the package versions: "
        + ", ".join(f"{k} {v}" for k, v in key.get("versions", {}).items())
        + ").",
        "",
    ]
    if not fresh or not same_models or moved:
        lines += [
            "**Stale**: "
            + ("the golden data changed since; " if not fresh else "")
            + ("the tolerances, deviation models or expectations changed since; " if not same_models else "")
            + (f"installed versions differ for {', '.join(moved)}; " if moved else "")
            + f"regenerate with {regen}.",
            "",
        ]
    ran = {n: t for n, t in m.get("targets", {}).items() if "error" not in t}
    lines += [
        "| target | conformant | passed | declared | failed | not tested | models held |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, t in ran.items():
        s, devs = t["summary"], t["deviations"]
        held = sum(d["status"] == "held" for d in devs)
        lines.append(
            f"| `{n}` | {'yes' if t['conformant'] else '**no**'} | {s['passed']} | {s['declared']} | "
            f"{s['failed']} | {s['not_tested']} | {held} of {len(devs)} |"
        )
    for n, t in m.get("targets", {}).items():
        if "error" in t:
            lines.append(f"| `{n}` | not run: {md_escape(t['error'])} | | | | | |")
    lines += ["", "| framework clause | " + " | ".join(f"`{n}`" for n in ran) + " |", "|---|" + "---|" * len(ran)]
    for cid in load_clauses():
        lines.append(
            f"| {cid} | "
            + " | ".join(t["clauses"].get(cid, "not_tested").replace("_", " ") for t in ran.values())
            + " |"
        )
    lines += ["", "Deviation models per target (`conf/expectations/<target>.toml`):", ""]
    for n, t in ran.items():
        for d in t["deviations"]:
            model = d["model"] if isinstance(d["model"], list) else [d["model"]]
            lines.append(
                f"- `{n}` **{d['name']}** ({d['status'].replace('_', ' ')}, {d['explained']} of {d['failed']} "
                f"failed results in scope explained), model `{' + '.join(model)}`: {md_escape(d['reason'] or '')}"
            )
    return lines + [""]


def write_if_changed(path: Path, data: str | bytes) -> Path:
    """Write only on a change, so Sphinx rebuilds a generated page only when the measurement moved."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not path.exists() or path.read_bytes() != raw:
        path.write_bytes(raw)
    return path


def write(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_if_changed(out_dir / "conformance.md", render())
