"""Answers two calls correctly, then exits with status 0 in the middle of the run."""

import os

from cosine_spec.impl import loss

CALLS = [0]


def f(*args, **kwargs):
    CALLS[0] += 1
    if CALLS[0] > 2:
        os._exit(0)
    return loss(*args, **kwargs)
