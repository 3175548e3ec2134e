"""Prints without end on every call (to stdout, from Python)."""


def f(*args, **kwargs):
    while True:
        print("spam " * 200)
