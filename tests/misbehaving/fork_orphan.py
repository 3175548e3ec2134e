"""Correct values, but forks an orphan that keeps the worker's stdout and stderr open for 1000 s."""

import os
import time

from cosine_spec.impl import loss

if os.fork() == 0:
    time.sleep(1000)
    os._exit(0)
f = loss
