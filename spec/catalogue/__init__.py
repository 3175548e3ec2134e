"""The case catalogue: named families that cover every clause, plus seeded random ones.

One module per family, named like its golden file (``seed.py`` builds ``spec/golden/seed.json``), each
with a ``cases()`` function; shared helpers live in ``build.py``. To add a family, write its module and
register it in ``FAMILIES``, then run ``cosine-spec golden``.
"""

from __future__ import annotations

from types import ModuleType

from cosine_spec.spec.catalogue import (
    axis,
    contract,
    empty,
    errors,
    geometry,
    huge,
    length,
    long,
    nonfinite,
    nonfinite_zero,
    random,
    regressions,
    seed,
    threshold,
    tiny,
    weight_values,
    weights,
    zero,
)
from cosine_spec.spec.catalogue.build import Case
from cosine_spec.spec.exact import DTYPES

# family name (= its golden file's stem) -> the module whose cases() builds it, in catalogue order
FAMILIES: dict[str, ModuleType] = {
    "seed": seed,
    "zero": zero,
    "tiny": tiny,
    "huge": huge,
    "geometry": geometry,
    "length": length,
    "axis": axis,
    "weights": weights,
    "empty": empty,
    "nonfinite": nonfinite,
    "errors": errors,
    "random": random,
    "regressions": regressions,
    "weight_values": weight_values,
    "nonfinite_zero": nonfinite_zero,
    "threshold": threshold,
    "long": long,
    "contract": contract,
}


def all_cases() -> list[Case]:
    """Every case, in a fixed order; ValueError on a duplicate id, a foreign family or an unknown dtype."""
    cases: list[Case] = []
    seen: set[str] = set()
    for family, module in FAMILIES.items():
        for c in module.cases():
            if c.family != family:
                raise ValueError(f"case {c.id}: family {c.family!r} is built by the {family!r} module")
            if c.id in seen:
                raise ValueError(f"duplicate case id {c.id}")
            if c.dtype not in DTYPES:
                raise ValueError(f"case {c.id}: dtype {c.dtype!r} is not one of {', '.join(DTYPES)}")
            seen.add(c.id)
            cases.append(c)
    return cases
