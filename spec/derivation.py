"""Symbolic derivation of the gradients (CS-GRAD-1) with sympy, and an independent mpmath evaluator.

The per-sample value of CS-VAL-1 depends on a vector pair only through the three sums
``S_tp = t.p``, ``S_tt = t.t`` and ``S_pp = p.p``. With the clamp written as a Piecewise that keeps
``S`` when ``S >= eps`` (TensorFlow's Maximum gradient flows to its first argument on ties), the chain
rule gives ``dv/dp_j = dv/dS_tp * t_j + dv/dS_pp * 2 p_j``. :func:`derive` lets sympy do the
differentiation; :func:`factored_form_holds` proves that the result equals the factored form
``(-t_j + [S_pp >= eps] * S_tp * p_j / B) / sqrt(A B)`` that the exact oracle evaluates.

:func:`evaluate_mpmath` is the straightforward evaluation of the clause formula in mpmath at a
given precision: the oracle's cross-check and the benchmark's naive baseline. It shares no code with
the exact oracle beyond the argument rules of ``spec/shapes.py``.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

EPS = sp.Rational(1, 10**12)
S_tp, S_tt, S_pp = sp.symbols("S_tp S_tt S_pp", real=True)
t_j, p_j = sp.symbols("t_j p_j", real=True)


def clamp(s: sp.Expr) -> sp.Expr:
    """max(s, eps) with the tie going to s, as TensorFlow's Maximum gradient does."""
    return sp.Piecewise((s, s >= EPS), (EPS, True))


def value_expr() -> sp.Expr:
    """CS-VAL-1 in terms of the sums: -S_tp / (sqrt(max(S_tt, eps)) * sqrt(max(S_pp, eps)))."""
    return -S_tp / (sp.sqrt(clamp(S_tt)) * sp.sqrt(clamp(S_pp)))


@cache
def derive() -> tuple[sp.Expr, sp.Expr]:
    """(dv/dt_j, dv/dp_j) by the chain rule through the three sums, differentiated by sympy."""
    v = value_expr()
    d_t = sp.diff(v, S_tp) * p_j + sp.diff(v, S_tt) * 2 * t_j
    d_p = sp.diff(v, S_tp) * t_j + sp.diff(v, S_pp) * 2 * p_j
    return sp.piecewise_fold(d_t), sp.piecewise_fold(d_p)


def factored(flows_t: bool, flows_p: bool) -> tuple[sp.Expr, sp.Expr]:
    """The oracle's factored form on one branch of each clamp."""
    a = S_tt if flows_t else EPS
    b = S_pp if flows_p else EPS
    root = sp.sqrt(a) * sp.sqrt(b)
    d_t = (-p_j + (S_tp * t_j / a if flows_t else 0)) / root
    d_p = (-t_j + (S_tp * p_j / b if flows_p else 0)) / root
    return d_t, d_p


def factored_form_holds() -> bool:
    """True when sympy's derivative equals the factored form on all four branch combinations."""
    d_t, d_p = derive()
    for flows_t in (True, False):
        for flows_p in (True, False):
            # pick a point of the branch to select the Piecewise arm, keep the sums symbolic otherwise
            subs = {}
            pos = sp.Symbol("pos", positive=True)
            subs[S_tt] = (EPS + pos) if flows_t else EPS / (1 + pos)
            subs[S_pp] = (EPS + pos) if flows_p else EPS / (1 + pos)
            f_t, f_p = factored(flows_t, flows_p)
            for got, want in ((d_t, f_t), (d_p, f_p)):
                if sp.simplify(got.subs(subs) - want.subs(subs)) != 0:
                    return False
    return True


@cache
def _lambdified():
    import mpmath

    d_t, d_p = derive()
    args = (S_tp, S_tt, S_pp, t_j, p_j)
    return (
        sp.lambdify(args, value_expr(), modules="mpmath"),
        sp.lambdify(args, d_t, modules=[{"Piecewise": _mp_piecewise}, "mpmath"]),
        sp.lambdify(args, d_p, modules=[{"Piecewise": _mp_piecewise}, "mpmath"]),
        mpmath,
    )


def _mp_piecewise(*pairs):
    for expr, cond in pairs:
        if cond:
            return expr
    raise ValueError("no Piecewise branch applies")


def evaluate_mpmath(
    y_true,
    y_pred,
    sample_weight=None,
    *,
    axis=-1,
    reduction="sum_over_batch_size",
    dtype="float32",
    dps=50,
    gradients=False,
):
    """Naive evaluation at ``dps`` decimal digits: (values as mpf, shape, gradients or None)."""
    from cosine_spec.spec import shapes

    call = shapes.canonical(y_true, y_pred, sample_weight, axis=axis, reduction=reduction, dtype=dtype)
    value, grad_t, grad_p, mpmath = _lambdified()
    with mpmath.workdps(dps):
        mpf = mpmath.mpf
        rows = []
        for t_row, p_row in zip(call.t.tolist(), call.p.tolist(), strict=True):
            t, p = [mpf(x) for x in t_row], [mpf(y) for y in p_row]  # mpf everywhere: no float64 rounding
            st = mpmath.fsum(x * y for x, y in zip(t, p, strict=True))
            tt = mpmath.fsum(x * x for x in t)
            pp = mpmath.fsum(y * y for y in p)
            rows.append((st, tt, pp, t, p))
        n = max(len(rows), 1) if call.reduction in ("auto", "sum_over_batch_size") else 1
        weighted = [
            mpf(w) * value(st, tt, pp, 0, 0) for w, (st, tt, pp, _, _) in zip(call.w.tolist(), rows, strict=True)
        ]
        if call.reduction == "none":
            values = weighted
        else:
            values = [mpmath.fsum(weighted) / n if rows else mpf(0)]
        grads = None
        if gradients:
            gt = [
                [mpf(w) / n * grad_t(st, tt, pp, x, y) for x, y in zip(t, p, strict=True)]
                for w, (st, tt, pp, t, p) in zip(call.w.tolist(), rows, strict=False)
            ]
            gp = [
                [mpf(w) / n * grad_p(st, tt, pp, x, y) for x, y in zip(t, p, strict=True)]
                for w, (st, tt, pp, t, p) in zip(call.w.tolist(), rows, strict=False)
            ]
            grads = (gt, gp)
    return values, call, grads
