"""The examples in other languages (examples/): each passes the full tier through cmd: in the dtypes it
declares, and its deliberately broken copy fails naming the clause it breaks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cosine_spec.conf.runner import run

ROOT = Path(__file__).resolve().parents[1]
NODE, GCC = shutil.which("node"), shutil.which("gcc")
needs_node = pytest.mark.skipif(
    NODE is None, reason="node is not installed (CI has it): the JavaScript example cannot run"
)
needs_gcc = pytest.mark.skipif(GCC is None, reason="gcc is not installed (CI has it): the C example cannot be built")


@pytest.fixture(scope="module")
def c_programs(tmp_path_factory):
    out = tmp_path_factory.mktemp("c")
    built = {}
    for name, flags in (("cosine", []), ("broken", ["-DBROKEN"])):
        built[name] = out / name
        subprocess.run(
            [
                GCC,
                "-O2",
                "-std=c99",
                "-Wall",
                "-Werror",
                *flags,
                "-o",
                str(built[name]),
                str(ROOT / "examples" / "c" / "cosine.c"),
                "-lm",
            ],
            check=True,
            timeout=120,
        )
    return built


def _conformant_in_its_dtypes(target: str) -> None:
    report = run(target)
    assert report.mode == "worker" and report.exit_code == 0, [
        r.message for r in report.results if r.status == "failed"
    ][:3]
    tested = {r.dtype for r in report.results if r.status == "passed"}
    assert tested == {"float32", "float64"}
    assert all(r.status == "not_tested" for r in report.results if r.dtype in ("float16", "bfloat16"))
    assert report.summary["passed"] > 1500 and report.clauses["CS-GRAD-1"] == "passed"


@needs_node
def test_javascript_example_passes_the_full_tier():
    _conformant_in_its_dtypes(f"cmd:{NODE} {ROOT / 'examples' / 'js' / 'cosine.js'}")


@needs_gcc
def test_c_example_passes_the_full_tier(c_programs):
    _conformant_in_its_dtypes(f"cmd:{c_programs['cosine']}")


@needs_node
def test_broken_javascript_example_fails_cs_red_3():
    report = run(f"cmd:{NODE} {ROOT / 'examples' / 'js' / 'broken.js'}", tier="fast")
    assert report.exit_code == 1 and report.clauses["CS-RED-3"] == "failed"
    assert report.clauses["CS-VAL-5"] == "passed"


@needs_gcc
def test_broken_c_example_fails_cs_val_5(c_programs):
    report = run(f"cmd:{c_programs['broken']}", tier="fast")
    assert report.exit_code == 1 and report.clauses["CS-VAL-5"] == "failed"
    assert report.clauses["CS-RED-3"] == "passed"
