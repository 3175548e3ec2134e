"""The Python worker: `python -m cosine_spec.conf.worker TARGET` loads a Python target (a built-in adapter or
MODULE:ATTR) and serves it over the JSON Lines protocol (`wire.py`, docs/contracts/protocol.md), as any
program in another language would. The harness starts it in a process group of its own and never imports
the target itself, so nothing the target does here (exiting, patching modules, rebinding builtins,
crashing, hanging with the GIL held) can reach the verdict.

The protocol travels on copies of the original stdin and stdout descriptors; the target's own stdout
(print, C code writing to fd 1) is sent to stderr and its stdin reads /dev/null, so it cannot corrupt or
read the requests.
"""

from __future__ import annotations

import json
import os
import sys

from cosine_spec.conf import wire
from cosine_spec.conf.calls import Outcome, perform, raised


class Channel:
    """The protocol descriptors, taken away from the target's stdin and stdout."""

    def __init__(self):
        self.rfd, self.wfd = os.dup(0), os.dup(1)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)  # the target's prints go to stderr, which the harness drains and bounds
        self.reader = os.fdopen(self.rfd, "rb")

    def send(self, msg: dict) -> None:
        data = (json.dumps(msg, allow_nan=False, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(self.wfd, view) :]

    def requests(self):
        for line in self.reader:
            yield json.loads(line)


def hello(adapter) -> dict:
    checks = [{"id": c.id, "clauses": list(c.clauses), "dtype": c.dtype} for c in adapter.extra_checks()]
    version = getattr(adapter, "version", "")
    return {
        "type": "hello",
        "protocol": wire.PROTOCOL,
        "name": adapter.name,
        "version": str(version),
        "dtypes": sorted(adapter.dtypes, key=wire.FLOAT_DTYPES.index),
        "features": {"grad": bool(adapter.has_grad), "checks": checks, "binary": True},
    }


def _guarded(job) -> Outcome:
    try:
        return job()
    except BaseException as exc:  # noqa: BLE001 - KeyboardInterrupt or SystemExit raised by the target too
        return Outcome(raised=raised(exc))


def _check(chk) -> Outcome:
    import numpy as np

    with np.errstate(all="ignore"):
        chk.run()
    return Outcome()


def serve(channel: Channel, target: str) -> None:
    import warnings

    warnings.simplefilter("ignore")  # a target's warnings are not the spec's business
    from cosine_spec.conf.adapters import resolve
    from cosine_spec.conf.errors import HarnessError

    try:
        adapter = resolve(target)
        checks = {c.id: c for c in adapter.extra_checks()}
    except HarnessError as exc:
        channel.send({"type": "fatal", "message": str(exc)})
        return
    except BaseException as exc:  # noqa: BLE001 - the target's own failure while loading
        channel.send({"type": "fatal", "message": f"loading target {target!r} raised {raised(exc).text()}"})
        return
    channel.send(hello(adapter))
    for msg in channel.requests():
        rid = msg["id"]
        if msg["type"] == "check":
            chk = checks.get(msg["check"])
            out = _guarded(lambda c=chk: _check(c)) if chk else Outcome(invalid=f"no check {msg['check']!r}")
            channel.send(wire.outcome_reply(rid, out, "check"))
            continue
        call = wire.decode_call(msg)
        fn = adapter.grad if call.fn == "grad" else adapter.loss
        out = _guarded(lambda c=call, f=fn: perform(f, c))
        channel.send(wire.outcome_reply(rid, out, call.fn, binary=True))


def main(argv: list[str]) -> None:
    channel = Channel()
    if len(argv) != 1:
        channel.send({"type": "fatal", "message": "usage: python -m cosine_spec.conf.worker TARGET"})
    else:
        try:
            serve(channel, argv[0])
        except BrokenPipeError:
            pass
    sys.stderr.flush()
    os._exit(0)  # threads the target left running (daemon or not) end with the worker


if __name__ == "__main__":
    main(sys.argv[1:])
