"""cosine_spec.impl: the cosine similarity loss in numpy, as the spec (``spec/cosine_similarity.md``) says it.

``from cosine_spec.impl import loss`` gives the readable implementation, ``cosine_spec.impl.reference`` (one
file of textbook float64 arithmetic, each step citing its clause): it is the spec in code, and it passes the
conformance suite with no declared deviation. ``cosine_spec.impl.fast`` has the same API, correctly rounded
(double-double) and faster on narrow dtypes; the suite checks both (targets ``reference`` and
``reference-fast``).

The seed page's four standalone examples (CS-EX-1 .. CS-EX-4). The exact values are -0.5, -0.1, -1 and
[-0, -1]; the seed printed TensorFlow's float32 roundings -0.5, -0.0999, -0.999, [-0., -0.999]:

>>> from cosine_spec.impl import CosineSimilarity, Reduction
>>> y_true = [[0., 1.], [1., 1.]]
>>> y_pred = [[1., 0.], [1., 1.]]
>>> cosine_loss = CosineSimilarity(axis=1)
>>> cosine_loss(y_true, y_pred)
array(-0.5, dtype=float32)
>>> cosine_loss(y_true, y_pred, sample_weight=[0.8, 0.2])
array(-0.1, dtype=float32)
>>> cosine_loss = CosineSimilarity(axis=1, reduction=Reduction.SUM)
>>> cosine_loss(y_true, y_pred)
array(-1., dtype=float32)
>>> cosine_loss = CosineSimilarity(axis=1, reduction=Reduction.NONE)
>>> cosine_loss(y_true, y_pred)
array([-0., -1.], dtype=float32)

The functional form is the conformance harness's target contract; ``loss.grad`` gives the gradients:

>>> import numpy as np
>>> from cosine_spec.impl import loss
>>> loss(np.array([1e-7, 0.]), np.array([1., 0.]))  # CS-VAL-5: below the clamp, scaled by 1e6
array(-0.1)
>>> loss.grad(np.array([3., 4.], np.float32), np.array([0., 0.], np.float32))[1]  # CS-GRAD-1: -n(t) * 1e6
array([-600000., -800000.], dtype=float32)
"""

from .reference import CosineSimilarity, CosineSimilarityError, Reduction, grad, loss, value_and_grad

__all__ = ["CosineSimilarity", "CosineSimilarityError", "Reduction", "grad", "loss", "value_and_grad"]
