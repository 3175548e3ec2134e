"""Hangs in C code that holds the GIL: a catastrophic regular expression."""

import re


def f(*args, **kwargs):
    re.match(r"(a+)+$", "a" * 64 + "b")
