"""Declared deviations of a target: `conf/expectations/<target>.toml`, format 2 (docs/contracts/expectations.md).

```
format = 2

[[deviation]]
name = "float16-epsilon"                  # required: unique, lower-case words joined by '-'
model = ["dtype-arithmetic"]              # required: changes of conf/models.py CHANGES (a name or a list)
params = { raises = "InvalidArgumentError" }  # the changes' parameters, where they have any
cases = ["zero-*", "tiny-*"]              # required: fnmatch globs over result ids ("<id>/grad" for gradients)
dtypes = ["float16"]                      # optional: only these dtypes
reason = "epsilon 1e-12 underflows to 0 in float16; 0 * rsqrt(0) is NaN"   # required
upstream = "https://github.com/..."       # required: a link, or "none known"
```
A failed result in an entry's scope (cases, dtypes) is declared only when every output of the target for it
(value, gradients, error class) matches what the entry's model predicts, within the case's tolerance.
Format 1 (globs that excused any failure) is refused: it would be misread.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from pathlib import Path

from cosine_spec.conf.errors import ExpectationsError
from cosine_spec.conf.golden_cases import DTYPES
from cosine_spec.conf.models import CHANGES, Model
from cosine_spec.spec import golden_format as spec_golden

FORMAT = 2
_KEYS = {"name", "model", "params", "cases", "dtypes", "reason", "upstream"}
_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
DOCS = "docs/contracts/expectations.md"


@dataclass(frozen=True)
class Deviation:
    name: str
    model: Model
    cases: tuple[str, ...]
    reason: str
    upstream: str
    dtypes: tuple[str, ...] | None = None

    def covers(self, result_id: str, dtype: str) -> bool:
        """Whether a result is in this entry's scope (its model is asked to explain it only there)."""
        return any(fnmatchcase(result_id, g) for g in self.cases) and (self.dtypes is None or dtype in self.dtypes)

    @property
    def changes(self) -> list[str]:
        return sorted(self.model.changes)

    @property
    def label(self) -> str:
        params = "".join(f" {k}={v!r}" for k, v in sorted(self.model.params.items()))
        scope = f"cases {', '.join(self.cases)}" + (f"; dtypes {', '.join(self.dtypes)}" if self.dtypes else "")
        return f"{self.name} (model {' + '.join(self.changes)}{params}; {scope})"

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "model": self.changes,
            "params": dict(self.model.params),
            "cases": list(self.cases),
            "dtypes": None if self.dtypes is None else list(self.dtypes),
            "reason": self.reason,
            "upstream": self.upstream,
        }


def builtin_expectations(target: str) -> Path | None:
    """The default expectations file of a built-in target, if the package ships one."""
    path = Path(str(resources.files("cosine_spec.conf") / "expectations" / f"{target}.toml"))
    return path if path.is_file() else None


def _strings(value, where: str, key: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(g, str) and g.strip() for g in items):
        raise ExpectationsError(
            f"{where}: `{key}` must be a non-empty string or a non-empty list of them; got {value!r}"
        )
    return tuple(g.strip() for g in items)


def _model(entry: dict, where: str) -> Model:
    changes = _strings(entry.get("model"), where, "model")
    unknown = sorted(set(changes) - set(CHANGES))
    if unknown:
        raise ExpectationsError(
            f"{where}: unknown model change(s) {unknown}; the changes are {', '.join(CHANGES)} (see {DOCS})"
        )
    params = entry.get("params", {})
    if not isinstance(params, dict):
        raise ExpectationsError(
            f'{where}: `params` must be a table, e.g. params = {{ raises = "TypeError" }}; got {params!r}'
        )
    allowed = {k: (c, typ) for c in changes for k, (typ, _) in CHANGES[c][1].items()}
    for key, value in params.items():
        if key not in allowed:
            raise ExpectationsError(
                f"{where}: parameter `{key}` belongs to none of the changes {list(changes)}; "
                f"their parameters are {sorted(allowed) or 'none'}"
            )
        change, typ = allowed[key]
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            value = params[key] = float(value)
        if not isinstance(value, typ) or isinstance(value, bool) or (typ is str and not value.strip()):
            raise ExpectationsError(f"{where}: parameter `{key}` of {change} must be a {typ.__name__}; got {value!r}")
    says = params.get("says")
    if isinstance(says, str) and len(says.strip()) < 8:
        raise ExpectationsError(
            f"{where}: `says` of check-fails must quote at least 8 characters of the check's failure message "
            f"(a shorter text would excuse nearly any failure); got {says!r}"
        )
    for change in changes:
        for key, (_, default) in CHANGES[change][1].items():
            if default is None and key not in params:
                raise ExpectationsError(
                    f"{where}: change {change} needs the parameter `{key}` (params = {{ {key} = ... }})"
                )
    return Model(frozenset(changes), dict(params))


@cache
def _builtin_ids() -> tuple[str, ...]:
    """The case ids of the spec's own golden data (empty if it cannot be read: then only the syntax is checked)."""
    try:
        return tuple(str(raw["id"]) for raw in spec_golden.load_cases())
    except (OSError, ValueError, KeyError, TypeError):
        return ()


def _everything(globs: tuple[str, ...], case_ids: list[str] | None) -> bool:
    """A scope that says nothing: a glob of wildcards only, or globs that match every case of the catalogue
    (`case_ids`; by default the spec's own)."""
    if any(set(g) <= set("*?") for g in globs):
        return True
    ids = _builtin_ids() if case_ids is None else case_ids
    return bool(ids) and all(any(fnmatchcase(i, g) for g in globs) for i in ids)


def _entry(entry: dict, where: str, case_ids: list[str] | None) -> Deviation:
    if not isinstance(entry, dict):
        raise ExpectationsError(f"{where}: a deviation is a table ([[deviation]]); got {entry!r}")
    bad = set(entry) - _KEYS
    if bad:
        old = " (`clause` and `message` were format 1: declare a model instead)" if bad & {"clause", "message"} else ""
        raise ExpectationsError(f"{where}: unknown keys {sorted(bad)}; allowed: {sorted(_KEYS)}{old}")
    for key in ("name", "reason", "upstream"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ExpectationsError(
                f"{where}: `{key}` must be a non-empty string (for upstream, a link "
                f"or 'none known'); got {entry.get(key)!r}"
            )
    if not _NAME.fullmatch(entry["name"]):
        raise ExpectationsError(
            f"{where}: `name` must be lower-case letters and digits joined by '-', e.g. "
            f'"no-clip"; got {entry["name"]!r}'
        )
    if "cases" not in entry:
        raise ExpectationsError(f"{where}: give `cases`, the globs over result ids its model is asked to explain")
    cases = _strings(entry["cases"], where, "cases")
    if _everything(cases, case_ids):
        raise ExpectationsError(
            f"{where}: `cases` {list(cases)} matches every case, which says nothing about "
            f"where the deviation shows; scope it to the families it concerns (e.g. 'zero-*')"
        )
    dtypes = entry.get("dtypes")
    if dtypes is not None and (not isinstance(dtypes, list) or not dtypes or set(dtypes) - set(DTYPES)):
        raise ExpectationsError(
            f"{where}: `dtypes` must be a non-empty list of {sorted(DTYPES)} (omit it for every dtype); got {dtypes!r}"
        )
    return Deviation(
        name=entry["name"],
        model=_model(entry, where),
        cases=cases,
        reason=entry["reason"].strip(),
        upstream=entry["upstream"].strip(),
        dtypes=tuple(dtypes) if dtypes else None,
    )


def load_expectations(path: Path | str | None, case_ids: list[str] | None = None) -> list[Deviation]:
    """Parse and validate an expectations file; None gives no deviations. An entry whose globs match every case
    of the catalogue (`case_ids`, by default the spec's golden data) is refused."""
    if path is None:
        return []
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ExpectationsError(f"cannot read expectations file {path}: {exc}") from exc
    unknown = set(raw) - {"deviation", "format"}
    if unknown:
        raise ExpectationsError(
            f"{path}: unknown top-level keys {sorted(unknown)}; only `format = {FORMAT}` and [[deviation]] tables"
        )
    if raw.get("format") != FORMAT:
        raise ExpectationsError(
            f"{path}: `format = {FORMAT}` is required at the top (got {raw.get('format')!r}). "
            f"Format 1 declared globs that excused any failure; format {FORMAT} declares what "
            f"the target does instead, as a model: see {DOCS}"
        )
    entries = raw.get("deviation", [])
    if not isinstance(entries, list):
        raise ExpectationsError(f"{path}: `deviation` must be an array of tables ([[deviation]]); got {entries!r}")
    out = [_entry(entry, f"{path}, deviation #{i}", case_ids) for i, entry in enumerate(entries, 1)]
    names = [d.name for d in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ExpectationsError(f"{path}: deviation names must be unique; repeated: {', '.join(dup)}")
    return out
