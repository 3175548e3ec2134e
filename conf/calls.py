"""A call of the target as data (`Call`), what came back as data (`Outcome`), and `Caller`, which runs calls.

The judge never sees a live object of the target: `perform` turns whatever the target returned or raised
into plain data before anything else looks at it (a copied base-class ndarray, or the names of the builtin
exception classes it raised), so a result that fakes its class, a rebound `builtins.ValueError` or an
exception with a hostile `__str__` cannot change a verdict. The same `perform` runs in a worker process.

`Call` also says how the arguments are handed over: left out (the caller relies on the default), as a
Python list, or as arrays of another memory layout with the same values (CS-API-2: any layout is an input).
"""

from __future__ import annotations

import builtins
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

OMIT = "<omitted>"  # an argument left out of the call: the target's default applies
LAYOUTS = ("c", "fortran", "transposed", "negative_stride", "strided", "readonly", "list")
ARRAY_ARGS = ("y_true", "y_pred", "sample_weight")
MAX_EXTRA_ELEMENTS = 1 << 16  # a reply may exceed the expected size by this much before it is refused unread

# The real builtin exception classes, taken before any target code runs (a target may rebind the names).
_BUILTIN_EXCEPTIONS = tuple(v for v in vars(builtins).values() if isinstance(v, type) and issubclass(v, BaseException))


@dataclass(frozen=True, eq=False)
class Call:
    """One call: `fn` is "loss" or "grad"; an argument equal to `OMIT` is left out of the call."""

    fn: str
    y_true: object
    y_pred: object
    sample_weight: object = None
    axis: object = -1
    reduction: object = "sum_over_batch_size"
    layouts: Mapping[str, str] = field(default_factory=dict)  # argument name -> one of LAYOUTS ("c" if absent)
    expect_size: int = 0  # elements the reply should hold (each gradient: its input's size)

    def arguments(self) -> tuple[list, dict]:
        """`(args, kwargs)` of the call, arrays laid out as `layouts` says (fresh copies every time)."""
        args = [_lay(self.y_true, self.layouts.get("y_true", "c")), _lay(self.y_pred, self.layouts.get("y_pred", "c"))]
        kwargs = {}
        if self.sample_weight is not OMIT:
            args.append(_lay(self.sample_weight, self.layouts.get("sample_weight", "c")))
        for name in ("axis", "reduction"):
            value = getattr(self, name)
            if value is not OMIT:
                kwargs[name] = value
        return args, kwargs

    def describe(self) -> str:
        """How this call differs from the plain one (for messages): omitted arguments and layouts."""
        parts = [f"{n} omitted" for n in ("sample_weight", "axis", "reduction") if getattr(self, n) is OMIT]
        parts += [f"{n} as {lay}" for n, lay in self.layouts.items() if lay != "c"]
        return ", ".join(parts)


def _lay(a: object, layout: str) -> object:
    if not isinstance(a, np.ndarray):
        return a
    if layout == "c":
        return a.copy()
    if layout == "list":
        return a.tolist()
    if layout == "fortran":
        return np.asfortranarray(a.copy())
    if layout == "transposed":  # a transposed copy transposed back: same values, reversed strides
        return a.T.copy().T
    if layout == "negative_stride":
        return np.flip(np.flip(a).copy())
    if layout == "strided":  # every other element of a twice-as-long buffer
        buf = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype) if a.ndim else a.reshape(1).copy()
        if not a.ndim:
            return buf.reshape(())
        buf[..., ::2] = a
        return buf[..., ::2]
    if layout == "readonly":
        b = a.copy()
        b.flags.writeable = False
        return b
    raise ValueError(f"unknown layout {layout!r}; the layouts are {', '.join(LAYOUTS)}")


@dataclass(frozen=True)
class Raised:
    """What the target raised: its class name, the builtin exception classes it is an instance of, its text."""

    type_name: str
    kinds: tuple[str, ...]
    message: str

    def text(self) -> str:
        return f"{self.type_name}: {self.message}"


@dataclass
class Outcome:
    """What a call did: returned `value` (plain arrays), raised, timed out, crashed, or broke the contract."""

    value: object = None
    raised: Raised | None = None
    timed_out: float | None = None
    crashed: str | None = None  # the worker died: "killed by signal 11", "exited with status 3"
    invalid: str | None = None  # the reply breaks the contract before it can be judged (not an array, too big)
    invalid_clause: str | None = None  # the clause an invalid value result breaks (CS-OUT-1, or CS-OUT-2 if 0-d)
    modified: tuple[str, ...] = ()  # array arguments the target changed in place

    @property
    def problem(self) -> str | None:
        """Why there is no value to judge, in words, or None when the call returned normally."""
        if self.timed_out is not None:
            return f"timed out after {self.timed_out:g} s"
        if self.crashed is not None:
            return f"crashed: {self.crashed}"
        if self.invalid is not None:
            return self.invalid
        return None


def raised(exc: BaseException) -> Raised:
    """`exc` as data. Only real builtin classes count as kinds (a class merely named ValueError does not)."""
    cls = type(exc)
    kinds = tuple(k.__name__ for k in _BUILTIN_EXCEPTIONS if k in cls.__mro__)
    try:
        text = str(exc).strip()
    except BaseException:  # noqa: BLE001 - a hostile __str__
        text = "<unprintable message>"
    try:
        name = str(cls.__name__)
    except BaseException:  # noqa: BLE001
        name = "<unnamed exception>"
    return Raised(type_name=name, kinds=kinds, message=text.splitlines()[0][:160] if text else "")


def plain_array(obj: object, limit: int, what: str) -> tuple[np.ndarray | None, str | None]:
    """A copy of `obj` as a base-class ndarray, or a reason it is refused; nothing of `obj` is run.

    Only real numpy arrays and scalars are accepted (checked on `type(obj)`, which a result cannot fake);
    an array larger than `limit` elements is refused before it is copied.
    """
    cls = type(obj)
    if issubclass(cls, np.generic):
        return np.array(obj), None
    if not issubclass(cls, np.ndarray):
        return None, f"{what} is a {cls.__name__}; the contract requires a numpy array"
    shape = np.ndarray.shape.__get__(obj)
    size = int(np.prod(shape, dtype=np.float64))
    if size > limit:
        return None, f"{what} has shape {shape} ({size} elements), far more than expected; refused unread"
    return np.array(obj, subok=False, copy=True), None


def perform(fn: Callable, call: Call) -> Outcome:
    """Run `fn(*args, **kwargs)` for `call` and return plain data (see the module docstring)."""
    args, kwargs = call.arguments()
    pristine = [a.copy() if isinstance(a, np.ndarray) else None for a in args]
    try:
        with np.errstate(all="ignore"):
            value = fn(*args, **kwargs)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - the target's misbehaviour is an outcome of the case
        return Outcome(raised=raised(exc))
    modified = tuple(
        name
        for name, a, p in zip(ARRAY_ARGS, args, pristine, strict=False)
        if p is not None and not np.array_equal(a, p, equal_nan=True)
    )
    limit = call.expect_size + MAX_EXTRA_ELEMENTS
    if call.fn == "grad":
        if type(value) not in (tuple, list) or len(value) != 2:
            return Outcome(
                invalid=f"grad returned a {type(value).__name__}; the contract requires a pair "
                f"(d_y_true, d_y_pred) of numpy arrays",
                modified=modified,
            )
        pair = []
        for g, name in zip(value, ("d_y_true", "d_y_pred"), strict=True):
            arr, why = plain_array(g, limit, name)
            if why:
                return Outcome(invalid=why, modified=modified)
            pair.append(arr)
        return Outcome(value=tuple(pair), modified=modified)
    arr, why = plain_array(value, limit, "the result")
    return Outcome(value=arr, invalid=why, invalid_clause=result_clause(call) if why else None, modified=modified)


def result_clause(call: Call) -> str | None:
    """The clause a value result that is no array breaks: CS-OUT-2 where a 0-d result is due (every reduction
    but "none", the default included), CS-OUT-1 for "none"; None for a gradient call (CS-GRAD-1 names it)."""
    if call.fn != "loss":
        return None
    return "CS-OUT-1" if call.reduction == "none" else "CS-OUT-2"


class InProcess:
    """Runs the calls of one adapter in this process, with an optional per-call timeout in seconds (None or
    0: no timeout, same thread). The executor interface is `call(Call) -> Outcome`, `check(ExtraCheck) ->
    Outcome` and `close()`.

    With a timeout the call runs on a long-lived worker thread; a call that outlives its timeout is abandoned
    (a thread cannot be killed: it is left to finish, a fresh one takes over) and reported as timed out.
    """

    mode = "in-process"

    def __init__(self, adapter, timeout: float | None = None):
        self.adapter = adapter
        self.timeout = timeout or None
        self._jobs: queue.SimpleQueue | None = None

    @staticmethod
    def _guarded(job: Callable[[], Outcome]) -> Outcome:
        try:
            return job()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - reported as what the target raised
            return Outcome(raised=raised(exc))

    def _worker(self, jobs: queue.SimpleQueue) -> None:
        while True:
            job, box = jobs.get()
            try:
                box.put(self._guarded(job))
            except BaseException as exc:  # noqa: BLE001 - KeyboardInterrupt inside the target's code
                box.put(Outcome(raised=raised(exc)))

    def _run(self, job: Callable[[], Outcome]) -> Outcome:
        if self.timeout is None:
            return self._guarded(job)
        if self._jobs is None:
            self._jobs = queue.SimpleQueue()
            threading.Thread(target=self._worker, args=(self._jobs,), daemon=True, name="cosine-spec-target").start()
        box: queue.SimpleQueue = queue.SimpleQueue()
        self._jobs.put((job, box))
        start = time.monotonic()
        try:
            return box.get(timeout=self.timeout)
        except queue.Empty:
            self._jobs = None  # abandon the busy worker; the next call starts a fresh one
            return Outcome(timed_out=round(time.monotonic() - start, 3))

    def call(self, call: Call) -> Outcome:
        """`perform` the call on the adapter's `loss` or `grad` under the timeout."""
        fn = self.adapter.grad if call.fn == "grad" else self.adapter.loss
        return self._run(lambda: perform(fn, call))

    def check(self, check) -> Outcome:
        """A class-level check (`ExtraCheck`): returns normally to pass; its exception is the outcome."""

        def job() -> Outcome:
            with np.errstate(all="ignore"):
                check.run()
            return Outcome()

        return self._run(job)

    def close(self) -> None:
        """Nothing to release in-process (an abandoned thread is a daemon)."""
