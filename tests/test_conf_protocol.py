"""The JSON Lines protocol (conf/wire.py, docs/contracts/protocol.md): arrays cross exactly, every message
the harness and its Python worker write follows the shipped JSON Schema, and broken replies are named."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import ml_dtypes
import numpy as np
import pytest
from cosine_spec.conf import wire
from cosine_spec.conf.calls import OMIT, Call

SCHEMA = json.loads((resources.files("cosine_spec.conf") / "protocol" / "protocol-1.schema.json").read_text())


def valid(msg: dict, kind: str) -> bool:
    """`msg` against the schema's definition of `kind` (and against the whole schema's oneOf)."""
    sub = {**SCHEMA, "$ref": f"#/$defs/{kind}"}
    sub.pop("oneOf")
    return jsonschema.Draft202012Validator(sub).is_valid(msg) and jsonschema.Draft202012Validator(SCHEMA).is_valid(msg)


def test_the_schema_is_valid():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


SPECIAL = np.array([0.0, -0.0, 1.5, -(2.0**-1074), 2.0**-1022, np.finfo(np.float64).max, np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("binary", [False, True])
def test_arrays_cross_exactly(dtype, binary):
    dt = np.dtype(ml_dtypes.bfloat16) if dtype == "bfloat16" else np.dtype(dtype)
    with np.errstate(over="ignore"):
        a = SPECIAL.astype(dt).reshape(3, 3)
    msg = wire.encode_array(a, binary)
    assert valid({"type": "result", "id": 1, "value": msg}, "result")
    back = wire.decode_array(json.loads(json.dumps(msg)), limit=9)
    assert back.dtype == dt and back.shape == (3, 3)
    assert np.array_equal(back.astype(np.float64), a.astype(np.float64), equal_nan=True)
    assert np.array_equal(np.signbit(back.astype(np.float64)), np.signbit(a.astype(np.float64)))


@pytest.mark.parametrize(
    "text",
    [
        "0x1.8p+1",
        "-0x0p+0",
        "0x1p-1074",
        "inf",
        "-inf",
        "nan",
        "-nan",
        "0X1P3",
        "Infinity",
        "0x.8p0",
        "0x1.fffffffffffffp+1023",
    ],
)
def test_hex_grammar_accepts_what_printf_and_float_hex_write(text):
    assert wire.HEX_FLOAT.fullmatch(text)
    assert valid({"type": "result", "id": 1, "value": {"dtype": "float64", "shape": [1], "data": [text]}}, "result")


@pytest.mark.parametrize("text", ["0.5", "10", "1e3", " 0x1p0", "0x1p", "0x", "infin", "0x1.8p+1 ", ""])
def test_hex_grammar_refuses_decimal_and_partial_numbers(text):
    assert not wire.HEX_FLOAT.fullmatch(text)
    out = wire.decode_reply(
        json.dumps({"type": "result", "id": 1, "value": {"dtype": "float64", "shape": [1], "data": [text]}}).encode(),
        1,
        Call("loss", None, None, expect_size=1),
    )
    assert out.invalid and "not a hex float" in out.invalid


def test_a_call_carries_omitted_arguments_layouts_and_python_floats():
    a = np.arange(4, dtype=np.float32).reshape(2, 2)
    call = Call("grad", a, a, sample_weight=OMIT, axis=1.0, reduction=OMIT, layouts={"y_pred": "fortran"})
    msg = json.loads(json.dumps(wire.call_request(7, call)))
    assert valid(msg, "call")
    assert msg["omitted"] == ["sample_weight", "reduction"] and "sample_weight" not in msg["args"]
    back = wire.decode_call(msg)
    assert back.sample_weight is OMIT and back.reduction is OMIT and back.layouts == {"y_pred": "fortran"}
    assert type(back.axis) is float and back.axis == 1.0
    assert np.array_equal(back.y_true, a) and back.y_true.dtype == a.dtype


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        ({"type": "result", "id": 2, "value": {"dtype": "float32", "shape": [], "data": ["0x1p0"]}}, "to request 1"),
        ({"type": "result", "id": 1, "value": {"dtype": "complex64", "shape": [], "data": ["0x1p0"]}}, "dtype"),
        ({"type": "result", "id": 1, "value": {"dtype": "float32", "shape": [10**9], "data": []}}, "refused unread"),
        ({"type": "result", "id": 1, "value": {"dtype": "float32", "shape": [2], "data": ["0x1p0"]}}, "data holds 1"),
        (
            {"type": "result", "id": 1, "value": {"dtype": "float32", "shape": [], "data": ["0x1p-200"]}},
            "not a float32",
        ),
        (
            {"type": "result", "id": 1, "value": {"dtype": "float64", "shape": [], "data": ["0x1p99999"]}},
            "beyond float64",
        ),
        ({"type": "error", "id": 1, "kind": "panic"}, "error kind 'panic'"),
        ({"type": "ok", "id": 1}, "got ok"),
    ],
)
def test_broken_replies_are_invalid_outcomes_naming_the_problem(reply, said):
    out = wire.decode_reply(json.dumps(reply).encode(), 1, Call("loss", None, None, expect_size=1))
    assert out.invalid and said in out.invalid and out.value is None


def test_error_kinds_map_to_the_classes_the_judge_compares():
    out = wire.decode_reply(
        b'{"type":"error","id":1,"kind":"value_error","name":"RangeError","message":"m"}', 1, Call("loss", None, None)
    )
    assert "ValueError" in out.raised.kinds and out.raised.type_name == "RangeError"
    out = wire.decode_reply(b'{"type":"error","id":1,"kind":"interrupt"}', 1, Call("loss", None, None))
    assert "ValueError" not in out.raised.kinds and "KeyboardInterrupt" in out.raised.kinds


def test_the_python_worker_speaks_the_schema(tmp_path):
    """Every line the Python worker writes for a few requests follows the schema (hello, result, error, ok)."""
    a = np.ones((2, 3), np.float32)
    requests = [
        wire.call_request(1, Call("loss", a, a, reduction="none")),
        wire.call_request(2, Call("grad", a, a)),
        wire.call_request(3, Call("loss", a, a, axis=5)),
        {"type": "check", "id": 4, "check": "reference-api-1-constructor-defaults"},
    ]
    for r in requests:
        assert valid(r, r["type"])
    proc = subprocess.run(
        [sys.executable, "-m", "cosine_spec.conf.worker", "reference"],
        capture_output=True,
        input="".join(json.dumps(r) + "\n" for r in requests),
        text=True,
        timeout=120,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [m["type"] for m in lines] == ["hello", "result", "result", "error", "ok"]
    for m in lines:
        assert valid(m, m["type"]), m
    assert lines[3]["kind"] == "value_error" and "axis" in lines[3]["message"]


def test_the_harness_never_imports_the_target():
    code = (
        "import sys; from cosine_spec.conf.runner import run; from cosine_spec.conf.golden_cases import "
        "load_cases; seed = [c for c in load_cases() if c.family == 'seed']; "
        "r = run('reference', golden=seed); p = run('patch_harness:f', golden=seed); "
        "print(r.exit_code, p.exit_code, r.mode, 'cosine_spec.impl' in sys.modules, "
        "'patch_harness' in sys.modules)"
    )
    corpus = str(Path(__file__).parent / "misbehaving")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=corpus)
    assert out.stdout.split() == ["0", "1", "worker", "False", "False"], out.stderr[-2000:]
