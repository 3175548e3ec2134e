"""pytest plugin (entry point `cosine_spec`): `pytest --cosine-spec-target TARGET` gates targets, one item per result.

Without the option the plugin does nothing. With it (repeatable), each target is run ONCE by the harness, as
`cosine-spec check TARGET --report-json` in a process of its own (`matrix.run_targets`), with the CLI's defaults
(full tier, strict when unfiltered); then every result of the report becomes an item that reports its stored
verdict. Node ids: `cosine-spec/<target>/<clause>/<case id>[<kind>]` (the dtype joins the kind when the case id
does not name it); every clause of the result and its family are markers, so `-k CS-RED-3` and `-m CS-RED-3`
select by clause. Statuses: passed; failed (the message, expected, actual, repro); declared -> a strict xfail;
not tested -> skipped; a passing result covered by a declared deviation that passed everywhere (an unexpected
pass) -> a strict xfail that passes, so it fails exactly when the CLI's strict run fails. A target that cannot
run (exit 2) is a collection error.

Under pytest-xdist the controller runs the targets (as many at a time as there are workers) before the workers
start and sends the reports to them in `workerinput`, so `-n 2` or `--tx ssh=...` spreads the items without
running a target twice and every worker collects the same items.
"""

from __future__ import annotations

import pytest

_KEY = "cosine_spec_results"
_GENERIC = ("CS-OUT-1", "CS-VAL-2", "CS-GRAD-1", "CS-VAL-1")  # clauses nearly every result speaks for


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cosine-spec", "conformance check of a cosine similarity loss")
    group.addoption(
        "--cosine-spec-target",
        metavar="TARGET",
        action="append",
        default=[],
        help="gate TARGET, one item per result (repeatable): reference, tf-keras, keras-jax, torch, "
        "optax, MODULE:ATTR, ...",
    )
    group.addoption(
        "--cosine-spec-tier",
        choices=("fast", "full"),
        default="full",
        help="tier of those runs (default full, as the CLI)",
    )
    group.addoption(
        "--cosine-spec-expectations",
        metavar="PATH",
        default=None,
        help="declared deviations for those runs (default: each built-in target's own file)",
    )


def _measure(config: pytest.Config, jobs: int = 1) -> dict:
    from cosine_spec.conf.matrix import run_targets

    opt = config.getoption
    return run_targets(
        opt("--cosine-spec-target"), opt("--cosine-spec-tier"), opt("--cosine-spec-expectations"), jobs=jobs
    )


def _results(config: pytest.Config) -> dict:
    if not hasattr(config, "_cosine_spec"):
        sent = getattr(config, "workerinput", {}).get(_KEY)
        config._cosine_spec = sent if sent is not None else _measure(config)
    return config._cosine_spec


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Under xdist, measure in the controller, before the workers start (xdist starts them trylast)."""
    config = session.config
    if config.getoption("--cosine-spec-target") and config.pluginmanager.has_plugin("dsession"):
        config._cosine_spec = _measure(config, jobs=int(getattr(config.option, "numprocesses", 1) or 1))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    if hasattr(node.config, "_cosine_spec"):
        node.workerinput[_KEY] = node.config._cosine_spec


class TargetCollector(pytest.Collector):
    """The results of one target; collecting fails (a collection error) when the target could not run."""

    def __init__(self, *, got: dict, **kwargs):
        super().__init__(**kwargs)
        self.got = got

    def collect(self):
        if "error" in self.got:
            raise self.CollectError(f"cosine-spec target {self.name!r} could not run: {self.got['error']}")
        report = self.got["report"]
        known = set(self.config.getini("markers"))
        for mark in sorted({m for r in report["cases"] for m in (*r["clauses"], r["family"])}):
            line = f"{mark}: results of clause or family {mark} (cosine-spec)"
            if line not in known:
                self.config.addinivalue_line("markers", line)
        unexpected = [d for d in report["deviations"] if d["status"] == "unexpected_pass"]
        for r in report["cases"]:
            yield ResultItem.from_parent(
                self,
                name=_name(r),
                nodeid=f"cosine-spec/{self.name}/{_name(r)}",
                result=r,
                strict=report["strict"],
                stale=[d for d in unexpected if _covers(d, r)],
            )


def _covers(d: dict, r: dict) -> bool:
    """Whether deviation `d` of the report JSON scopes result `r` (as `Deviation.covers` does)."""
    from fnmatch import fnmatchcase

    return any(fnmatchcase(r["id"], g) for g in d["cases"]) and (not d["dtypes"] or r["dtype"] in d["dtypes"])


def _name(r: dict) -> str:
    clauses = [c for c in r["clauses"] if c not in _GENERIC] or list(r["clauses"]) or ["none"]
    case = r["id"].removesuffix("/grad")
    kind = r["kind"] if r["dtype"] in case else f"{r['dtype']}-{r['kind']}"
    return f"{clauses[0]}/{case}[{kind}]"


class ResultFailure(Exception):
    """A result the harness judged failed; carries its text."""


class ResultItem(pytest.Item):
    def __init__(self, *, result: dict, strict: bool, stale: list, **kwargs):
        super().__init__(**kwargs)
        self.result = result
        for mark in (*result["clauses"], result["family"]):
            self.add_marker(getattr(pytest.mark, mark))
        if result["status"] == "declared":
            self.add_marker(
                pytest.mark.xfail(
                    reason="declared deviation: " + result["message"][:200], strict=True, raises=ResultFailure
                )
            )
        elif stale:
            self.add_marker(
                pytest.mark.xfail(
                    reason=f"declared deviation that passed everywhere ({stale[0]['name']}):"
                    " the expectations file is out of date",
                    strict=strict,
                )
            )

    def runtest(self) -> None:
        r = self.result
        if r["status"] == "not_tested":
            pytest.skip(f"not tested: {r['message']}")
        if r["status"] in ("failed", "declared"):
            raise ResultFailure(
                "\n".join(
                    [
                        f"{', '.join(r['failed_clauses'])}: {r['message']}",
                        f"inputs: {r['inputs']}",
                        f"expected: {r['expected']}",
                        f"actual: {r['actual']}",
                        f"repro: {r['repro']}",
                    ]
                )
            )

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ResultFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, self.nodeid


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    if not config.getoption("--cosine-spec-target", default=[]):
        return
    for target, got in _results(config).items():
        col = TargetCollector.from_parent(session, name=target, nodeid=f"cosine-spec/{target}", got=got)
        rep = col.ihook.pytest_make_collect_report(collector=col)
        col.ihook.pytest_collectreport(report=rep)
        if rep.passed:
            items.extend(rep.result)
