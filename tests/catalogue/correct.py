"""Correct implementations written differently: each must pass `cosine-spec check` (exit 0)."""

from __future__ import annotations

from tests.catalogue.engine import Knobs, make

# float64 arithmetic, divide by max|x| first (the LAPACK nrm2 way), dot then divide, final clip.
textbook_float64 = make("textbook_float64", Knobs(work="float64", scale="max", form="divide"))
# float32 arithmetic for float16/bfloat16/float32 inputs, float64 for float64; clamp compared in float64.
textbook_native = make("textbook_native", Knobs(work="native", scale="max", form="normalize"))
# float64, exact power-of-two scaling, normalize then dot (TensorFlow's order), final clip.
pow2_scaled = make("pow2_scaled", Knobs(work="float64", scale="pow2", form="normalize"))
# x87 extended precision, no scaling at all: its exponent range holds every square of a float64.
extended_unscaled = make("extended_unscaled", Knobs(work="longdouble", scale="none", form="divide"))

# float32 arithmetic for half and single inputs, power-of-two scaling, dot then divide (the identity relation's
# other algorithm family: the dot product and the squared norm share their rounding errors).
native_pow2_divide = make("native_pow2_divide", Knobs(work="native", scale="pow2", form="divide"))

CORRECT = [textbook_float64, textbook_native, pow2_scaled, extended_unscaled, native_pow2_divide]
