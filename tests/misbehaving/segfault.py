"""Dereferences a null pointer: the worker dies of SIGSEGV on every call."""

import ctypes


def f(*args, **kwargs):
    return ctypes.string_at(0)
