"""`cosine-spec check TARGET`: the thin command line over `runner.run` (exit 0 / 1 / 2, see docs/contracts/cli.md)."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import traceback

from cosine_spec.conf.errors import HarnessError
from cosine_spec.conf.executor import Limits
from cosine_spec.conf.judge import exc_text, safe_str
from cosine_spec.conf.runner import TIERS, run
from cosine_spec.conf.terminal import render

EPILOG = """targets: reference (cosine_spec.impl), tf-keras (needs `pip install 'cosine-spec[tf]'`), keras (Keras 3;
--backend tensorflow|jax|torch, or keras-jax etc.), torch (`[torch]` extra), optax (`[jax]` extra), MODULE:ATTR,
a Python callable f(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size") -> numpy
array (optionally f.grad(...) -> (d_y_true, d_y_pred)); MODULE is imported from the current directory or PYTHONPATH;
or cmd:COMMAND, a program in any language speaking the JSON Lines protocol (docs/contracts/protocol.md).
Every target runs in a worker process of its own (--in-process: in the harness's, for debugging).

exit status: 0 conformant (no undeclared failure), 1 not conformant, 2 usage or setup error.
A declared deviation that passes ("unexpected pass") is always reported; it makes the run not conformant
when the run is strict: by default a full, unfiltered run; --strict / --no-strict override."""


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(
            f"got {text!r}; give a finite number of seconds >= 0 (0 disables the per-call timeout), e.g. --timeout 60"
        )
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"got {text!r}; give a whole number >= 0, e.g. 20")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cosine-spec check",
        description="Hold an implementation of the cosine similarity loss against the spec's golden cases.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("target", help="reference, tf-keras, keras, torch, optax, MODULE:ATTR or cmd:COMMAND")
    p.add_argument(
        "--backend",
        choices=("tensorflow", "jax", "torch"),
        help="target keras only: the Keras 3 backend (target keras-BACKEND; default: KERAS_BACKEND, else tensorflow)",
    )
    p.add_argument(
        "--tier",
        choices=TIERS,
        default="full",
        help="full: every golden case (default); fast: a deterministic slice covering every clause "
        "in every dtype with a few cases per family",
    )
    p.add_argument("--dtypes", help="comma-separated subset of float16,bfloat16,float32,float64")
    p.add_argument("--clauses", help="comma-separated clause IDs, e.g. CS-VAL-1,CS-SW-2")
    p.add_argument(
        "--cases", metavar="GLOB", help="only cases whose id matches one of these comma-separated fnmatch globs"
    )
    p.add_argument(
        "--expectations",
        metavar="PATH",
        help="declared deviations (TOML); default: the built-in target's own file; 'none' for none",
    )
    p.add_argument("--golden", metavar="DIR", help="golden data directory (default: the installed spec's)")
    p.add_argument("--report-json", metavar="PATH", help="write the full report as JSON")
    p.add_argument("--junit-xml", metavar="PATH", help="write JUnit XML, one testcase per case")
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="per-call timeout for the target (default 60; 0 disables)",
    )
    p.add_argument(
        "--deadline",
        type=_seconds,
        default=DEADLINE,
        metavar="SECONDS",
        help=f"overall deadline of the run (default {DEADLINE:g}; 0 disables); what it leaves is reported not run",
    )
    p.add_argument(
        "-x",
        "--exitfirst",
        dest="maxfail",
        action="store_const",
        const=1,
        help="stop at the first failed result (same as --maxfail 1)",
    )
    p.add_argument(
        "--maxfail", type=_count, metavar="N", help="stop after N failed results; the rest is reported not run"
    )
    p.add_argument(
        "--in-process",
        action="store_true",
        help="run a Python target inside the harness's "
        "process (debugging only: it can then crash, hang or forge the run)",
    )
    p.add_argument(
        "--abandon-after",
        type=_count,
        default=Limits.abandon_after,
        metavar="K",
        help=f"abandon the target after K consecutive timeouts or crashes (default "
        f"{Limits.abandon_after}); the rest is reported not run",
    )
    p.add_argument(
        "--memory-limit",
        type=_count,
        default=Limits.memory_mb,
        metavar="MIB",
        help=f"address-space limit of the worker process in MiB (default {Limits.memory_mb}; "
        f"0: none; TensorFlow reserves several GiB)",
    )
    p.add_argument(
        "--output-limit",
        type=_count,
        default=Limits.output_mb,
        metavar="MIB",
        help=f"output (stderr) a worker may write in MiB (default {Limits.output_mb})",
    )
    p.add_argument(
        "--startup-timeout",
        type=_seconds,
        default=Limits.startup_timeout,
        metavar="SECONDS",
        help=f"time a worker has to load the target and say hello (default {Limits.startup_timeout:g})",
    )
    p.add_argument(
        "--max-failures-shown", type=_count, default=20, metavar="N", help="failing-case blocks printed (default 20)"
    )
    p.add_argument(
        "--require",
        metavar="all|CLAUSES",
        help="clauses that must be tested: 'all' (every normative clause) or comma-separated IDs; "
        "a required clause not tested makes the run not conformant (exit 1)",
    )
    strict = p.add_mutually_exclusive_group()
    strict.add_argument(
        "--strict",
        dest="strict",
        action="store_true",
        default=None,
        help="a declared deviation that passes makes the run not conformant",
    )
    strict.add_argument(
        "--no-strict", dest="strict", action="store_false", help="report unexpected passes without failing the run"
    )
    return p


def _split(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


DEADLINE = 1800.0  # seconds: a full tier takes well under a minute; a target hanging on every call ends here


def _require(text: str | None) -> str | list[str] | None:
    return "all" if text is not None and text.strip().lower() == "all" else _split(text)


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _emit(text: str, stream=None) -> None:
    """Print `text` even when it holds characters the stream cannot encode (a target's lone surrogate)."""
    stream = stream or sys.stdout
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)  # a target's ANSI codes, NUL, ...
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:
        text = text.encode("ascii", "backslashreplace").decode("ascii")
    print(text, file=stream)


def _error(message: str) -> int:
    _emit(f"cosine-spec check: error: {message}", sys.stderr)
    return 2


def cli_main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help exits 0, a usage error exits 2
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _check(args)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a bug of the harness must never read as a verdict (0 or 1)
        detail = "".join(traceback.format_exception(exc))
        return _error(
            f"internal error of the harness (not a verdict on the target): {type(exc).__name__}: "
            f"{exc_text(exc)}. Please report it with the traceback below.\n{detail}"
        )


def _absolute(path: str | None) -> str | None:
    """`path` made absolute now, before any target code runs (a target's chdir cannot move a report)."""
    return None if path is None else os.path.abspath(path)


def _check(args: argparse.Namespace) -> int:
    if args.backend:
        if args.target != "keras":
            return _error(
                f"--backend {args.backend} applies to target keras only (got target {args.target!r}); "
                f"e.g. `cosine-spec check keras --backend {args.backend}`."
            )
        args.target = f"keras-{args.backend}"
    for name in ("report_json", "junit_xml", "golden"):
        setattr(args, name, _absolute(getattr(args, name)))
    expectations = (
        "default"
        if args.expectations is None
        else (None if args.expectations.lower() == "none" else _absolute(args.expectations))
    )
    limits = Limits(
        memory_mb=args.memory_limit or None,
        output_mb=args.output_limit or Limits.output_mb,
        startup_timeout=args.startup_timeout or Limits.startup_timeout,
        abandon_after=args.abandon_after or Limits.abandon_after,
    )
    try:
        report = run(
            args.target,
            tier=args.tier,
            dtypes=_split(args.dtypes),
            clauses=_split(args.clauses),
            cases=args.cases,
            expectations=expectations,
            golden=args.golden,
            timeout=args.timeout,
            strict=args.strict,
            require=_require(args.require),
            mode="in-process" if args.in_process else "worker",
            deadline=args.deadline or None,
            maxfail=args.maxfail,
            limits=limits,
            progress=sys.stderr.isatty(),
        )
    except HarnessError as exc:
        return _error(safe_str(exc))
    for path, write in ((args.report_json, report.write_json), (args.junit_xml, report.write_junit)):
        if path:
            try:
                write(path)
            except OSError as exc:
                return _error(f"cannot write the report {path!r}: {exc}; give a writable path.")
    _emit(render(report, args.max_failures_shown))
    return report.exit_code
