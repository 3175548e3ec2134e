"""cosine_spec.impl: a compact numpy reference implementation of the cosine similarity loss.

It follows the spec (``spec/cosine_similarity.md``); where they disagree, the spec wins. Results are
computed in float64 (double-double for float64 inputs, with power-of-two scaling so nothing overflows or
underflows) and rounded once to the inputs' dtype.

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
>>> loss.grad(np.array([1., 0.], np.float32), np.array([0., 0.], np.float32))[1]  # CS-GRAD-1
array([-1.e+06,  0.e+00], dtype=float32)
"""

from .errors import CosineSimilarityError
from .functional import grad, loss, value_and_grad
from .loss_class import CosineSimilarity
from .reduction import Reduction

__all__ = ["CosineSimilarity", "CosineSimilarityError", "Reduction", "grad", "loss", "value_and_grad"]
