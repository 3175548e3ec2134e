"""Call the target so that nothing it does can crash the harness: raise, return garbage, or hang.

With a timeout the call runs on a long-lived worker thread; a call that outlives its timeout is abandoned
(Python cannot kill a thread: the worker is left to finish in the background, a fresh one takes over) and
reported as a timed-out case. KeyboardInterrupt always reaches the user; anything else the target raises,
SystemExit included, is an outcome of the case.
"""

from __future__ import annotations

import queue
import threading
import time

import numpy as np
from cosine_spec.conf.checker import Outcome


class Caller:
    """Runs target calls with an optional per-call timeout in seconds (None or 0: no timeout, same thread)."""

    def __init__(self, timeout: float | None = None):
        self.timeout = timeout or None
        self._jobs: queue.SimpleQueue | None = None

    @staticmethod
    def _direct(fn, args, kwargs) -> Outcome:
        try:
            with np.errstate(all="ignore"):
                return Outcome(value=fn(*args, **kwargs))
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - the target's misbehaviour is a failed case
            return Outcome(exc=exc)

    def _worker(self, jobs: queue.SimpleQueue) -> None:
        while True:
            fn, args, kwargs, box = jobs.get()
            try:
                with np.errstate(all="ignore"):  # numpy's error state is per thread: set it here too
                    box.put(Outcome(value=fn(*args, **kwargs)))
            except BaseException as exc:  # noqa: BLE001 - reported to the main thread, which judges it
                box.put(Outcome(exc=exc))

    def __call__(self, fn, *args, **kwargs) -> Outcome:
        if self.timeout is None:
            return self._direct(fn, args, kwargs)
        if self._jobs is None:
            self._jobs = queue.SimpleQueue()
            threading.Thread(target=self._worker, args=(self._jobs,), daemon=True,
                             name="cosine-spec-target").start()
        box: queue.SimpleQueue = queue.SimpleQueue()
        self._jobs.put((fn, args, kwargs, box))
        start = time.monotonic()
        try:
            out = box.get(timeout=self.timeout)
        except queue.Empty:
            self._jobs = None  # abandon the busy worker; the next call starts a fresh one
            return Outcome(timed_out=round(time.monotonic() - start, 3))
        if isinstance(out.exc, KeyboardInterrupt):
            raise out.exc
        return out
