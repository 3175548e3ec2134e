"""Allocates 64 GiB on every call: the worker's memory limit turns it into MemoryError."""

import numpy as np


def f(*args, **kwargs):
    return np.ones(8 << 30)
