"""Sleeps on every call: only the per-call timeout and the overall deadline end the run. Writes its
pid to the file named by COSINE_SPEC_TEST_PIDFILE, so a test can see the worker ended."""

import os
import time

if os.environ.get("COSINE_SPEC_TEST_PIDFILE"):
    with open(os.environ["COSINE_SPEC_TEST_PIDFILE"], "a") as fh:
        fh.write(f"{os.getpid()}\n")


def f(*args, **kwargs):
    time.sleep(10**6)
