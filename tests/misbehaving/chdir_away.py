"""Correct values, but changes the working directory at import and in every call."""

import os
import tempfile

from cosine_spec.impl import loss

os.chdir(tempfile.gettempdir())


def f(*args, **kwargs):
    os.chdir("/")
    return loss(*args, **kwargs)
