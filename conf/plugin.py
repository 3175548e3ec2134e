"""pytest plugin (entry point `cosine_spec`): `pytest --cosine-spec-target TARGET` gates a target as a test.

Without the option the plugin does nothing, so it is harmless in every other pytest run. With it, one
extra test item runs `cosine_spec.conf.runner.run` and fails with the rendered report when the target is
not conformant. Options: --cosine-spec-tier (fast|full, default fast), --cosine-spec-expectations PATH.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cosine-spec", "conformance check of a cosine similarity loss")
    group.addoption(
        "--cosine-spec-target",
        metavar="TARGET",
        default=None,
        help="run `cosine-spec check TARGET` as a test (reference, tf-keras or MODULE:ATTR)",
    )
    group.addoption(
        "--cosine-spec-tier", choices=("fast", "full"), default="fast", help="tier of that check (default fast)"
    )
    group.addoption(
        "--cosine-spec-expectations",
        metavar="PATH",
        default=None,
        help="declared deviations for that check (default: the built-in target's own file)",
    )


class ConformanceFailure(Exception):
    """The target is not conformant; carries the rendered report."""


class CosineSpecItem(pytest.Item):
    def __init__(self, *, target: str, **kwargs):
        super().__init__(**kwargs)
        self.target = target

    def runtest(self) -> None:
        from cosine_spec.conf.runner import run
        from cosine_spec.conf.terminal import render

        opt = self.config.getoption
        report = run(
            self.target, tier=opt("--cosine-spec-tier"), expectations=opt("--cosine-spec-expectations") or "default"
        )
        if not report.conformant:
            raise ConformanceFailure(render(report))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ConformanceFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"cosine-spec check {self.target}"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    target = config.getoption("--cosine-spec-target", default=None)
    if target:
        items.append(CosineSpecItem.from_parent(session, name=f"cosine-spec[{target}]", target=target))
