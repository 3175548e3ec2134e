"""The JSON Lines protocol between the harness and a target process (docs/contracts/protocol.md), version 1.

One JSON object per line each way. The harness sends `call` and `check` requests; the target answers each
with `result`, `error`, `invalid` or `ok`, after a first `hello` line (or `fatal` when it cannot start).
Arrays travel as `{"dtype", "shape", "data"}` with floats as C99 hex strings (`float.hex`), so every value
crosses exactly. The JSON Schema of every message is `conf/protocol/*.schema.json` (package data).

`decode_reply` is the harness's side: it checks a reply line for size, type, shape and dtype before any
element is converted, and returns an `Outcome` (never raises on anything the target wrote).
"""

from __future__ import annotations

import base64
import json
import math
import re

import numpy as np
from cosine_spec.conf.calls import ARRAY_ARGS, MAX_EXTRA_ELEMENTS, OMIT, Call, Outcome, Raised, result_clause
from cosine_spec.conf.golden_cases import DTYPES

PROTOCOL = 1
FLOAT_DTYPES = tuple(DTYPES)  # float16, bfloat16, float32, float64
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
WIRE_DTYPES = FLOAT_DTYPES + INT_DTYPES + ("bool",)
CALL_ARGS = ARRAY_ARGS + ("axis", "reduction")
FEATURES = ("grad", "checks", "binary")
# Error kinds a target names (the spec's exception classes, language-neutral), as the builtin classes the
# judge compares with (`Raised.kinds`): `value_error` is what CS-ERR-1, CS-ERR-2, CS-RED-6, CS-SW-5 require.
ERROR_KINDS = {
    "value_error": ("ValueError", "Exception", "BaseException"),
    "type_error": ("TypeError", "Exception", "BaseException"),
    "error": ("Exception", "BaseException"),
    "interrupt": ("KeyboardInterrupt", "BaseException"),
}
# A hex float as C99 `%a` writes it (`0x1.8p+1`, `-0x0p+0`), or inf / nan in any case, optionally signed.
HEX_FLOAT = re.compile(
    r"[+-]?(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    r"|(?i:inf|infinity|nan))"
)
LINE_OVERHEAD = 1 << 16  # bytes of a reply line beyond its elements' text
BYTES_PER_ELEMENT = 32  # longest hex float ("-0x1.fffffffffffffp+1023") with quotes and a comma, rounded up


def reply_limit(call: Call | None) -> int:
    """The longest reply line accepted for `call` (None: a check), in bytes."""
    elements = (0 if call is None else call.expect_size * (2 if call.fn == "grad" else 1)) + MAX_EXTRA_ELEMENTS
    return LINE_OVERHEAD + BYTES_PER_ELEMENT * elements


# --- arrays ---------------------------------------------------------------------------------------------


def encode_array(a: np.ndarray | np.generic, binary: bool = False) -> dict:
    """An array as a wire ARRAY; numpy scalars carry `"scalar": true` (a Python-only distinction).
    `binary`: the elements as `b64`, base64 of their little-endian bytes (feature "binary"), not `data`."""
    arr = np.asarray(a)
    name = arr.dtype.name
    if name not in WIRE_DTYPES:
        raise TypeError(f"dtype {name} has no wire form; the protocol carries {', '.join(WIRE_DTYPES)}")
    out: dict = {"dtype": name, "shape": list(arr.shape)}
    flat = arr.ravel()
    if binary:
        out["b64"] = base64.b64encode(flat.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()).decode()
    elif name in FLOAT_DTYPES:
        out["data"] = [float.hex(x) for x in flat.astype(np.float64).tolist()]
    else:
        out["data"] = flat.tolist()
    if isinstance(a, np.generic):
        out["scalar"] = True
    return out


def encode_value(v: object, binary: bool = False) -> object:
    """A call argument as JSON: arrays as ARRAY; a Python float as a float64 0-d ARRAY marked
    `"python": true` (so `axis=1.0` stays distinct from `axis=1`, and inf and NaN cross); lists and tuples
    element by element; None, bools, ints and strings as they are."""
    if isinstance(v, np.ndarray | np.generic):
        return encode_array(v, binary)
    if isinstance(v, float):
        return {"dtype": "float64", "shape": [], "data": [float.hex(v)], "python": True}
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, list | tuple):
        return [encode_value(x, binary) for x in v]
    raise TypeError(f"a call argument of type {type(v).__name__} has no wire form")


def _is_array(obj: object) -> bool:
    return isinstance(obj, dict) and "dtype" in obj and ("data" in obj or "b64" in obj)


def decode_value(v: object) -> object:
    """The inverse of `encode_value` (used by the Python worker on requests the harness wrote)."""
    if _is_array(v):
        arr = decode_array(v, limit=None)
        if v.get("python"):
            return float(arr)
        return arr[()] if v.get("scalar") else arr
    if isinstance(v, list):
        return [decode_value(x) for x in v]
    return v


def array_problem(obj: object, limit: int | None, what: str) -> str | None:
    """Why `obj` is not a well-formed ARRAY of at most `limit` elements, or None; reads no element."""
    if not isinstance(obj, dict):
        return f"{what} is not an array object (got JSON {type(obj).__name__})"
    dtype, shape, data = obj.get("dtype"), obj.get("shape"), obj.get("data")
    if dtype not in WIRE_DTYPES:
        return f"{what} has dtype {str(dtype)[:40]!r}; allowed: {', '.join(WIRE_DTYPES)}"
    if not (isinstance(shape, list) and len(shape) <= 32 and all(type(n) is int and 0 <= n < 1 << 62 for n in shape)):
        return f"{what} has shape {str(shape)[:60]}; a shape is a list of at most 32 integers >= 0"
    size = math.prod(shape)
    if limit is not None and size > limit:
        return f"{what} has shape {tuple(shape)} ({size} elements), far more than expected; refused unread"
    if "b64" in obj and data is None:
        b64 = obj["b64"]
        width = 2 if dtype == "bfloat16" else np.dtype(dtype).itemsize
        if not isinstance(b64, str) or len(b64) != 4 * -(-size * width // 3):
            return f"{what} has shape {tuple(shape)} ({size} elements of {width} bytes) but b64 does not hold them"
        return None
    if not isinstance(data, list) or len(data) != size:
        n = len(data) if isinstance(data, list) else type(data).__name__
        return f"{what} has shape {tuple(shape)} ({size} elements) but data holds {n}"
    return None


def decode_array(obj: dict, limit: int | None, what: str = "the array") -> np.ndarray:
    """A checked ARRAY as a numpy array of its dtype; ValueError naming the first bad element."""
    why = array_problem(obj, limit, what)
    if why:
        raise ValueError(why)
    dtype, data = obj["dtype"], obj.get("data")
    if data is None:
        try:
            raw = base64.b64decode(obj["b64"], validate=True)
        except ValueError:
            raise ValueError(f"{what}: b64 is not base64") from None
        return (
            np.frombuffer(raw, DTYPES.get(dtype, np.dtype(dtype)).newbyteorder("<"))
            .astype(DTYPES.get(dtype, np.dtype(dtype)))
            .reshape(obj["shape"])
        )
    if dtype in FLOAT_DTYPES:
        for i, s in enumerate(data):
            if type(s) is not str or not HEX_FLOAT.fullmatch(s):
                raise ValueError(
                    f"{what}: element {i} is {str(s)[:40]!r}, not a hex float string "
                    f'(e.g. "0x1.8p-1", "-0x0p+0", "inf", "nan")'
                )
        try:
            wide = np.array([float.fromhex(s) for s in data], dtype=np.float64)
        except OverflowError:
            raise ValueError(f'{what}: an element\'s exponent is beyond float64 (write "inf")') from None
        with np.errstate(all="ignore"):
            arr = wide.astype(DTYPES[dtype])
            back = arr.astype(np.float64)
        bad = np.flatnonzero((back != wide) & ~(np.isnan(back) & np.isnan(wide)))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{what}: element {i} ({data[i]}) is not a {dtype} value; round it to {dtype} before writing it"
            )
    else:
        kind = bool if dtype == "bool" else int
        for i, s in enumerate(data):
            if type(s) is not kind:
                raise ValueError(f"{what}: element {i} is {str(s)[:40]!r}, not a JSON {kind.__name__} (dtype {dtype})")
        try:
            arr = np.array(data, dtype=dtype)
        except OverflowError as exc:
            raise ValueError(f"{what}: an element does not fit {dtype}: {exc}") from None
    return arr.reshape(obj["shape"])


# --- requests -------------------------------------------------------------------------------------------


def call_request(rid: int, call: Call, binary: bool = False) -> dict:
    """The `call` request of `call`: every argument, the omitted ones listed (and absent from `args`)."""
    args, omitted = {}, []
    for name in CALL_ARGS:
        value = getattr(call, name)
        if value is OMIT:
            omitted.append(name)
        else:
            args[name] = encode_value(value, binary)
    msg = {"type": "call", "id": rid, "fn": call.fn, "args": args, "omitted": omitted}
    layouts = {k: v for k, v in call.layouts.items() if v != "c"}
    if layouts:
        msg["layouts"] = layouts
    return msg


def decode_call(msg: dict) -> Call:
    """The `Call` a request describes (the Python worker's side)."""
    args = {name: OMIT for name in msg.get("omitted", ())}
    for name, value in msg["args"].items():
        args[name] = decode_value(value)
    return Call(msg["fn"], **args, layouts=dict(msg.get("layouts", {})))


# --- replies --------------------------------------------------------------------------------------------


def outcome_reply(rid: int, out: Outcome, fn: str, binary: bool = False) -> dict:
    """A reply for an `Outcome` of a call or a check (the Python worker's side)."""
    if out.raised is not None:
        r = out.raised
        kind = next((k for k, classes in ERROR_KINDS.items() if classes[0] in r.kinds), "error")
        return {"type": "error", "id": rid, "kind": kind, "name": r.type_name, "message": r.message}
    if out.invalid is not None:
        return {"type": "invalid", "id": rid, "message": out.invalid}
    if fn == "check":
        return {"type": "ok", "id": rid}
    modified = {"modified": list(out.modified)} if out.modified else {}
    try:
        if fn == "grad":
            return {"type": "result", "id": rid, "grads": [encode_array(g, binary) for g in out.value], **modified}
        return {"type": "result", "id": rid, "value": encode_array(out.value, binary), **modified}
    except TypeError as exc:
        return {"type": "invalid", "id": rid, "message": f"the result cannot be judged: {exc}"}


def _text(v: object, limit: int = 300) -> str:
    return (v if isinstance(v, str) else json.dumps(v))[:limit]


def decode_reply(line: bytes, rid: int, call: Call | None) -> Outcome:
    """The `Outcome` a reply line gives for request `rid` (`call` None for a check). A reply that breaks
    the protocol is an `Outcome(invalid=...)` naming what was wrong; nothing of it is printed unbounded."""
    limit = None if call is None else call.expect_size + MAX_EXTRA_ELEMENTS
    try:
        msg = json.loads(line)
    except (ValueError, RecursionError) as exc:
        shown = line[:80].decode("utf-8", "backslashreplace")
        return Outcome(
            invalid=f"protocol: the reply is not a JSON line ({type(exc).__name__}: "
            f"{str(exc)[:80]}); it starts {shown!r}"
        )
    if not isinstance(msg, dict) or msg.get("id") != rid or msg.get("type") not in ("result", "error", "invalid", "ok"):
        head = {k: msg[k] for k in ("type", "id") if k in msg} if isinstance(msg, dict) else msg
        return Outcome(
            invalid=f"protocol: expected a reply (result, error, invalid or ok) to request {rid}, "
            f"got {_text(head, 120)}"
        )
    kind = msg["type"]
    if kind == "error":
        ekind = msg.get("kind")
        if ekind not in ERROR_KINDS:
            return Outcome(invalid=f"protocol: error kind {_text(ekind, 40)!r}; the kinds are {', '.join(ERROR_KINDS)}")
        name = msg.get("name") if isinstance(msg.get("name"), str) else ekind
        message = msg.get("message") if isinstance(msg.get("message"), str) else ""
        return Outcome(raised=Raised(name[:80], ERROR_KINDS[ekind], message.strip()[:300]))
    if kind == "invalid":
        clause = None if call is None else result_clause(call)
        return Outcome(invalid=f"broken contract: {_text(msg.get('message', ''))}", invalid_clause=clause)
    if call is None:
        return (
            Outcome() if kind == "ok" else Outcome(invalid=f"protocol: a check is answered by ok or error, got {kind}")
        )
    if kind == "ok":
        return Outcome(invalid="protocol: a call is answered by result, error or invalid, got ok")
    modified = msg.get("modified", [])
    if not (isinstance(modified, list) and all(m in ARRAY_ARGS for m in modified)):
        return Outcome(invalid=f"protocol: modified is {_text(modified, 80)}; a list of {', '.join(ARRAY_ARGS)}")
    try:
        if call.fn == "grad":
            grads = msg.get("grads")
            if not (isinstance(grads, list) and len(grads) == 2):
                return Outcome(
                    invalid="protocol: a grad result holds grads, a list of 2 arrays "
                    f"(d_y_true, d_y_pred); got {_text(grads, 60)}"
                )
            value = tuple(decode_array(g, limit, n) for g, n in zip(grads, ("d_y_true", "d_y_pred"), strict=True))
        else:
            value = decode_array(msg.get("value"), limit, "the result")
    except ValueError as exc:
        return Outcome(invalid=f"protocol: {exc}", modified=tuple(modified))
    return Outcome(value=value, modified=tuple(modified))


# --- handshake ------------------------------------------------------------------------------------------


def hello_problem(msg: object) -> str | None:
    """Why a first line is not a valid `hello` of this protocol version, or None."""
    if not isinstance(msg, dict) or msg.get("type") != "hello":
        return f"the first line must be a hello message, got {_text(msg, 120)}"
    if msg.get("protocol") != PROTOCOL:
        return f"protocol version {_text(msg.get('protocol'), 20)}; this harness speaks version {PROTOCOL}"
    if not isinstance(msg.get("name"), str) or not isinstance(msg.get("version", ""), str):
        return "hello needs name (string) and version (string)"
    dtypes = msg.get("dtypes")
    if not (isinstance(dtypes, list) and dtypes and all(d in FLOAT_DTYPES for d in dtypes)):
        return f"hello dtypes is {_text(dtypes, 80)}; a non-empty list of {', '.join(FLOAT_DTYPES)}"
    feats = msg.get("features", {})
    if not isinstance(feats, dict) or not all(isinstance(feats.get(f, False), bool) for f in ("grad", "binary")):
        return f"hello features is {_text(feats, 80)}; an object with grad (bool) and checks (list)"
    for chk in feats.get("checks", []):
        if not (
            isinstance(chk, dict)
            and isinstance(chk.get("id"), str)
            and isinstance(chk.get("clauses"), list)
            and all(isinstance(c, str) for c in chk["clauses"])
            and chk.get("dtype", "float32") in FLOAT_DTYPES
        ):
            return f"hello check {_text(chk, 80)}; each is {{id, clauses, dtype}}"
    return None
