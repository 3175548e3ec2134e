"""Declared deviations of a target: `conf/expectations/<target>.toml`.

Format: a list of tables
```
[[deviation]]
clause = "CS-VAL-4"            # optional: only failures of this clause (fnmatch glob allowed)
cases = "zero-*"               # optional: fnmatch glob over result ids (a gradient check is "<id>/grad")
dtypes = ["float16"]           # optional: only these dtypes
message = "*InvalidArgumentError*"  # optional: fnmatch glob over the failure message (what went wrong)
reason = "epsilon 1e-12 underflows to 0 in float16; 0 * rsqrt(0) is NaN"   # required
upstream = "https://github.com/..."  # required: a link, or "none known"
```
At least one of `clause` and `cases`. A failure of (result, clause) is declared when an entry matches all of
its given fields. An entry is *held* when some result it matches failed, an *unexpected pass* when every
result it matches passed (the list is out of date), *not exercised* when it matched no result that ran.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path

from cosine_spec.conf.errors import ExpectationsError
from cosine_spec.conf.golden_cases import DTYPES

_KEYS = {"clause", "cases", "dtypes", "message", "reason", "upstream"}


@dataclass(frozen=True)
class Deviation:
    reason: str
    upstream: str
    clause: str | None = None
    cases: str | None = None
    dtypes: tuple[str, ...] | None = None
    message: str | None = None

    def matches(self, result_id: str, clause: str, dtype: str, message: str | None = None) -> bool:
        """Whether this entry covers (result, clause); ``message`` is the failure's text, None for a pass."""
        return ((self.clause is None or fnmatchcase(clause, self.clause))
                and (self.cases is None or fnmatchcase(result_id, self.cases))
                and (self.dtypes is None or dtype in self.dtypes)
                and (self.message is None or message is None or fnmatchcase(message, self.message)))

    @property
    def label(self) -> str:
        parts = [f"clause {self.clause}"] if self.clause else []
        parts += [f"cases {self.cases}"] if self.cases else []
        parts += [f"dtypes {','.join(self.dtypes)}"] if self.dtypes else []
        parts += [f"message {self.message}"] if self.message else []
        return ", ".join(parts)


def builtin_expectations(target: str) -> Path | None:
    """The default expectations file of a built-in target, if the package ships one."""
    path = Path(str(resources.files("cosine_spec.conf") / "expectations" / f"{target}.toml"))
    return path if path.is_file() else None


def load_expectations(path: Path | str | None) -> list[Deviation]:
    """Parse and validate an expectations file; None gives no deviations."""
    if path is None:
        return []
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ExpectationsError(f"cannot read expectations file {path}: {exc}") from exc
    unknown = set(raw) - {"deviation"}
    if unknown:
        raise ExpectationsError(f"{path}: unknown top-level keys {sorted(unknown)}; only [[deviation]] tables")
    out = []
    for i, entry in enumerate(raw.get("deviation", []), 1):
        where = f"{path}, deviation #{i}"
        bad = set(entry) - _KEYS
        if bad:
            raise ExpectationsError(f"{where}: unknown keys {sorted(bad)}; allowed: {sorted(_KEYS)}")
        for key in ("reason", "upstream"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ExpectationsError(f"{where}: `{key}` must be a non-empty string (for upstream, a link "
                                        f"or 'none known'); got {entry.get(key)!r}")
        if "clause" not in entry and "cases" not in entry:
            raise ExpectationsError(f"{where}: give `clause`, `cases` or both, so it cannot match everything")
        dtypes = entry.get("dtypes")
        if dtypes is not None and (not isinstance(dtypes, list) or set(dtypes) - set(DTYPES)):
            raise ExpectationsError(f"{where}: `dtypes` must be a list of {sorted(DTYPES)}; got {dtypes!r}")
        out.append(Deviation(reason=entry["reason"].strip(), upstream=entry["upstream"].strip(),
                             clause=entry.get("clause"), cases=entry.get("cases"),
                             dtypes=tuple(dtypes) if dtypes else None, message=entry.get("message")))
    return out
