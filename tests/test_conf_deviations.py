"""Declared deviations as models (expectations format 2): the format, the models, the matching, the guarantees."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cosine_spec.conf.adapters.pycallable import CallableAdapter
from cosine_spec.conf.calls import Call
from cosine_spec.conf.check_cli import cli_main
from cosine_spec.conf.deviations import load_expectations
from cosine_spec.conf.errors import ExpectationsError
from cosine_spec.conf.golden_cases import load_cases
from cosine_spec.conf.models import CHANGES, Model
from cosine_spec.conf.probes import plain_call
from cosine_spec.conf.runner import run
from cosine_spec.conf.terminal import deviation_lines
from cosine_spec.spec.oracle import evaluate

from tests.catalogue.wrong import no_epsilon

ENTRY = 'reason = "r"\nupstream = "none known"\n'


@pytest.fixture(scope="module")
def catalogue():
    return load_cases()


def _file(tmp_path: Path, body: str, head: str = "format = 2\n") -> Path:
    path = tmp_path / "e.toml"
    path.write_text(head + body, encoding="utf-8")
    return path


def _entry(name: str, model, cases, params: str = "", dtypes: str = "") -> str:
    lines = [f'[[deviation]]\nname = "{name}"\nmodel = {json.dumps(model)}\ncases = {json.dumps(cases)}\n']
    lines += [f"params = {{ {params} }}\n"] if params else []
    lines += [f"dtypes = {dtypes}\n"] if dtypes else []
    return "".join(lines) + ENTRY


# -- the format: malformed files are exit-2 messages in words ------------------------------------------------------
MALFORMED = {
    "no format key (format 1)": ('[[deviation]]\nclause = "CS-VAL-2"\n' + ENTRY, "", "format = 2"),
    "format 1": (_entry("a", "no-clip", "geom-*"), "format = 1\n", "format = 2"),
    "old clause key": (_entry("a", "no-clip", "geom-*") + 'clause = "CS-VAL-2"\n', None, "format 1"),
    "old message key": (_entry("a", "no-clip", "geom-*") + 'message = "*"\n', None, "format 1"),
    "no name": ('[[deviation]]\nmodel = "no-clip"\ncases = "geom-*"\n' + ENTRY, None, "`name`"),
    "bad name": (_entry("No Clip", "no-clip", "geom-*"), None, "`name`"),
    "duplicate name": (_entry("a", "no-clip", "geom-*") + _entry("a", "no-clip", "axis-*"), None, "unique"),
    "no model": ('[[deviation]]\nname = "a"\ncases = "geom-*"\n' + ENTRY, None, "`model`"),
    "unknown change": (_entry("a", "no-clamp", "geom-*"), None, "unknown model change"),
    "empty model list": (_entry("a", [], "geom-*"), None, "`model`"),
    "no cases": ('[[deviation]]\nname = "a"\nmodel = "no-clip"\n' + ENTRY, None, "`cases`"),
    "cases = '*'": (_entry("a", "no-clip", "*"), None, "matches every case"),
    "cases = '**'": (_entry("a", "no-clip", ["geom-*", "**"]), None, "matches every case"),
    "cases = '?*'": (_entry("a", "no-clip", "?*"), None, "matches every case"),
    "globs matching every case id": (_entry("a", "no-clip", ["*-*", "*"]), None, "matches every case"),
    "empty dtypes": (_entry("a", "no-clip", "geom-*", dtypes="[]"), None, "`dtypes`"),
    "unknown dtype": (_entry("a", "no-clip", "geom-*", dtypes='["f8"]'), None, "`dtypes`"),
    "missing parameter": (_entry("a", "error-class", "error-*"), None, "needs the parameter `raises`"),
    "parameter of another change": (_entry("a", "no-clip", "geom-*", 'raises = "TypeError"'), None, "belongs to none"),
    "mistyped parameter": (_entry("a", "epsilon-on-norm", "tiny-*", 'epsilon = "small"'), None, "must be a float"),
    "no reason": ('[[deviation]]\nname = "a"\nmodel = "no-clip"\ncases = "geom-*"\nupstream = "u"\n', None, "`reason`"),
    "unknown top-level key": ("other = 1\n", None, "unknown top-level keys"),
    "deviation not a table array": ("deviation = 3\n", None, "array of tables"),
    "not toml": ("not toml [", None, "cannot read"),
}


@pytest.mark.parametrize("what", MALFORMED)
def test_malformed_expectations_are_exit_2_in_words(what, tmp_path, capsys):
    body, head, words = MALFORMED[what]
    path = _file(tmp_path, body, "format = 2\n" if head is None else head)
    assert cli_main(["reference", "--cases", "seed-*", "--expectations", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and "internal error" not in err and "Traceback" not in err


def test_every_change_is_documented_with_its_parameters():
    page = (Path(__file__).resolve().parents[1] / "docs" / "contracts" / "expectations.md").read_text()
    for name, (_, params) in CHANGES.items():
        assert f"| `{name}` |" in page
        for key in params:
            assert f"`{key}`" in page


def test_a_valid_file_loads_with_its_parameters(tmp_path, catalogue):
    path = _file(
        tmp_path,
        _entry("errs", ["broadcast", "error-class"], "error-*", 'raises = "InvalidArgumentError"')
        + _entry("eps", "epsilon-on-norm", ["tiny-*", "zero-*"], "epsilon = 0", '["float32"]'),
    )
    errs, eps = load_expectations(path, case_ids=[c.id for c in catalogue])
    assert errs.model.params == {"raises": "InvalidArgumentError"} and errs.changes == ["broadcast", "error-class"]
    assert eps.model.params == {"epsilon": 0.0} and eps.dtypes == ("float32",)
    assert eps.covers("tiny-float32-x/grad", "float32") and not eps.covers("tiny-float16-x", "float16")


# -- the models: the empty model is the spec; each change predicts what it says ------------------------------------
def test_the_empty_model_predicts_the_oracle(catalogue):
    """Without changes the model is the spec: on every golden case its value and gradient are within tolerance of
    the oracle's (checked by the same matching the harness uses, against a target that returns the oracle)."""
    from cosine_spec.conf import models
    from cosine_spec.conf.calls import Outcome

    spec, checked = Model(), 0
    for case in catalogue[::7]:
        if case.error:
            assert spec.predict(plain_call(case), case.dtype) == "ValueError"
            continue
        assert models.explains(spec, case, [plain_call(case)], [Outcome(value=case.expected)]), case.id
        if case.gradients:  # one of the alternatives (the clamp branch of a vector near 1e-12 may go either way)
            assert any(
                models.explains(spec, case, [plain_call(case, "grad")], [Outcome(value=alt)]) for alt in case.gradients
            ), case.id + "/grad"
        checked += 1
    assert checked > 200


def _call(t, p, w=None, reduction="none", fn="loss"):
    return Call(fn, np.asarray(t), np.asarray(p), None if w is None else np.asarray(w), -1, reduction)


def test_dtype_arithmetic_and_epsilon_in_dtype_make_a_float16_zero_vector_nan():
    t, p = np.zeros((1, 2), np.float16), np.ones((1, 2), np.float16)
    assert Model().predict(_call(t, p), "float16")[0] == 0
    for change in ("dtype-arithmetic", "epsilon-in-dtype"):
        assert np.isnan(Model(frozenset({change})).predict(_call(t, p), "float16")[0])
    t32, p32 = t.astype(np.float32), p.astype(np.float32)
    assert Model(frozenset({"dtype-arithmetic"})).predict(_call(t32, p32), "float32")[0] == 0  # eps is not 0 there
    assert Model().predict(_call(t32, p), "float32") is None  # mixed dtypes: no model says what happens


def test_dtype_arithmetic_overflows_the_squared_norm():
    x = np.full((1, 2), 1e20, np.float32)
    assert Model().predict(_call(x, x), "float32")[0] == -1
    assert Model(frozenset({"dtype-arithmetic"})).predict(_call(x, x), "float32")[0] == 0


def test_flush_subnormals_zeroes_a_subnormal_input():
    t, p = np.array([[1e-40, 0]], np.float32), np.array([[1, 0]], np.float32)
    exact = evaluate(t, p, reduction="none", dtype="float32").values[0]
    assert Model().predict(_call(t, p), "float32")[0] == pytest.approx(exact, rel=1e-6) and exact < -9e-35
    assert Model(frozenset({"flush-subnormals"})).predict(_call(t, p), "float32")[0] == 0


def test_broadcast_squeezes_then_broadcasts_and_error_class_renames():
    t, p = np.array([3.0, 4.0], np.float32), np.array([[1.0], [2.0]], np.float32)
    model = Model(frozenset({"broadcast", "error-class"}), {"raises": "InvalidArgumentError"})
    expected = evaluate(t, p[:, 0], axis=-1, reduction="sum_over_batch_size", dtype="float32").values[0]
    got = model.predict(_call(t, p, reduction="sum_over_batch_size"), "float32")
    assert got == pytest.approx(expected, rel=1e-6)  # the oracle's loss of the squeezed pair of 2-vectors
    bad = _call(np.ones((2, 3), np.float32), np.ones((2, 4), np.float32))
    assert model.predict(bad, "float32") == "InvalidArgumentError"
    assert Model().predict(bad, "float32") == "ValueError"


def test_weights_numpy_aligns_batch_weights_with_the_trailing_axis():
    t = np.ones((2, 2, 3), np.float64)
    w = np.array([1.0, 3.0])
    spec = Model().predict(_call(t, t, w), "float64")
    numpy_style = Model(frozenset({"weights-numpy"})).predict(_call(t, t, w), "float64")
    assert spec.tolist() == numpy_style.tolist() == [[-1, -1], [-3, -3]]  # ranks differ by one: (2, 1) both
    t4 = np.ones((2, 2, 2, 3), np.float64)
    assert Model().predict(_call(t4, t4, w), "float64")[0, 0].tolist() == [-1, -1]  # CS-SW-3: per sample
    assert Model(frozenset({"weights-numpy"})).predict(_call(t4, t4, w), "float64")[0, 0].tolist() == [-1, -3]


def test_epsilon_on_norm_and_no_clip():
    t = np.array([[1e-7, 0]], np.float64)
    p = np.array([[1.0, 0]], np.float64)
    assert Model().predict(_call(t, p), "float64")[0] == pytest.approx(-0.1)  # 1e-7 / sqrt(1e-12)
    on_norm = Model(frozenset({"epsilon-on-norm"}), {"epsilon": 1e-6})
    assert on_norm.predict(_call(t, p), "float64")[0] == pytest.approx(-0.1)  # 1e-7 / 1e-6
    assert Model(frozenset({"epsilon-on-norm"})).predict(_call(t, p), "float64")[0] == pytest.approx(-1)


# -- matching: a declared failure is one the model predicts ---------------------------------------------------------
def _report(tmp_path, catalogue, target, body: str, families: tuple[str, ...], **kw):
    cases = [c for c in catalogue if c.id.split("-")[0] in families]
    return run(target, golden=cases, expectations=_file(tmp_path, body), timeout=None, **kw)


def test_the_right_model_declares_exactly_the_failures_it_predicts(tmp_path, catalogue):
    """`no_epsilon` (catalogue: no clamp at all) is `epsilon-on-norm` with epsilon 0: declared, all of it."""
    target = CallableAdapter(no_epsilon, "no_epsilon")
    families = ("zero", "tiny")
    bare = _report(tmp_path, catalogue, target, "", families)
    assert bare.summary["failed"] > 0
    report = _report(
        tmp_path, catalogue, target, _entry("no-eps", "epsilon-on-norm", ["zero-*", "tiny-*"], "epsilon = 0"), families
    )
    dev = report.deviations[0]
    assert report.exit_code == 0 and dev.status == "held" and dev.explained == dev.failed == bare.summary["failed"]
    assert all(r.declared_by == ["no-eps"] for r in report.results if r.status == "declared")
    assert "its model explained" in deviation_lines(report)[0]


def test_a_wrong_model_explains_nothing_and_the_failures_stay(tmp_path, catalogue):
    target = CallableAdapter(no_epsilon, "no_epsilon")
    for model, params in (("no-clip", ""), ("epsilon-on-norm", "epsilon = 1e-6"), ("dtype-arithmetic", "")):
        report = _report(
            tmp_path, catalogue, target, _entry("wrong", model, ["zero-*", "tiny-*"], params), ("zero", "tiny")
        )
        dev = report.deviations[0]
        assert report.exit_code == 1 and report.summary["failed"] > 0, model
        assert dev.explained < dev.failed and dev.unexplained == report.summary["failed"], model
        doc = report.to_json()["deviations"][0]
        assert doc["unexplained"] == doc["still_failed"] == dev.unexplained and doc["model"] == [model]
        assert f"{dev.unexplained} unexplained (they stay failures)" in deviation_lines(report)[0]


def test_an_entry_out_of_date_fails_a_strict_run(tmp_path, catalogue):
    # the reference passes every case: an entry on it is an unexpected pass; on a failing target, a model that
    # explains none of the failures is unmatched; both make a strict run not conformant
    ref = _report(tmp_path, catalogue, "reference", _entry("stale", "no-clip", "seed-*"), ("seed",))
    assert ref.deviations[0].status == "unexpected_pass" and ref.exit_code == 1
    target = CallableAdapter(no_epsilon, "no_epsilon")
    body = _entry("right", "epsilon-on-norm", ["zero-*", "tiny-*"], "epsilon = 0") + _entry(
        "wrong", "weights-numpy", ["zero-*"]
    )
    report = _report(tmp_path, catalogue, target, body, ("zero", "tiny"))
    assert [d.status for d in report.deviations] == ["held", "unmatched"]
    assert report.deviations[1].unexplained > 0 and report.deviations[1].still_failed == 0
    assert "explained by another deviation" in deviation_lines(report)[1]
    assert report.summary["failed"] == 0 and report.exit_code == 1
    assert _report(tmp_path, catalogue, target, body, ("zero", "tiny"), strict=False).exit_code == 0


# -- no file declares a target that returns None (or raises everywhere) conformant ------------------------------------
def _returns_none(*args, **kwargs):
    return None


_returns_none.grad = _returns_none


def _raises_everywhere(*args, **kwargs):
    raise TypeError("nope")


_raises_everywhere.grad = _raises_everywhere


def _hostile_files(prefixes: list[str]) -> dict[str, str]:
    every = list(CHANGES)
    params = 'raises = "NoneType", dtype_raises = "NoneType", epsilon = 0, says = "returned None"'
    per_family_all = "".join(_entry(f"all-{p}", every, f"{p}-*", params) for p in prefixes)
    own = {
        "error-class": 'raises = "NoneType"',
        "dtype-error": 'dtype_raises = "NoneType"',
        "epsilon-on-norm": "epsilon = 0",
        "check-fails": 'says = "returned None"',
    }
    per_change = "".join(
        _entry(f"{c}-{p}", c, [f"{p}-*", f"{p}-*/grad"], own.get(c, "")) for p in prefixes for c in every
    )
    raise_type = "".join(
        _entry(f"te-{p}", ["error-class", "broadcast"], f"{p}-*", 'raises = "TypeError"') for p in prefixes
    )
    return {
        "every change per family": per_family_all,
        "each change per family": per_change,
        "error class TypeError per family": raise_type,
        "halves of the catalogue": _entry("a", every, "[a-m]*", params) + _entry("b", every, "[n-z]*", params),
    }


@pytest.mark.parametrize("target", [_returns_none, _raises_everywhere], ids=["returns None", "raises TypeError"])
def test_no_expectations_file_makes_a_broken_target_conformant(target, tmp_path, catalogue):
    cases = [c for c in catalogue if c.family in ("seed", "zero", "errors", "nonfinite")]
    prefixes = sorted({c.id.split("-")[0] for c in cases})
    adapter = CallableAdapter(target, target.__name__)
    for name, body in _hostile_files(prefixes).items():
        for strict in (True, False):
            report = run(adapter, golden=cases, expectations=_file(tmp_path, body), timeout=None, strict=strict)
            assert report.exit_code == 1 and report.summary["failed"] > 0, name
            if target is _returns_none:
                assert report.summary["declared"] == 0, name
    for glob in ("*", "*-*", "[a-z]*"):  # scopes that match everything are refused outright
        with pytest.raises(ExpectationsError, match="matches every case"):
            run(adapter, golden=cases, expectations=_file(tmp_path, _entry("x", "no-clip", glob)), timeout=None)
