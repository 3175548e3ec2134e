"""Patches the harness's judge and Report from the target module, then returns zeros (wrong)."""

import numpy as np
from cosine_spec.conf import judge, report


def _always_pass(case, out):
    return judge.Verdict()


judge.judge_value = _always_pass
judge.judge_grad = _always_pass
report.Report.conformant = property(lambda self: True)
report.Report.exit_code = property(lambda self: 0)


def f(y_true, y_pred, *args, **kwargs):
    return np.zeros((), y_true.dtype)
