"""More families: reductions and weights, empty inputs, NaN/Inf, rejected inputs, seeded random."""

from __future__ import annotations

import math
import random

import numpy as np
from cosine_spec.spec.cases import RED_CLAUSE, REDUCTIONS, Case, arr, rand_array, rand_weights
from cosine_spec.spec.exact import DTYPES

# weight forms per loss shape: (name, clause, shape or None, scalar value or None)
INPUT_SHAPES = {"b4": ((4, 3), -1), "b3x2": ((3, 2, 5), -1), "b2x2x2": ((2, 2, 2, 3), -1), "b3x2-axis1": ((3, 4, 2), 1)}


def _weight_forms(loss_shape: tuple[int, ...]):
    if not loss_shape:
        return [("none", "CS-SW-1", None), ("scalar", "CS-SW-2", ())]
    b = loss_shape[0]
    forms = [
        ("none", "CS-SW-1", None),
        ("scalar", "CS-SW-2", ()),
        ("zero", "CS-SW-2", "zero"),
        ("batch", "CS-SW-3", (b,)),
        ("full", "CS-SW-4", loss_shape),
        ("trailing1", "CS-SW-4", loss_shape + (1,)),
    ]
    if len(loss_shape) >= 2:
        forms.append(("broadcast", "CS-SW-4", (1,) + loss_shape[1:]))
        forms.append(("leading", "CS-SW-4", loss_shape[:-1]))
    return forms


def _weight(rng: random.Random, dt: str, wshape) -> np.ndarray | None:
    """The sample_weight of a weight form: None, the scalar 0, or random weights of that shape."""
    if wshape is None:
        return None
    return arr(0.0, dt) if wshape == "zero" else rand_weights(rng, dt, wshape)


def weights() -> list[Case]:
    """Every reduction with every sample_weight form (CS-RED-1..4, CS-SW-1..4)."""
    rng, out = random.Random(707), []
    for dt in DTYPES:
        reds = REDUCTIONS if dt in ("float32", "float64") else ("none", "sum_over_batch_size")
        for label, (shape, axis) in INPUT_SHAPES.items():
            loss_shape = shape[: axis % len(shape)] + shape[axis % len(shape) + 1 :]
            for wname, clause, wshape in _weight_forms(loss_shape):
                for red in reds:
                    sw = _weight(rng, dt, wshape)
                    out.append(
                        Case(
                            f"sw-{dt}-{label}-{wname}-{red}",
                            "weights",
                            [clause, RED_CLAUSE[red]],
                            dt,
                            rand_array(rng, dt, shape),
                            rand_array(rng, dt, shape),
                            axis,
                            red,
                            sw,
                            note=f"{wname} weights on a loss of shape {loss_shape}, {red}",
                        )
                    )
    return out


def empty() -> list[Case]:
    out = []
    for dt in DTYPES:
        for shape, axis, what in (
            ((0, 3), -1, "empty batch"),
            ((3, 0), -1, "vectors of length 0"),
            ((2, 0, 3), -1, "empty loss of rank 2"),
            ((0,), 0, "one empty vector"),
        ):
            for red in REDUCTIONS:
                z = arr(np.zeros(shape), dt)
                tag = "x".join(map(str, shape))
                out.append(
                    Case(
                        f"empty-{dt}-{tag}-{red}",
                        "empty",
                        ["CS-RED-3", RED_CLAUSE[red]],
                        dt,
                        z,
                        z.copy(),
                        axis,
                        red,
                        note=f"{what}: sum and mean are 0",
                    )
                )
    return out


def nonfinite() -> list[Case]:
    rng, out = random.Random(808), []
    bad = {
        "nan-true": ("t", math.nan),
        "nan-pred": ("p", math.nan),
        "inf-true": ("t", math.inf),
        "neginf-pred": ("p", -math.inf),
    }
    for dt in DTYPES:
        for name, (side, value) in bad.items():
            for red in ("none", "sum", "sum_over_batch_size"):
                t, p = rand_array(rng, dt, (3, 4)), rand_array(rng, dt, (3, 4))
                target = t if side == "t" else p
                target[1, 2] = value
                sw = arr([1.0, 0.0, 1.0], dt) if red != "none" else None
                out.append(
                    Case(
                        f"nonfinite-{dt}-{name}-{red}",
                        "nonfinite",
                        ["CS-NAN-1", RED_CLAUSE[red]] + (["CS-NAN-2"] if red != "none" else []),
                        dt,
                        t,
                        p,
                        -1,
                        red,
                        sw,
                        note=f"{name} in sample 1 (weight 0 when reduced): NaN",
                    )
                )
    return out


def errors() -> list[Case]:
    """Inputs the spec rejects: each must raise ValueError (CS-ERR-1, CS-ERR-2, CS-RED-6, CS-SW-5)."""
    rng, out = random.Random(909), []
    for dt in ("float32", "float64", "float16", "bfloat16"):

        def r(*shape, dt=dt):
            return rand_array(rng, dt, shape)

        specs = [
            ("shape-transposed", ["CS-ERR-1", "CS-SHAPE-1"], r(2, 3), r(3, 2), {}),
            ("shape-length", ["CS-ERR-1", "CS-SHAPE-1"], r(2, 3), r(2, 4), {}),
            ("rank-mismatch", ["CS-ERR-1", "CS-SHAPE-1"], r(2), r(2, 1), {"note": "TF broadcasts this silently"}),
            ("rank-mismatch-rev", ["CS-ERR-1", "CS-SHAPE-1"], r(2, 1), r(2), {}),
            ("zero-d", ["CS-ERR-1", "CS-SHAPE-1"], arr(1.0, dt), arr(1.0, dt), {}),
            ("axis-too-big", "CS-ERR-2", r(2, 3), r(2, 3), {"axis": 2}),
            ("axis-too-small", "CS-ERR-2", r(2, 3), r(2, 3), {"axis": -3}),
            ("reduction-mean", "CS-RED-6", r(2, 3), r(2, 3), {"reduction": "mean"}),
            ("reduction-upper", "CS-RED-6", r(2, 3), r(2, 3), {"reduction": "SUM"}),
            ("reduction-empty", "CS-RED-6", r(2, 3), r(2, 3), {"reduction": ""}),
            ("sw-batch-wrong", "CS-SW-5", r(2, 3), r(2, 3), {"sw": rand_weights(rng, dt, (3,))}),
            ("sw-trailing-not-1", "CS-SW-5", r(2, 3), r(2, 3), {"sw": rand_weights(rng, dt, (2, 3))}),
            ("sw-too-many-dims", "CS-SW-5", r(2, 3), r(2, 3), {"sw": rand_weights(rng, dt, (2, 1, 1))}),
            ("sw-rank3-mismatch", "CS-SW-5", r(2, 3, 4), r(2, 3, 4), {"sw": rand_weights(rng, dt, (2, 4))}),
        ]
        for name, clause, t, p, kw in specs:
            clauses = clause if isinstance(clause, list) else [clause]
            out.append(
                Case(
                    f"error-{dt}-{name}",
                    "errors",
                    clauses,
                    dt,
                    t,
                    p,
                    kw.get("axis", -1),
                    kw.get("reduction", "sum_over_batch_size"),
                    kw.get("sw"),
                    note=kw.get("note", f"{name}: must raise ValueError"),
                    error="ValueError",
                )
            )
    return out


def randomized(count: int = 720) -> list[Case]:
    """Seeded random cases: dtype, rank, shape, axis, reduction and weight form all drawn."""
    rng, out = random.Random(1010), []
    for k in range(count):
        dt = DTYPES[k % 4]
        rank = rng.randint(1, 3)
        shape = tuple(rng.randint(1, 6) for _ in range(rank - 1)) + (rng.randint(1, 24),)
        axis = rng.randrange(-rank, rank) if rng.random() < 0.3 else -1
        red = REDUCTIONS[rng.randrange(4)]
        ax = axis % rank
        loss_shape = shape[:ax] + shape[ax + 1 :]
        wname, clause, wshape = rng.choice(_weight_forms(loss_shape))
        sw = _weight(rng, dt, wshape)
        emin, emax = rng.choice(((-2, 2), (-20, 20), (-1, 1)))
        out.append(
            Case(
                f"random-{k:04d}" + ("-wide" if emax == 20 else ""),
                "random",
                ["CS-VAL-1", RED_CLAUSE[red], clause],
                dt,
                rand_array(rng, dt, shape, emin, emax),
                rand_array(rng, dt, shape, emin, emax),
                axis,
                red,
                sw,
                note=f"seeded random: shape {shape}, axis {axis}, {red}, {wname} weights",
            )
        )
    return out


def ties() -> list[Case]:
    """Results that are exact ties between two floats: they must round half to even (CS-NUM-1)."""
    z, o = arr(np.zeros((1, 5)), "float16"), arr(np.ones((1, 5)), "float16")
    return [
        Case(
            "tiny-float16-exact-tie",
            "tiny",
            ["CS-NUM-1", "CS-VAL-4", "CS-GRAD-1"],
            "float16",
            z,
            o,
            0,
            "sum_over_batch_size",
            arr(0.25, "float16"),
            note="d/dy_true = -0.25 / 1e-6 / 5 = -50000 exactly, a float16 tie: rounds to -49984",
        ),
    ]
