"""The class API, ``CosineSimilarity(axis=-1, reduction=Reduction.AUTO, name="cosine_similarity")``
(CS-API-1, CS-API-2, CS-API-3)."""

from .functional import grad, loss
from .inputs import integer_axis
from .reduction import Reduction, as_reduction


class CosineSimilarity:
    """Computes the cosine similarity loss between labels and predictions; see ``loss`` for the values.

    The arguments are checked here, once: an unknown reduction (CS-RED-6) or a non-integer axis raises
    ``CosineSimilarityError`` (a ``ValueError``); the axis range is checked against each call's inputs.
    """

    def __init__(self, axis=-1, reduction=Reduction.AUTO, name="cosine_similarity"):
        self.axis = integer_axis(axis)
        self.reduction = as_reduction(reduction)
        self.name = name

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss (CS-API-2): a 0-d array, or the per-sample losses for ``Reduction.NONE``."""
        return loss(y_true, y_pred, sample_weight, axis=self.axis, reduction=self.reduction)

    def grad(self, y_true, y_pred, sample_weight=None):
        """``(d_y_true, d_y_pred)`` of ``__call__`` (of the sum of the losses for NONE); CS-GRAD-1."""
        return grad(y_true, y_pred, sample_weight, axis=self.axis, reduction=self.reduction)

    def get_config(self) -> dict:
        """``{"axis": ..., "reduction": ..., "name": ...}`` with the reduction as its string (CS-API-3)."""
        return {"axis": self.axis, "reduction": self.reduction.value, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "CosineSimilarity":
        """A loss equal to the one whose ``get_config()`` gave ``config`` (CS-API-3)."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"CosineSimilarity(axis={self.axis}, reduction={self.reduction.value!r}, name={self.name!r})"
