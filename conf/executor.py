"""`Worker`: the executor that runs a target in a process of its own, over the JSON Lines protocol (`wire`).

Containment (docs/contracts/protocol.md, "What the harness enforces"): the worker runs in a new session
(its own process group, so its children and threads end with it), under an address-space limit and with
no core dumps; a call that outlives its timeout ends the whole group and the next call starts a fresh
worker (so a hang in C code holding the GIL is contained); a crash is named (signal or exit status, with
the last lines of its stderr) and the worker restarts; stderr is drained into a bounded tail and a worker
writing more than the output limit is ended; a reply line longer than the call can need is refused unread.
`consecutive` counts timeouts, crashes and broken replies in a row; the runner abandons the target after
`Limits.abandon_after` of them.
"""

from __future__ import annotations

import collections
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from cosine_spec.conf import wire
from cosine_spec.conf.calls import Call, Outcome
from cosine_spec.conf.errors import TargetError

MIB = 1 << 20
MODES = ("worker", "in-process")


@dataclass(frozen=True)
class Limits:
    """Per-worker limits. `memory_mb`: address space (RLIMIT_AS; TensorFlow reserves several GB of it, see
    docs/contracts/protocol.md); `output_mb`: bytes the worker may write to stderr over its life;
    `startup_timeout`: seconds until the hello line; `abandon_after`: consecutive timeouts or crashes."""

    memory_mb: int | None = 16384
    output_mb: int = 64
    startup_timeout: float = 120.0
    abandon_after: int = 3


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by signal {-code} ({name})"
    return f"exited with status {code}"


class _Drain(threading.Thread):
    """Reads a worker's stderr: keeps the last 4 KiB, counts bytes, ends the worker past the limit."""

    def __init__(self, fd: int, limit: int, kill):
        super().__init__(daemon=True, name="cosine-spec-stderr")
        self.fd, self.limit, self.kill = fd, limit, kill
        self.total, self.flooded = 0, False
        self._tail: collections.deque = collections.deque(maxlen=64)

    def run(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            self.total += len(chunk)
            self._tail.append(chunk[-4096:])
            if self.total > self.limit and not self.flooded:
                self.flooded = True
                self.kill()

    def tail(self, lines: int = 3) -> str:
        text = b"".join(self._tail)[-4096:].decode("utf-8", "backslashreplace")
        kept = [ln.strip() for ln in text.splitlines() if ln.strip()][-lines:]
        return " | ".join(kept)[-400:]


class Worker:
    """Runs calls of a target in a worker process; the executor interface of `calls.InProcess`."""

    mode = "worker"

    def __init__(self, argv: list[str], target: str, timeout: float | None, limits: Limits | None = None):
        self.argv, self.target, self.timeout = argv, target, timeout or None
        self.limits = limits or Limits()
        self.deadline: float | None = None  # time.monotonic() at which every call is cut short
        self.consecutive = self.restarts = 0
        self.hello: dict | None = None
        self.proc: subprocess.Popen | None = None
        self._next_id = 0
        self._adapter = None

    # --- process life ---------------------------------------------------------------------------------
    def _preexec(self) -> None:  # runs in the child, before exec
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self.limits.memory_mb:
            size = self.limits.memory_mb * MIB
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    def _spawn(self) -> None:
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                bufsize=0,
                preexec_fn=self._preexec,
            )
        except OSError as exc:
            raise TargetError(
                f"cannot start target {self.target!r} (command {self.argv[0]!r}): {exc}; "
                f"check that the program exists and is executable"
            ) from exc
        self._buf = bytearray()
        self._drain = _Drain(self.proc.stderr.fileno(), self.limits.output_mb * MIB, self._kill_group)
        self._drain.start()

    def _kill_group(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def _end(self, kill: bool = False) -> str:
        """End the worker and its process group (killed at once with `kill`, else after 1 s); say how it ended."""
        proc = self.proc
        if proc is None:
            return "not running"
        code = None
        if kill:
            self._kill_group()
        try:
            code = proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            pass
        self._kill_group()  # also the children and orphans left in the group
        if code is None:
            code = proc.wait()
        self.proc = None
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._drain.join(timeout=0.5)
        try:
            proc.stderr.close()
        except OSError:
            pass
        return describe_exit(code)

    def start(self) -> dict:
        """Start the worker and read its hello; a target that cannot start is a `TargetError` (exit 2)."""
        self._spawn()
        return self._handshake()

    @property
    def adapter(self):
        """What the target declared in its hello (read on first use: the worker loads while we do too)."""
        if self._adapter is None:
            from cosine_spec.conf.adapters.command import RemoteAdapter

            self._adapter = RemoteAdapter(self.target, self.hello or self._handshake())
        return self._adapter

    def _handshake(self) -> dict:
        line, problem = self._read_line(time.monotonic() + self.limits.startup_timeout, 1 << 20)
        if problem is None:
            try:
                msg = json.loads(line)
            except ValueError:
                msg = line[:120].decode("utf-8", "backslashreplace")
            if isinstance(msg, dict) and msg.get("type") == "fatal":
                self._end()
                raise TargetError(str(msg.get("message", "the target reported a fatal error"))[:2000])
            problem = wire.hello_problem(msg)
            if problem is None:
                self.hello = msg
                return msg
        how = self._end(kill=problem != "eof")
        tail = self._drain.tail()
        raise TargetError(
            f"target {self.target!r} did not start: {self._why(problem, how)}"
            + (f"; its last stderr lines: {tail}" if tail else "")
            + f". Run the command by hand to see why: {' '.join(self.argv)}"
        )

    def _why(self, problem: str, how: str) -> str:
        if problem == "timeout":
            return f"no hello line within {self.limits.startup_timeout:g} s"
        if problem == "eof":
            return f"it {how} before writing its hello line"
        return problem

    # --- lines ------------------------------------------------------------------------------------------
    def _read_line(self, until: float, limit: int) -> tuple[bytes, str | None]:
        """One line from the worker's stdout by `until` (monotonic); problem is "timeout", "eof" or a text."""
        fd = self.proc.stdout.fileno()
        poll = select.poll()
        poll.register(fd, select.POLLIN | select.POLLHUP)
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                line = bytes(self._buf[:nl])
                del self._buf[: nl + 1]
                return line, None
            if len(self._buf) > limit:
                return b"", f"protocol: the reply exceeds {limit} bytes without ending its line; refused unread"
            left = until - time.monotonic()
            if left <= 0:
                return b"", "timeout"
            if not poll.poll(min(left, 3600) * 1000):
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"", "eof"
            self._buf += chunk

    def _exchange(self, request: dict, call: Call | None) -> Outcome:
        if self.proc is None:
            try:
                self.restarts += 1
                self.start()
            except TargetError as exc:
                self.consecutive += 1
                return Outcome(crashed=f"the worker could not be restarted: {exc}")
        rid = self._next_id = self._next_id + 1
        request["id"] = rid
        t0 = time.monotonic()
        until = t0 + (self.timeout if self.timeout else 10**9)
        if self.deadline is not None:
            until = min(until, self.deadline)
        try:
            self.proc.stdin.write((json.dumps(request, allow_nan=False, separators=(",", ":")) + "\n").encode())
            line, problem = self._read_line(until, wire.reply_limit(call))
        except (BrokenPipeError, ConnectionResetError):
            line, problem = b"", "eof"
        elapsed = round(time.monotonic() - t0, 3)
        if problem is None:
            out = wire.decode_reply(line, rid, call)
            if out.invalid is None or not out.invalid.startswith("protocol:"):
                self.consecutive = 0
                return out
            self._end(kill=True)  # the stream cannot be trusted any more: start afresh
            self.consecutive += 1
            return out
        self.consecutive += 1
        flooded = self._drain.flooded
        how = self._end(kill=problem != "eof")
        if problem == "timeout" and not flooded:
            return Outcome(timed_out=elapsed)
        if flooded:
            return Outcome(
                invalid=f"the target wrote more than {self.limits.output_mb} MiB of output "
                f"(--output-limit); its worker was ended"
            )
        if problem == "eof":
            tail, left = self._drain.tail(), len(self._buf)
            return Outcome(
                crashed=f"the worker {how} during the call"
                + (f", leaving an unfinished reply line of {left} bytes" if left else "")
                + (f"; its last stderr: {tail}" if tail else "")
            )
        return Outcome(invalid=problem)

    # --- the executor interface -----------------------------------------------------------------------
    def call(self, call: Call) -> Outcome:
        binary = bool(self.hello and self.hello.get("features", {}).get("binary"))
        return self._exchange(wire.call_request(0, call, binary), call)

    def check(self, check) -> Outcome:
        return self._exchange({"type": "check", "id": 0, "check": check.id}, None)

    @property
    def unresponsive(self) -> bool:
        return self.consecutive >= self.limits.abandon_after

    def close(self) -> None:
        """Close the worker's stdin (it exits), then end its process group (children, orphans)."""
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self._end()


def python_argv(target: str) -> list[str]:
    """The Python worker for a built-in or MODULE:ATTR target, with the harness's own interpreter."""
    return [sys.executable, "-m", "cosine_spec.conf.worker", target]


def open_executor(target, mode: str, timeout: float | None, limits: Limits | None = None):
    """The executor for `target` (its `adapter` describes the target): a `Worker` (mode "worker"; always for
    cmd: targets) or `calls.InProcess` (mode "in-process", or an `Adapter` object)."""
    from cosine_spec.conf.adapters import Adapter, check_name, resolve
    from cosine_spec.conf.adapters.command import command_argv
    from cosine_spec.conf.calls import InProcess

    if mode not in MODES:
        raise TargetError(f"Got mode {mode!r}; the modes are {', '.join(MODES)}.")
    is_cmd = isinstance(target, str) and target.startswith("cmd:")
    if isinstance(target, Adapter) or (mode == "in-process" and not is_cmd):
        return InProcess(resolve(target), timeout)
    check_name(target)
    argv = command_argv(target) if is_cmd else python_argv(target)
    worker = Worker(argv, target, timeout, limits)
    worker._spawn()  # the hello is read when the adapter is first needed
    return worker
