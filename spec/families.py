"""Case families of the catalogue (``spec/cases.py``). Each function returns the cases of one family."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
from cosine_spec.spec.cases import RED_CLAUSE, Case, arr, rand_array, rand_value
from cosine_spec.spec.exact import DTYPES, FORMATS, round_fraction, round_to_dtype

SEED_T, SEED_P = [[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]


def rounded(values, dtype: str, shape=None) -> np.ndarray:
    """Values rounded to ``dtype`` with the oracle's own exact rounding (no library rounding)."""
    a = round_to_dtype(np.array(values, dtype=np.float64), FORMATS[dtype])
    return arr(a, dtype, shape)


def seed() -> list[Case]:
    out = []
    for dt in DTYPES:
        t, p = arr(SEED_T, dt), arr(SEED_P, dt)
        sfx = "" if dt == "float32" else f"-{dt}"
        out += [
            Case(
                f"seed-ex1-auto{sfx}",
                "seed",
                ["CS-EX-1", "CS-RED-4", "CS-VAL-1"],
                dt,
                t,
                p,
                1,
                "auto",
                note="seed example 1: auto reduction gives -0.5",
            ),
            Case(
                f"seed-ex2-weights{sfx}",
                "seed",
                ["CS-EX-2", "CS-SW-3", "CS-SW-6"],
                dt,
                t,
                p,
                1,
                "auto",
                rounded([0.8, 0.2], dt),
                note="seed example 2: sample_weight [0.8, 0.2] gives -0.1",
            ),
            Case(
                f"seed-ex3-sum{sfx}",
                "seed",
                ["CS-EX-3", "CS-RED-2"],
                dt,
                t,
                p,
                1,
                "sum",
                note="seed example 3: sum reduction gives -1",
            ),
            Case(
                f"seed-ex4-none{sfx}",
                "seed",
                ["CS-EX-4", "CS-RED-1"],
                dt,
                t,
                p,
                1,
                "none",
                note="seed example 4: none reduction gives [0, -1]",
            ),
            Case(
                f"seed-defaults{sfx}",
                "seed",
                ["CS-API-1", "CS-API-2", "CS-AX-1", "CS-SHAPE-1"],
                dt,
                arr(SEED_T, dt),
                arr(SEED_P, dt),
                note="the defaults axis=-1 and auto: here the same as axis=1",
            ),
        ]
    return out


def zero() -> list[Case]:
    rng, out = random.Random(101), []
    for dt in DTYPES:
        for d in (1, 2, 5, 64):
            for red in ("none", "sum", "sum_over_batch_size"):
                r = rand_array(rng, dt, (2, d))
                z = np.zeros(d)
                negz = -np.zeros(d)
                t = arr(np.stack([z, r[0], z, negz, r[1]]), dt)
                p = arr(np.stack([r[1], z, z, r[0], r[0]]), dt)
                out.append(
                    Case(
                        f"zero-{dt}-d{d}-{red}",
                        "zero",
                        ["CS-VAL-4", "CS-VAL-5", "CS-NUM-2", RED_CLAUSE[red]],
                        dt,
                        t,
                        p,
                        -1,
                        red,
                        note="zero (and -0) vectors on either or both sides give 0",
                    )
                )
    return out


def _boundary_scalars(dt: str) -> list[tuple[str, float]]:
    """One-element vectors whose square lies just below and just above 1e-12 in ``dt``."""
    fmt, eps = FORMATS[dt], Fraction(1, 10**12)
    x = round_fraction(Fraction(1, 10**6), fmt)
    step = math.ldexp(1.0, max(math.frexp(x)[1] - fmt.p, fmt.emin - fmt.p + 1))  # ulp, subnormals too
    while Fraction(x) ** 2 >= eps:
        x -= step
    return [("just-below", x), ("just-above", x + step)]


def tiny() -> list[Case]:
    rng, out = random.Random(202), []
    ratios = [1e-4, 0.1, 0.5, 0.9, 0.99, 0.999, 1.001, 1.01, 1.1, 2.0, 10.0, 1e4]
    for dt in DTYPES:
        for k, ratio in enumerate(ratios):
            for side in ("true", "pred", "both"):
                d = 1 + k % 4
                small = _tiny(ratio * 1e-12, dt, d, rng)
                big = rand_array(rng, dt, (d,))
                t = small if side in ("true", "both") else big
                p = small if side == "pred" else (_tiny(ratio * 1e-12, dt, d, rng) if side == "both" else big)
                red = ("none", "sum")[k % 2]
                out.append(
                    Case(
                        f"tiny-{dt}-r{k}-{side}",
                        "tiny",
                        ["CS-VAL-5", "CS-VAL-1", RED_CLAUSE[red]],
                        dt,
                        t[None],
                        p[None],
                        -1,
                        red,
                        note=f"squared norm about {ratio:g} * 1e-12 on the {side} side",
                    )
                )
        for label, x in _boundary_scalars(dt):
            for side in ("true", "pred"):
                one = arr([[x]], dt)
                other = rounded([[0.75]], dt)
                t, p = (one, other) if side == "true" else (other, one)
                out.append(
                    Case(
                        f"tiny-{dt}-{label}-{side}",
                        "tiny",
                        ["CS-VAL-5", "CS-GRAD-1"],
                        dt,
                        t,
                        p,
                        -1,
                        "sum",
                        note=f"x**2 {label.replace('-', ' ')} 1e-12: the clamp boundary",
                    )
                )
        sub = math.ldexp(1.0, FORMATS[dt].emin - 2)  # a subnormal of the dtype
        out.append(
            Case(
                f"tiny-{dt}-subnormal-input",
                "tiny",
                ["CS-VAL-5", "CS-NUM-1"],
                dt,
                arr([[sub, 0.0]], dt),
                arr([[1.0, 0.0]], dt),
                -1,
                "none",
                note="a subnormal input is scaled by 1e6, not flushed to 0",
            )
        )
        for x, want in ((1e-7, "-0.1"), (5e-7, "-0.5")):
            out.append(
                Case(
                    f"tiny-{dt}-doc-{x:g}",
                    "tiny",
                    ["CS-VAL-5"],
                    dt,
                    rounded([[x, 0.0]], dt),
                    arr([[1.0, 0.0]], dt),
                    -1,
                    "none",
                    note=f"[{x:g}, 0] vs [1, 0] gives about {want}",
                )
            )
    return out


def _tiny(scale2: float, dt: str, d: int, rng: random.Random) -> np.ndarray:
    direction = [rand_value(rng, "float64", 0, 0) for _ in range(d)]
    norm = math.sqrt(math.fsum(x * x for x in direction))
    return rounded([x / norm * math.sqrt(scale2) for x in direction], dt)


def huge() -> list[Case]:
    """Magnitudes near overflow and in the subnormal range (CS-VAL-6: scaling does not matter)."""
    rng, out = random.Random(303), []
    for dt in DTYPES:
        fmt = FORMATS[dt]
        big = math.ldexp(1.0, fmt.emax) * (2 - math.ldexp(1.0, 1 - fmt.p))  # the largest finite
        scales = [
            ("max", fmt.emax),
            ("half", fmt.emax - 1),
            ("sqrtmax", fmt.emax // 2 + 1),
            ("minnormal", fmt.emin),
            ("subnormal", fmt.emin - fmt.p + 3),
        ]
        for name, e in scales:
            base = rand_array(rng, dt, (3,), 0, 0)
            dirn = rand_array(rng, dt, (3,), 0, 0)
            for kind, t0, p0 in (("parallel", base, base), ("antiparallel", base, -base), ("random", base, dirn)):
                t = _scaled(t0, e - 1, dt)
                p = _scaled(p0, e - 1 - (1 if kind == "random" else 0), dt)
                clauses = ["CS-VAL-6", "CS-NUM-1"] + (["CS-VAL-3"] if kind != "random" else [])
                out.append(
                    Case(
                        f"huge-{dt}-{name}-{kind}",
                        "huge",
                        clauses,
                        dt,
                        t[None],
                        p[None],
                        -1,
                        "none",
                        note=f"magnitudes about 2**{e}: {kind}",
                    )
                )
        out.append(
            Case(
                f"huge-{dt}-largest",
                "huge",
                ["CS-VAL-6", "CS-VAL-3"],
                dt,
                arr([[big, big]], dt),
                arr([[big, -big]], dt),
                -1,
                "none",
                note="the largest finite values: orthogonal",
            )
        )
    out.append(
        Case(
            "huge-float32-1e20",
            "huge",
            ["CS-VAL-6", "CS-VAL-3"],
            "float32",
            rounded([[1e20, 0.0]], "float32"),
            rounded([[1e20, 0.0]], "float32"),
            -1,
            "none",
            note="squared norm beyond float32's range; the exact value is -1",
        )
    )
    return out


def _scaled(x: np.ndarray, e: int, dt: str) -> np.ndarray:
    """x * 2**e rounded to ``dt`` exactly (the subnormal range loses bits: rounded once, here)."""
    fmt = FORMATS[dt]
    return arr([round_fraction(Fraction(v) * Fraction(2) ** e, fmt) for v in x.astype(np.float64).tolist()], dt)


FAMILIES = (
    "seed",
    "zero",
    "tiny",
    "huge",
    "geometry",
    "length",
    "axis",
    "weights",
    "empty",
    "nonfinite",
    "errors",
    "random",
)


def all_cases() -> list[Case]:
    from cosine_spec.spec import families_geometry as geo
    from cosine_spec.spec import families_more as more
    from cosine_spec.spec import families_oracle

    return (
        seed()
        + zero()
        + tiny()
        + more.ties()
        + huge()
        + geo.geometry()
        + geo.lengths()
        + geo.axes()
        + more.weights()
        + more.empty()
        + more.nonfinite()
        + more.errors()
        + more.randomized()
        + families_oracle.oracle_regressions()
    )
