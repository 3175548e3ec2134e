"""Returns an object that fakes isinstance(x, np.ndarray) through __class__."""

import numpy as np


class Fake:
    __class__ = property(lambda self: np.ndarray)
    shape, dtype = (), np.dtype("float32")

    def __array__(self, *args, **kwargs):
        return np.array(0.5, np.float32)


def f(*args, **kwargs):
    return Fake()
