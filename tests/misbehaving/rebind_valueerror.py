"""Rebinds builtins.ValueError to Exception, then raises "ValueError" (really Exception) everywhere."""

import builtins

builtins.ValueError = Exception


def f(*args, **kwargs):
    raise ValueError("whatever was passed")
