"""Writes docs/_generated/derivation.md: the oracle's formulas and gradients, typeset by sympy itself.

Run by docs/conf.py at build time, so the published derivation is the one the oracle is tested against
(``spec/derivation.py``), never a hand copy.
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp
from cosine_spec.spec import derivation as d


def _block(expr) -> str:
    return f"$$\n{sp.latex(expr)}\n$$"


def render() -> str:
    d_t, d_p = d.derive()
    f_t, f_p = d.factored(True, True)
    c_t, c_p = d.factored(True, False)
    return (
        "\n\n".join(
            [
                "# How the oracle computes",
                "This page is generated from `spec/derivation.py` when the docs are built.",
                "## The value (CS-VAL-1)",
                "A sample enters only through three exact sums, $S_{tp} = t \\cdot p$, $S_{tt} = t \\cdot t$ and "
                "$S_{pp} = p \\cdot p$. With the clamp written as a Piecewise whose tie goes to the sum "
                "(TensorFlow's Maximum gradient uses greater-or-equal):",
                _block(sp.Eq(sp.Symbol("v"), d.value_expr())),
                "## The gradients (CS-GRAD-1), as sympy derives them",
                "By the chain rule through the sums, $\\partial v / \\partial t_j = \\partial v/\\partial S_{tp}\\, p_j"
                " + 2\\, \\partial v/\\partial S_{tt}\\, t_j$ and likewise for $p_j$. Sympy's result:",
                _block(sp.Eq(sp.Symbol("\\partial v / \\partial t_j"), d_t)),
                _block(sp.Eq(sp.Symbol("\\partial v / \\partial p_j"), d_p)),
                "## The factored form the oracle evaluates",
                "With $A = \\max(S_{tt}, 10^{-12})$ and $B = \\max(S_{pp}, 10^{-12})$, on the branch where both sums "
                "reach the epsilon:",
                _block(sp.Eq(sp.Symbol("\\partial v / \\partial t_j"), f_t)),
                _block(sp.Eq(sp.Symbol("\\partial v / \\partial p_j"), f_p)),
                "and where $S_{pp} < 10^{-12}$ (the map is $p \\mapsto 10^6 p$, so no projection term):",
                _block(sp.Eq(sp.Symbol("\\partial v / \\partial p_j"), c_p)),
                "`tests/test_oracle.py` has sympy prove the two forms equal on all four branch combinations, and "
                "checks the lambdified gradient against `mpmath.diff` at 50 digits.",
                "## Why every golden number is correctly rounded",
                "- The sums are exact: every float is an integer times a power of two, products of mantissas are "
                "summed in int64 limbs that cannot overflow and then in Python integers.\n"
                "- The numerator of each output is exact: the weighted sum's coefficients $w_i S_{tp,i} / N$ and the "
                "gradient's $w (S_{tp} p_j / B - t_j) / N$ are rationals, so cancellation cannot fake a value.\n"
                "- The one irrational step, $\\sqrt{AB}$, is enclosed between two rationals by an integer square root "
                "at a working precision of the target's bits plus 64.\n"
                "- Both ends of the resulting interval are rounded to the dtype (half to even); if they agree, that is "
                "the correctly rounded result (Ziv's test), otherwise the precision doubles. Golden generation "
                "repeats every rounding at twice the precision and demands the same answer.",
            ]
        )
        + "\n"
    )


def write(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "derivation.md"
    text = render()
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
