"""cosine_spec.impl.fast: the same loss as ``cosine_spec.impl.reference``, correctly rounded and fast.

The same public API (``loss``, ``loss.grad``, ``loss.value_and_grad``, ``CosineSimilarity``, ``Reduction``,
``CosineSimilarityError``) and the same argument checks (it calls the readable implementation's); what
differs is the arithmetic:

- ``double_double``: error-free transformations (TwoSum, TwoProduct) and the few double-double operations;
- ``cosines``: the per-sample cosines and their gradients over ``(rows, d)`` blocks, double-double for
  float64 inputs, with the clamp decided exactly near 1e-12;
- ``weighted_sums``: weighting and reducing the per-sample values in double-double;
- ``functional``: ``loss``, ``grad``, ``value_and_grad``.

Every per-sample value that is not cancellation-bound is correctly rounded (the promise is data, in the
conformance suite's ``accuracy.toml``).

>>> from cosine_spec.impl.fast import CosineSimilarity
>>> CosineSimilarity(axis=1)([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]], sample_weight=[0.8, 0.2])
array(-0.1, dtype=float32)
"""

from ..reference import CosineSimilarity as _ReadableClass
from ..reference import CosineSimilarityError, Reduction
from .functional import grad, loss, value_and_grad


class CosineSimilarity(_ReadableClass):
    """``CosineSimilarity(axis=-1, reduction=Reduction.AUTO, name="cosine_similarity")`` over the fast
    ``loss`` (CS-API-1 .. CS-API-3)."""

    function = staticmethod(loss)


__all__ = ["CosineSimilarity", "CosineSimilarityError", "Reduction", "grad", "loss", "value_and_grad"]
