"""Returns a 10**10-element broadcast view of one zero (80 GB if anything copied it)."""

import numpy as np


def f(y_true, *args, **kwargs):
    return np.broadcast_to(np.zeros((), y_true.dtype), (10**5, 10**5))
