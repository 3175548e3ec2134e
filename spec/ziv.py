"""Ziv's rounding test on exact rational enclosures: the proof step of the oracle's exact path.

An output of ``spec/oracle.py`` is a sum of terms ``c / sqrt(x)`` with exact rationals ``c`` and ``x``.
Each square root is enclosed between two rationals from an integer square root at ``prec`` bits; when
both ends of the enclosure of the sum round to the same float, that float is the correctly rounded
result, otherwise the precision doubles. Sums whose irrational parts may cancel are regrouped by square
class first, so that exact zeros and exact ties are recognised instead of refined forever.
"""

from __future__ import annotations

from cosine_spec.spec.exact import Format, isqrt, round_enclosure, round_fraction
from cosine_spec.spec.exact import Rational as Fraction  # gmpy2.mpq, or fractions.Fraction

START_PREC = 64  # guard bits above the target precision at the first attempt
MAX_PREC = 1 << 16


class OracleError(RuntimeError):
    """The oracle could not prove a rounding; never silently returns a value it has not proven."""


def sqrt_enclosure(x: Fraction, prec: int) -> tuple[Fraction, Fraction]:
    """lo <= sqrt(x) <= hi with hi - lo <= 2**-prec * sqrt(x) (x > 0); lo == hi when the root is rational.

    A rational root (e.g. sqrt(1e-12) = 1e-6, which no power-of-two scaling makes an integer) is returned
    exactly, so an exactly representable tie is rounded half to even instead of refined forever.
    """
    num, den = x.numerator, x.denominator
    rn, rd = isqrt(num), isqrt(den)
    if rn * rn == num and rd * rd == den:
        root = Fraction(rn, rd)
        return root, root
    shift = max(0, prec - floor_half_log2(x)) + 2
    scaled = x * (1 << (2 * shift))
    r = isqrt(scaled.numerator // scaled.denominator)
    denom = 1 << shift
    if r * r * scaled.denominator == scaled.numerator:
        return Fraction(r, denom), Fraction(r, denom)
    return Fraction(r, denom), Fraction(r + 1, denom)


def floor_half_log2(x: Fraction) -> int:
    return (x.numerator.bit_length() - x.denominator.bit_length()) // 2


def combine(terms: list[tuple[Fraction, Fraction, Fraction]]) -> tuple[Fraction, Fraction]:
    """Enclose sum(c * q / r) over terms (c, q exact; r in [r_lo, r_hi] with r_lo > 0), as (lo, hi)."""
    lo = hi = Fraction(0)
    for cq, r_lo, r_hi in terms:
        if cq > 0:
            lo, hi = lo + cq / r_hi, hi + cq / r_lo
        elif cq < 0:
            lo, hi = lo + cq / r_lo, hi + cq / r_hi
    return lo, hi


def prove(build, fmt: Format, verify: bool, digits: bool = False, regroup=None) -> tuple[float, str | None]:
    """Run ``build(prec) -> (lo, hi)`` at rising precision until Ziv's test decides the rounding.

    With ``digits`` the 40-digit decimal string must be decided too: both ends of the enclosure must give
    the same string (the decimal analogue of Ziv's test), from at least DIGITS_PREC bits. ``regroup()``, if
    given, is called once when the first attempt does not decide: it returns an exact value (a rational,
    when the irrational parts cancel) or a new, cancellation-free ``build``.
    """
    prec = max(fmt.p + START_PREC, DIGITS_PREC if digits else 0)
    while prec <= MAX_PREC:
        lo, hi = build(prec)
        value = round_enclosure(lo, hi, fmt)
        text = None
        if value is not None and digits:
            text = _digits(lo)
            if text != _digits(hi):
                value = None
        if value is not None:
            if verify:
                lo2, hi2 = build(2 * prec)
                if round_enclosure(lo2, hi2, fmt) != value:
                    raise OracleError(f"second evaluation at {2 * prec} bits rounds differently")
            return value, text
        if regroup is not None:
            grouped, regroup = regroup(), None
            if not callable(grouped):
                return round_fraction(grouped, fmt), (_digits(grouped) if digits else None)
            build = grouped
            continue
        prec *= 2
    raise OracleError(f"rounding not decided at {MAX_PREC} bits")


DIGITS = 40
DIGITS_PREC = 160  # bits of the enclosure the decimal digits are read from (40 digits need 133)


def _digits(q: Fraction) -> str:
    """``q`` to 40 significant decimal digits, half to even, as ``-d.ddd...e+XX``; exact integer work."""
    if q == 0:
        return "0"
    sign, a = ("-", -q) if q < 0 else ("", q)
    e = int((a.numerator.bit_length() - a.denominator.bit_length()) * 0.30102999566398)  # ~log10
    while a >= Fraction(10) ** (e + 1):
        e += 1
    while a < Fraction(10) ** e:
        e -= 1
    scaled = a * Fraction(10) ** (DIGITS - 1 - e)
    m, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r > scaled.denominator or (2 * r == scaled.denominator and m & 1):
        m += 1
    if m == 10**DIGITS:
        m, e = m // 10, e + 1
    text = str(m)
    return f"{sign}{text[0]}.{text[1:]}e{e:+03d}"


def merge_equal(terms):
    """Terms c / sqrt(x) with equal x merged exactly; zero coefficients dropped."""
    merged: dict = {}
    for c, x in terms:
        if c != 0:
            merged[x] = merged.get(x, Fraction(0)) + c
    return [(c, x) for x, c in merged.items() if c != 0]


def _rational_sqrt(q: Fraction) -> Fraction | None:
    """The exact square root of ``q >= 0`` if it is rational, else None."""
    rn, rd = isqrt(q.numerator), isqrt(q.denominator)
    return Fraction(rn, rd) if rn * rn == q.numerator and rd * rd == q.denominator else None


def square_classes(terms):
    """Regroup sum(c / sqrt(x)) by square class: x_j = x_i * r**2 gives c_j / sqrt(x_j) = (c_j / r) / sqrt(x_i).

    Square roots of rationals from distinct square classes are linearly independent over the rationals
    (Besicovitch), so after regrouping the sum is zero exactly when no class is left, rational exactly when
    only the class of perfect squares is left, and otherwise irrational: never an exact tie, so Ziv's test
    terminates. Returns the exact rational in the first two cases, else a ``build`` over the classes.
    """
    classes: list[list] = []  # [representative x, summed coefficient]
    for c, x in terms:
        for entry in classes:
            r = _rational_sqrt(x / entry[0])
            if r is not None:
                entry[1] += c / r
                break
        else:
            classes.append([x, c])
    live = [(c, x) for x, c in classes if c != 0]
    if not live:
        return Fraction(0)
    if len(live) == 1 and (root := _rational_sqrt(live[0][1])) is not None:
        return live[0][0] / root

    def build(prec):
        return combine([(c, *sqrt_enclosure(x, prec)) for c, x in live])

    return build


def round_quotients(qs: list[Fraction], x: Fraction, fmt: Format, verify: bool) -> list[float]:
    """Correctly rounded q / sqrt(x) for each q, sharing one square-root enclosure per precision."""
    out = [0.0] * len(qs)
    pending = [j for j, q in enumerate(qs) if q != 0]
    prec = fmt.p + START_PREC
    while pending:
        if prec > MAX_PREC:
            raise OracleError(f"gradient rounding not decided at {MAX_PREC} bits")
        enclosure = sqrt_enclosure(x, prec)
        check = sqrt_enclosure(x, 2 * prec) if verify else None
        undecided = []
        for j in pending:
            value = round_enclosure(*combine([(qs[j], *enclosure)]), fmt)
            if value is None:
                undecided.append(j)
                continue
            if check and round_enclosure(*combine([(qs[j], *check)]), fmt) != value:
                raise OracleError(f"second evaluation at {2 * prec} bits rounds differently")
            out[j] = value
        pending, prec = undecided, 2 * prec
    return out
