"""Raises KeyboardInterrupt from inside the loss: a failed case, not the user's Ctrl-C."""


def f(*args, **kwargs):
    raise KeyboardInterrupt
