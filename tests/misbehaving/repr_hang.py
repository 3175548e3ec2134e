"""Returns an ndarray subclass whose __repr__ and __str__ never return, holding wrong values."""

import numpy as np


class Hang(np.ndarray):
    def __repr__(self):
        while True:
            pass

    __str__ = __repr__


def f(y_true, *args, **kwargs):
    return np.full((), 7, y_true.dtype).view(Hang)
