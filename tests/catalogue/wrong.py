"""Deliberately wrong implementations, each named for its bug; `WRONG` pairs each with the clause that
must catch it. Every name is importable, so each also works as a `MODULE:ATTR` target."""

from __future__ import annotations

import numpy as np

from tests.catalogue.engine import Knobs, make

wrong_sign = make("wrong_sign", Knobs(sign=1.0))
epsilon_on_norm = make("epsilon_on_norm", Knobs(clamp="norm"))
epsilon_1e7_on_squared_norm = make("epsilon_1e7_on_squared_norm", Knobs(eps=1e-7))
no_epsilon = make("no_epsilon", Knobs(clamp="none"))
divides_by_batch_size = make("divides_by_batch_size", Knobs(sobs_divisor="batch"))
float32_math_for_float64 = make("float32_math_for_float64", Knobs(work="float32", scale="pow2"))
ignores_scalar_weight = make("ignores_scalar_weight", Knobs(ignore_scalar_weight=True))
weights_trailing_alignment = make("weights_trailing_alignment", Knobs(weight_align="trailing"))
always_float32_result = make("always_float32_result", Knobs(result_dtype="float32"))
nan_swallowed = make("nan_swallowed", Knobs(nan_to_num=True))
gradient_without_projection = make("gradient_without_projection", Knobs(grad_projection=False))
no_clip_overshoot = make("no_clip_overshoot", Knobs(clip=False, overshoot=True))
sum_for_auto = make("sum_for_auto", Knobs(auto_as="sum"))
mean_for_none = make("mean_for_none", Knobs(none_as="mean"))
zero_vector_nan = make("zero_vector_nan", Knobs(zero_nan=True))
axis_ignored = make("axis_ignored", Knobs(fixed_axis=True))
no_shape_check_broadcasts = make("no_shape_check_broadcasts", Knobs(check_shapes=False))
gradient_clamp_inverted = make("gradient_clamp_inverted", Knobs(grad_clamp_inverted=True))
unknown_reduction_is_sum = make("unknown_reduction_is_sum", Knobs(check_reduction=False))
float32_math_no_scaling = make("float32_math_no_scaling", Knobs(work="native", scale="none"))
# The tolerance for long 16-bit vectors: with the dtype's own u the bound exceeded 1 and passed these.
sums_in_half_precision = make("sums_in_half_precision", Knobs(work="input"))
sign_flipped_on_long_half_vectors = make("sign_flipped_on_long_half_vectors", Knobs(flip_long_16bit=True))
# Gaps of issue 8 (item 4): each needs the golden family named in its comment.
epsilon_as_float32 = make("epsilon_as_float32", Knobs(eps=float(np.float32(1e-12))))  # threshold
weights_not_rounded = make("weights_not_rounded", Knobs(round_weights=False))  # contract (float64 weights)
weighted_sum_overflows = make("weighted_sum_overflows", Knobs(scaled_sum=False))  # weight_values (large)
zero_vector_before_nan = make("zero_vector_before_nan", Knobs(zero_first=True))  # nonfinite_zero

WRONG = [  # (implementation, a clause the harness must name among the failed ones)
    (epsilon_as_float32, "CS-VAL-5"),
    (weights_not_rounded, "CS-SW-6"),
    (weighted_sum_overflows, "CS-RED-3"),  # the reduction overflows where the exact sum does not
    (zero_vector_before_nan, "CS-NAN-1"),
    (wrong_sign, "CS-VAL-1"),
    (epsilon_on_norm, "CS-VAL-5"),
    (epsilon_1e7_on_squared_norm, "CS-VAL-5"),
    (no_epsilon, "CS-VAL-4"),
    (divides_by_batch_size, "CS-RED-3"),
    (float32_math_for_float64, "CS-VAL-1"),
    (ignores_scalar_weight, "CS-SW-2"),
    (weights_trailing_alignment, "CS-SW-3"),
    (always_float32_result, "CS-OUT-1"),
    (nan_swallowed, "CS-NAN-1"),
    (gradient_without_projection, "CS-GRAD-1"),
    (no_clip_overshoot, "CS-VAL-2"),
    (sum_for_auto, "CS-RED-4"),
    (mean_for_none, "CS-RED-1"),
    (zero_vector_nan, "CS-VAL-4"),
    (axis_ignored, "CS-AX-1"),
    (no_shape_check_broadcasts, "CS-ERR-1"),
    (gradient_clamp_inverted, "CS-GRAD-1"),
    (unknown_reduction_is_sum, "CS-RED-6"),
    (float32_math_no_scaling, "CS-VAL-6"),
    (sums_in_half_precision, "CS-VAL-1"),
    (sign_flipped_on_long_half_vectors, "CS-VAL-1"),
]
