"""Returns a 10**8-element array for every call."""

import numpy as np


def f(y_true, *args, **kwargs):
    return np.zeros(10**8, y_true.dtype)
