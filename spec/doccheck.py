"""A doctest output checker that reads each expected number to the precision it is written in.

The rule (spec section "How numbers are compared in the examples"; used for CS-EX-1..CS-EX-4):

1. Scalar wrappers such as ``np.float32(-0.49999997)`` are replaced by the bare number, in both texts.
2. Decimal numbers (with a decimal point or an exponent; see ``NUMBER_RE``) are taken out of both texts and
   replaced by a placeholder; whitespace next to a number is dropped (numpy pads array columns).
3. The masked texts must match under doctest's usual rules (with the run's option flags).
4. Both texts must hold the same count of numbers, and each expected number ``want`` accepts the actual
   number ``got`` at the same position when ``|got - want| <= 10**(e - d)``: one unit in the last written
   digit, where ``d`` counts the digits after the point and ``e`` is the written exponent. A number written
   without fractional digits (``-0.``, ``2.``, ``1e-07``) must match exactly. All of this is done in exact
   decimal arithmetic, so ``-0.999`` accepts ``-1.0`` and ``-0.99999994``; ``-0.`` equals ``0.``.

TensorFlow's doc checker (tensorflow/tools/docs/tf_doctest_lib.py) instead accepts ``np.allclose`` with
``rtol=1e-3, atol=1e-3`` for every number; ours ties the tolerance to the digits written.

Run as ``python -m cosine_spec.spec.doccheck FILE...`` to check Markdown files; exit status 1 on failure.
"""

from __future__ import annotations

import doctest
import re
import sys
from decimal import Decimal
from pathlib import Path

NUMBER_RE = re.compile(r"(?<![\w.])[-+]?(?P<int>\d+)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[-+]?\d+))?(?![\w.])")
SCALAR_WRAPPER_RE = re.compile(r"\bnp\.(?:float|int|uint|bfloat|longdouble|double|single|half)\w*\(([^()]*)\)")
PLACEHOLDER = "<number>"


def _is_decimal(m: re.Match[str]) -> bool:
    return m["frac"] is not None or m["exp"] is not None


def split_numbers(text: str) -> tuple[str, list[str]]:
    """Return ``text`` with scalar wrappers removed and decimal numbers masked, and the numbers found."""
    text = SCALAR_WRAPPER_RE.sub(r"\1", text)
    numbers: list[str] = []

    def mask(m: re.Match[str]) -> str:
        if not _is_decimal(m):
            return m[0]  # integers (shapes, counts) stay text and compare exactly
        numbers.append(m[0])
        return PLACEHOLDER

    masked = NUMBER_RE.sub(mask, text)
    masked = re.sub(rf"\s*{re.escape(PLACEHOLDER)}[ \t]*", PLACEHOLDER, masked)
    return masked, numbers


def tolerance(written: str) -> Decimal:
    """One unit in the last written digit of ``written``; 0 when it has no fractional digit."""
    m = NUMBER_RE.fullmatch(written)
    if m is None:
        raise ValueError(f"Got {written!r}, which is not a decimal number such as '-0.0999' or '1e-07'.")
    digits = len(m["frac"] or "")
    if digits == 0:
        return Decimal(0)
    return Decimal(1).scaleb(int(m["exp"] or 0) - digits)


def number_matches(want: str, got: str) -> bool:
    """True when the actual number ``got`` is within ``tolerance(want)`` of ``want`` (exact arithmetic)."""
    return abs(Decimal(got) - Decimal(want)) <= tolerance(want)


def explain(want: str, got: str) -> str | None:
    """Why the numbers of ``got`` do not match those of ``want``, or None when they do."""
    _, wants = split_numbers(want)
    _, gots = split_numbers(got)
    if len(wants) != len(gots):
        return f"expected {len(wants)} numbers {wants}, got {len(gots)} numbers {gots}"
    for i, (w, g) in enumerate(zip(wants, gots, strict=True)):
        if not number_matches(w, g):
            return f"number {i}: got {g}, expected {w} within {tolerance(w)} (one unit in its last digit)"
    return None


class NumberChecker(doctest.OutputChecker):
    """Compare outputs with numbers read to the digits written (rule in the module docstring)."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        want_text, wants = split_numbers(want)
        got_text, gots = split_numbers(got)
        if not super().check_output(want_text, got_text, optionflags):
            return False
        if len(wants) != len(gots):
            return False
        return all(number_matches(w, g) for w, g in zip(wants, gots, strict=True))

    def output_difference(self, example: doctest.Example, got: str, optionflags: int) -> str:
        text = super().output_difference(example, got, optionflags)
        why = explain(example.want, got)
        return text + (f"Numbers: {why}\n" if why else "")


def run_file(path: str | Path, verbose: bool = False) -> doctest.TestResults:
    """Run the doctests of one Markdown or text file with ``NumberChecker``; return (failed, attempted)."""
    path = Path(path)
    test = doctest.DocTestParser().get_doctest(
        path.read_text(encoding="utf-8"), {"__name__": "__main__"}, path.name, str(path), 0
    )
    runner = doctest.DocTestRunner(checker=NumberChecker(), verbose=verbose)
    runner.run(test)
    return runner.summarize(verbose=verbose)


def main(argv: list[str] | None = None) -> int:
    """Command line: run every file given; print a summary line per file; 0 when all examples pass."""
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m cosine_spec.spec.doccheck FILE...", file=sys.stderr)
        return 2
    failed = 0
    for p in paths:
        result = run_file(p)
        print(f"{p}: {result.attempted} examples, {result.failed} failed")
        failed += result.failed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
