"""Both implementations against the golden data (spec/golden/, format in spec/golden/FORMAT.md).

Two bars:
- every case, both implementations: the harness's own verdict (cosine_spec.conf.judge.judge_value and
  judge_grad), as `cosine-spec check reference` and `check reference-fast` give it;
- the fast implementation's promise (conf/accuracy.toml): per-sample values ("none", no weights) that are
  not cancellation-bound are within `golden_value_ulps` of the correctly rounded value.
"""

import cosine_spec.impl
import cosine_spec.impl.fast
import numpy as np
import pytest
from cosine_spec.conf import tolerance
from cosine_spec.conf.bench_impl import accuracy_promises, not_cancellation_bound
from cosine_spec.conf.calls import Outcome, perform
from cosine_spec.conf.golden_cases import load_cases
from cosine_spec.conf.judge import judge_grad, judge_value
from cosine_spec.conf.probes import plain_call

IMPLEMENTATIONS = {"readable": cosine_spec.impl, "fast": cosine_spec.impl.fast}
CASES = load_cases()


def _outcome(fn, case, kind: str = "loss") -> Outcome:
    """The harness's own call of `fn` on the case (replies turned into plain data, errors into their classes)."""
    return perform(fn, plain_call(case, kind))


def test_golden_data_is_there():
    assert len(CASES) > 1000


FAMILIES = sorted({c.family for c in CASES})


@pytest.mark.parametrize("name", sorted(IMPLEMENTATIONS))
@pytest.mark.parametrize("family", FAMILIES)
def test_golden_family(family, name):
    """Every case of one family (one golden file), judged by the harness's checker."""
    loss, failures = IMPLEMENTATIONS[name].loss, []
    for case in (c for c in CASES if c.family == family):
        verdicts = [judge_value(case, _outcome(loss, case))]
        if case.gradients:
            verdicts.append(judge_grad(case, _outcome(loss.grad, case, "grad")))
        failures += [f"{case.id} ({case.note}): {v.message}" for v in verdicts if v.failures]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("family", FAMILIES)
def test_fast_is_correctly_rounded(family):
    """conf/accuracy.toml [reference-fast] golden_value_ulps, on per-sample values ("none", no weights) that
    are not cancellation-bound."""
    bound, worst = accuracy_promises()["reference-fast"]["golden_value_ulps"], {}
    for case in CASES:
        if case.family != family or case.error or case.reduction != "none" or case.sample_weight is not None:
            continue
        out = cosine_spec.impl.fast.loss(case.y_true, case.y_pred, axis=case.axis, reduction="none")
        got, want = out.astype(np.float64), case.expected.astype(np.float64)
        tight = not_cancellation_bound(case) & np.isfinite(want) & (want != 0)
        ulps = (np.abs(got - want) / tolerance.ulp(want, case.dtype))[tight]
        if ulps.size and ulps.max() > bound:
            worst[case.id] = float(ulps.max())
    assert not worst, (worst, bound)
