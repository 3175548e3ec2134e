"""The misbehaving corpus (tests/misbehaving/): no target crashes, hangs or forges the gate.

Each target runs through the real command line, in worker mode, with small limits. Every run must end
within a bound, exit 1 (or 2 for a setup error), name what the target did, and write complete, valid JSON
and JUnit reports at the (relative) paths given, whatever the target did to its working directory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "misbehaving"
BOUND = 240.0  # seconds any one run may take on a loaded 2-core machine under pytest -n 2 (alone: 2-19 s)
LIMITS = ["--timeout", "2", "--output-limit", "1", "--memory-limit", "4096"]
SEED = ["--tier", "fast", "--cases", "seed-*"]


def check(tmp_path: Path, target: str, *args: str, env: dict | None = None) -> tuple[int, str, float]:
    """Run `cosine-spec check` from `tmp_path` (reports r.json and r.xml there); return status, output, time."""
    environ = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(CORPUS), os.environ.get("PYTHONPATH", "")]),
        **(env or {}),
    }
    argv = [
        sys.executable,
        "-m",
        "cosine_spec.conf.cli",
        "check",
        target,
        *LIMITS,
        *args,
        "--report-json",
        "r.json",
        "--junit-xml",
        "r.xml",
    ]
    t0 = time.monotonic()
    proc = subprocess.run(
        argv, cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=BOUND, stdin=subprocess.DEVNULL
    )
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - t0


def reports(tmp_path: Path) -> tuple[dict, ET.Element]:
    """Both reports, checked complete: every result in each, the summary adding up."""
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    suite = ET.parse(tmp_path / "r.xml").getroot()
    assert len(suite.findall("testcase")) == len(doc["cases"]) > 0
    statuses = ("passed", "failed", "declared", "not_tested", "not_run")
    assert sum(doc["summary"][k] for k in statuses) == len(doc["cases"])
    assert doc["mode"] == "worker"
    return doc, suite


# module, --cases and extra options, what the report must say (in some failed result's message)
FAILING = [
    ("exit_mid_run", SEED, "the worker exited with status 0 during the call"),
    ("exit_3", SEED, "the worker exited with status 3 during the call"),
    ("segfault", SEED, "killed by signal 11 (SIGSEGV)"),
    ("keyboard_interrupt", SEED, "raised KeyboardInterrupt"),
    ("patch_harness", SEED, "value at index"),  # judged on its zeros: the patches never reach the judge
    ("rewrite_golden", SEED, "value at index"),
    (
        "rebind_valueerror",
        ["--tier", "fast", "--cases", "error-float32-*"],
        "expected raises ValueError, raised Exception",
    ),
    ("fake_ndarray", SEED, "the result is a Fake; the contract requires a numpy array"),
    ("regex_hang", SEED, "timed out after 2"),
    ("repr_hang", SEED, "value at index"),
    ("huge_array", SEED, "(100000000 elements), far more than expected; refused unread"),
    ("broadcast_view", SEED, "(10000000000 elements), far more than expected; refused unread"),
    ("endless_print", SEED, "wrote more than 1 MiB of output"),
    ("eats_memory", SEED, "raised MemoryError"),
]


@pytest.mark.parametrize(("module", "args", "said"), FAILING, ids=[m for m, _, _ in FAILING])
def test_misbehaving_target_fails_with_a_named_cause(tmp_path, module, args, said):
    status, out, seconds = check(tmp_path, f"{module}:f", *args)
    assert status == 1, out
    assert seconds < BOUND
    doc, suite = reports(tmp_path)
    assert not doc["conformant"] and doc["summary"]["failed"] > 0
    assert any(said in r["message"] for r in doc["cases"] if r["status"] == "failed"), out
    assert suite.find("testcase/failure") is not None
    if module in ABANDONED:  # crashing or hanging on every call: abandoned after 3, the rest never passed
        # --abandon-after's default is 3 calls in a row; a probe may make several calls (the call contract's)
        assert 1 <= doc["summary"]["failed"] <= 3
        not_run = [r for r in doc["cases"] if r["status"] == "not_run"]
        assert not_run and all("target unresponsive" in r["message"] for r in not_run)
        assert suite.find("testcase/skipped[@message]") is not None


ABANDONED = {"exit_3", "segfault", "regex_hang", "endless_print"}


@pytest.mark.parametrize("module", ["stray_thread", "fork_orphan", "chdir_away"])
def test_a_correct_but_rude_target_passes_and_the_run_ends(tmp_path, module):
    """A thread that never ends, an orphan holding the worker's output, a chdir: nothing of it reaches the
    harness, whose own output is never shared (so `check ... | tee` ends too: capture_output waits for EOF)."""
    status, out, seconds = check(tmp_path, f"{module}:f", *SEED)
    assert status == 0, out
    doc, _ = reports(tmp_path)
    assert doc["conformant"] and doc["summary"]["failed"] == 0


def test_chdir_in_process_still_writes_the_reports_where_asked(tmp_path):
    status, out, _ = check(tmp_path, "chdir_away:f", *SEED, "--in-process")
    assert status == 0, out
    assert json.loads((tmp_path / "r.json").read_text())["mode"] == "in-process"


def test_exit_at_import_is_a_setup_error(tmp_path):
    status, out, _ = check(tmp_path, "exit_at_import:f", *SEED)
    assert status == 2
    assert "exited with status 0 before writing its hello line" in out
    assert not (tmp_path / "r.json").exists()  # no verdict was reached


def test_a_target_hanging_on_every_call_ends_at_the_deadline(tmp_path):
    status, out, seconds = check(tmp_path, "hangs_always:f", *SEED, "--abandon-after", "1000", "--deadline", "5")
    assert status == 1 and seconds < BOUND
    doc, _ = reports(tmp_path)
    not_run = [r for r in doc["cases"] if r["status"] == "not_run"]
    assert not_run and all("overall deadline of 5 s" in r["message"] for r in not_run)


def test_maxfail_stops_the_run(tmp_path):
    status, out, _ = check(tmp_path, "patch_harness:f", *SEED, "-x")
    doc, _ = reports(tmp_path)
    assert status == 1 and doc["summary"]["failed"] == 1
    assert all("--maxfail" in r["message"] for r in doc["cases"] if r["status"] == "not_run")


def _alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_the_users_ctrl_c_stops_the_run_and_its_worker(tmp_path):
    pidfile = tmp_path / "pids"
    env = {**os.environ, "PYTHONPATH": str(CORPUS), "COSINE_SPEC_TEST_PIDFILE": str(pidfile)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cosine_spec.conf.cli", "check", "hangs_always:f", *SEED],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) != 0
    worker = int(pidfile.read_text().split()[0])
    time.sleep(0.5)
    assert not _alive(worker)


# cmd: targets that break the protocol: mode, what the report must say
PROTOCOL = [
    ("noise", "the reply is not a JSON line"),
    ("partial", "leaving an unfinished reply line of 20 bytes"),
    ("huge", "without ending its line; refused unread"),
    ("bad_id", "to request 1, got"),
    ("bad_hex", "is '0.5', not a hex float string"),
    ("inexact", "is not a float32 value"),
    ("bad_kind", "error kind 'segfault'"),
    ("shape", "has shape (3,) (3 elements) but data holds 1"),
]


@pytest.mark.parametrize(("mode", "said"), PROTOCOL, ids=[m for m, _ in PROTOCOL])
def test_broken_protocol_is_a_failed_case(tmp_path, mode, said):
    status, out, _ = check(
        tmp_path, f"cmd:{sys.executable} {CORPUS / 'bad_protocol.py'} {mode}", "--cases", "seed-ex1-*"
    )
    assert status == 1, out
    doc, _ = reports(tmp_path)
    assert any(said in r["message"] for r in doc["cases"] if r["status"] == "failed"), out
    assert doc["summary"]["passed"] == 0


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        (
            "no_hello",
            "exited with status 5 before writing its hello line; its last stderr lines: cannot find my model file",
        ),
        ("old", "protocol version 99; this harness speaks version 1"),
    ],
)
def test_a_target_that_cannot_say_hello_is_a_setup_error(tmp_path, mode, said):
    status, out, _ = check(tmp_path, f"cmd:{sys.executable} {CORPUS / 'bad_protocol.py'} {mode}", *SEED)
    assert status == 2 and said in out


def test_a_missing_program_is_a_setup_error(tmp_path):
    status, out, _ = check(tmp_path, "cmd:no-such-program-here --flag", *SEED)
    assert status == 2 and "cannot start target" in out and "no-such-program-here" in out
