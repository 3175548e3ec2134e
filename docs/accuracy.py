"""Writes docs/_generated/accuracy.md and accuracy-<target>.png: each target's error in ulps per dtype.

Run by docs/conf.py at build time on the reports docs/matrix.py measured (each target runs once per build).
A point is one value result that passed or was declared, with a finite worst error: its largest error over
the elements of the case's output, in ulps of the expected (correctly rounded) value.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from cosine_spec.conf.golden_cases import DTYPES
from cosine_spec.conf.report import Report
from matrix import md_escape, measure, write_if_changed

CAP = 2.0**20  # errors from here on share one bucket: near an expected 0 one ulp is the smallest subnormal
COLORS = {"float16": "tab:red", "bfloat16": "tab:orange", "float32": "tab:blue", "float64": "tab:green"}


def ulps(report: Report) -> dict[str, np.ndarray]:
    """Per dtype, the worst error in ulps of every value result that passed or was declared (finite only)."""
    out = {}
    for dtype in DTYPES:
        vals = [
            r.max_ulp
            for r in report.results
            if r.kind == "value"
            and r.dtype == dtype
            and r.status in ("passed", "declared")
            and r.max_ulp is not None
            and math.isfinite(r.max_ulp)
        ]
        if vals:
            out[dtype] = np.sort(np.asarray(vals, dtype=np.float64))
    return out


def excluded(report: Report) -> dict[str, int]:
    """Value results that ran but have no finite error to plot, counted by why."""
    why = {"raises": 0, "empty": 0, "overflow": 0, "declared": 0}
    for r in report.results:
        if r.kind != "value" or r.status not in ("passed", "declared"):
            continue
        if r.max_ulp is None or not math.isfinite(r.max_ulp):
            if r.expected.startswith("raises "):
                why["raises"] += 1  # the spec expects an exception
            elif r.status == "declared":
                why["declared"] += 1  # NaN, infinity or an exception where the spec expects a number
            elif r.max_ulp is None:
                why["empty"] += 1  # an empty output: nothing to be wrong
            else:
                why["overflow"] += 1  # within tolerance, but the ulp count overflows (an error at an exact 0)
    return why


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    if x >= CAP:
        return f"{x:.2g}"
    return f"{x:.3g}"


def stats_table(data: dict[str, np.ndarray]) -> list[str]:
    lines = [
        "| dtype | cases | 0 ulp | ≤ 0.5 ulp | ≤ 1 ulp | median | 99th percentile | max |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for dtype, v in data.items():
        lines.append(
            f"| {dtype} | {v.size} | {np.sum(v == 0)} | {np.sum(v <= 0.5)} | {np.sum(v <= 1)} | "
            f"{_fmt(float(np.median(v)))} | {_fmt(float(np.quantile(v, 0.99, method='higher')))} | "
            f"{_fmt(float(v[-1]))} |"
        )
    return lines


def plot(target: str, data: dict[str, np.ndarray]) -> bytes:
    """An ECDF per dtype on a log axis, with a 0-ulp bucket at the left and a >= CAP bucket at the right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    positive = [v[(v > 0) & (v < CAP)] for v in data.values()]
    lo = min((float(p.min()) for p in positive if p.size), default=0.5)
    lo = 2.0 ** math.floor(math.log2(min(lo, 0.25)))
    x_zero, x_cap = lo / 8, CAP * 8  # where the two buckets sit on the log axis
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for dtype, v in data.items():
        x = np.where(v == 0, x_zero, np.where(v >= CAP, x_cap, v))
        y = np.arange(1, v.size + 1) / v.size
        x = np.concatenate([[x_zero / 1.5], x, [x_cap * 1.5]])
        y = np.concatenate([[0.0], y, [1.0]])
        ax.step(
            x,
            y,
            where="post",
            color=COLORS.get(dtype),
            lw=1.8,
            label=f"{dtype} (n={v.size}, median {_fmt(float(np.median(v)))}, max {_fmt(float(v[-1]))})",
        )
    ax.set_xscale("log", base=2)
    ax.set_xlim(x_zero / 1.5, x_cap * 1.5)
    ax.set_ylim(0, 1.02)
    ticks = [x_zero] + [2.0**k for k in range(int(math.log2(lo)), 21, 2)] + [x_cap]
    labels = ["0"] + [f"$2^{{{k}}}$" for k in range(int(math.log2(lo)), 21, 2)] + [r"$\geq 2^{20}$"]
    labels = [{"$2^{0}$": "1"}.get(t, t) for t in labels]
    ax.set_xticks(ticks, labels)
    ax.minorticks_off()
    for edge in (math.sqrt(x_zero * lo), math.sqrt(CAP * x_cap)):
        ax.axvline(edge, color="0.6", lw=0.8, ls=":")
    ax.axvline(0.5, color="0.3", lw=0.8, ls="--")
    ax.text(0.5, 0.03, " 0.5 ulp", color="0.3", fontsize=8, ha="left")
    ax.grid(True, which="major", alpha=0.3)
    ax.set_xlabel("worst error of a case, in ulps of the expected value")
    ax.set_ylabel("fraction of value cases")
    ax.set_title(f"{target}: accuracy per dtype (cumulative)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})  # no version stamp: same data, same bytes
    plt.close(fig)
    return buf.getvalue()


def _have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def render(out_dir: Path, measured: dict[str, Report | str]) -> str:
    mpl = _have_matplotlib()
    lines = [
        "# Accuracy",
        "",
        "How close each installed target comes to the exact result, per dtype. Generated when these docs were "
        "built, from the same full-tier runs as the [conformance matrix](conformance.md).",
        "",
        "Each case contributes its **worst error in ulps of the expected value**: the largest |computed − "
        "exact| over the elements of its output, divided by the spacing of the dtype at the correctly rounded "
        "expected value (at 0 and in the subnormal range that spacing is the smallest subnormal). A correctly "
        "rounded result is within 0.5 ulp, exactly 0 when it equals the expected value. Only values are "
        "plotted (not gradients), from cases that passed or failed as a declared deviation, and only finite "
        "errors (a NaN or infinity where a number was expected, or an exception, has none).",
        "",
        "The curves are cumulative: at x, the fraction of cases whose worst error is at most x ulps. The left "
        "bucket holds the cases with no error at all, the right one every error from 2^20 ulps on: such "
        "errors arise where the exact value is 0 or tiny, where an absolute error far below the dtype's "
        "precision is a vast number of the smallest subnormal. Ulps are a measure, not the verdict: a case "
        "passes on an absolute forward error bound derived from its inputs, see "
        "[the tolerance policy](../tolerances.md).",
        "",
    ]
    if not mpl:
        lines += [
            "```{note}",
            "matplotlib is not installed, so this build has no plots (the tables below are "
            "complete). Install the docs dependencies: `pip install 'cosine-spec[docs]'`.",
            "```",
            "",
        ]
    written = set()
    for name, report in measured.items():
        lines += [f"## {name}", ""]
        if not isinstance(report, Report):
            lines += [f"Not installed: {md_escape(report)}", ""]
            continue
        data = ulps(report)
        if mpl and data:
            png = f"accuracy-{name}.png"
            write_if_changed(out_dir / png, plot(name, data))
            written.add(png)
            lines += [
                f"![Cumulative distribution of the worst error in ulps per case of {name}, one line per dtype]({png})",
                "",
            ]
        lines += stats_table(data)
        why = excluded(report)
        parts = [
            f"{why['raises']} cases where the spec expects an exception" if why["raises"] else "",
            f"{why['empty']} with an empty output" if why["empty"] else "",
            f"{why['overflow']} that passed with an error too large to count in ulps (a tiny absolute "
            "error where the exact value is 0, whose ulp is the smallest subnormal)"
            if why["overflow"]
            else "",
            f"{why['declared']} declared deviations with no finite error (a NaN, an infinity or an exception "
            "where the spec expects a number)"
            if why["declared"]
            else "",
        ]
        if any(parts):
            lines += ["", "Not plotted: " + "; ".join(p for p in parts if p) + "."]
        lines.append("")
    for stale in out_dir.glob("accuracy-*.png"):  # a target that is no longer installed
        if stale.name not in written:
            stale.unlink()
    return "\n".join(lines).rstrip() + "\n"


def write(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_if_changed(out_dir / "accuracy.md", render(out_dir, measure()))
