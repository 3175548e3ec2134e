"""Shared fixtures: no global precision state leaks between tests (STYLE 6)."""

import mpmath
import pytest


@pytest.fixture(autouse=True)
def _reset_mpmath_precision():
    saved = mpmath.mp.prec
    yield
    mpmath.mp.prec = saved
