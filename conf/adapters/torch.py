"""The `torch` target: PyTorch's functional API as a user calls it for this loss, gradients by autograd.

The per-sample value is `-(F.normalize(y_true, dim=axis, eps=1e-6) * F.normalize(y_pred, dim=axis, eps=1e-6))
.sum(dim=axis)`: the documented formula term by term (l2_normalize, then minus the sum of the products), with
the norm floor 1e-6 = sqrt(1e-12) of the spec's squared-norm epsilon (CS-VAL-5). It is the call a user writes to
get the documented semantics: `-F.cosine_similarity(y_true, y_pred, dim=axis)` clamps each norm at 1e-8, so tiny
vectors are normalized instead of scaled, and with eps=1e-6 its clamp is applied outside autograd, so gradients
in the clamp region are not the derivative of the clamped function; `F.normalize` divides by
`norm.clamp_min(eps)` under autograd. Weights and reductions are the wrapper's (`wrapper`). Computes on the
CPU in the input dtype (bfloat16 and float16 included).
"""

from __future__ import annotations

import numpy as np
from cosine_spec.conf.adapters import wrapper
from cosine_spec.conf.adapters.base import Adapter, literal_args
from cosine_spec.conf.deviations import builtin_expectations
from cosine_spec.conf.errors import TargetError
from cosine_spec.conf.golden_cases import Case

INSTALL = "pip install 'cosine-spec[torch]'  (torch 2.13.0, CPU)"
EPS = 1e-6  # the norm floor: sqrt of the spec's squared-norm epsilon 1e-12 (CS-VAL-5)


class TorchAdapter(Adapter):
    name = "torch"
    has_grad = True

    def __init__(self, torch):
        self.torch = torch
        self.F = torch.nn.functional
        self.expectations = builtin_expectations("torch")

    def _tensor(self, a, like=None):
        """A CPU tensor of the same values and dtype (bfloat16 through its bits: numpy has no torch bfloat16)."""
        torch = self.torch
        if like is not None:  # a weight: float64 values rounded to the loss dtype by torch (CS-SW-6)
            return torch.from_numpy(wrapper.weight_array(a)).to(like.dtype)
        arr = np.ascontiguousarray(np.asarray(a))
        if arr.dtype.name == "bfloat16":
            return torch.from_numpy(arr.view(np.int16).copy()).view(torch.bfloat16)
        return torch.from_numpy(arr.copy())

    def _numpy(self, t) -> np.ndarray:
        t = t.detach()
        if t.dtype == self.torch.bfloat16:
            import ml_dtypes

            return t.view(self.torch.int16).numpy().view(ml_dtypes.bfloat16)
        return t.numpy()

    def _loss(self, yt, yp, sample_weight, axis, reduction):
        red = wrapper.check_reduction(reduction)
        F = self.F
        values = -(F.normalize(yt, dim=axis, eps=EPS) * F.normalize(yp, dim=axis, eps=EPS)).sum(dim=axis)
        w = None
        if sample_weight is not None:
            w = self._tensor(sample_weight, like=values)
            w = w.reshape(wrapper.weight_shape(tuple(w.shape), tuple(values.shape)))
        return wrapper.weigh_and_reduce(values, w, red)

    def loss(self, y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        with self.torch.no_grad():
            return self._numpy(self._loss(self._tensor(y_true), self._tensor(y_pred), sample_weight, axis, reduction))

    def grad(self, y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        yt = self._tensor(y_true).requires_grad_(True)
        yp = self._tensor(y_pred).requires_grad_(True)
        value = self._loss(yt, yp, sample_weight, axis, reduction)
        gt, gp = self.torch.autograd.grad(value.sum(), (yt, yp), allow_unused=True)
        return tuple(
            np.zeros_like(np.asarray(x)) if g is None else self._numpy(g) for g, x in ((gt, y_true), (gp, y_pred))
        )

    def repro(self, case: Case, grad: bool = False) -> str:
        return repro(case, grad)


def repro(case: Case, grad: bool = False) -> str:
    """A `python -c` line computing the per-sample values (small float cases), else the harness command."""
    args = literal_args(case)
    if args is None or grad or case.dtype == "bfloat16":
        return f"cosine-spec check torch --cases '{case.id}'"
    head = args.rpartition(", axis=")[0].split(", sample_weight=")[0]
    return (
        'python -c "import numpy as np, torch; import torch.nn.functional as F; '
        f"yt, yp = map(torch.from_numpy, ({head})); "
        f"print(-(F.normalize(yt, dim={case.axis}, eps={EPS}) * F.normalize(yp, dim={case.axis}, "
        f'eps={EPS})).sum(dim={case.axis}))"  # per-sample values; then weights and {case.reduction!r}'
    )


def load() -> TorchAdapter:
    try:
        import torch
    except ImportError as exc:
        raise TargetError(f"target 'torch' needs PyTorch ({exc.name or exc} is not installed): {INSTALL}") from exc
    torch.set_num_threads(1)  # small inputs: threads cost more than they save, and the machine is shared
    return TorchAdapter(torch)
