#!/usr/bin/env node
// The cosine similarity loss (spec/cosine_similarity.md) in JavaScript, served over the cosine-spec
// JSON Lines protocol (docs/contracts/protocol.md), version 1:
//     cosine-spec check "cmd:node examples/js/cosine.js"
// Declares float32 and float64. Values and gradients are computed in float64 on rows scaled by powers of
// two (exact), so nothing overflows or underflows early; float32 results are rounded once (Math.fround).
"use strict";
const readline = require("node:readline");

const EPS = 1e-12; // the clamp of the squared norm (CS-VAL-1, CS-VAL-5)
const DTYPES = ["float32", "float64"];
const REDUCTIONS = ["auto", "none", "sum", "sum_over_batch_size"];

class SpecError extends Error {} // the spec's ValueError: kind "value_error" on the wire

// --- hex floats (spec/golden/FORMAT.md) ---------------------------------------------------------------
function ldexp(x, k) {
  while (k > 1023) { x *= 2 ** 1023; k -= 1023; }
  while (k < -1022) { x *= 2 ** -1022; k += 1022; }
  return x * 2 ** k;
}

function parseHex(s) {
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?|(inf|infinity|nan))$/i.exec(s);
  if (!m) throw new TypeError(`not a hex float: ${s}`);
  const sign = m[1] === "-" ? -1 : 1;
  if (m[5]) return m[5].toLowerCase() === "nan" ? NaN : sign * Infinity;
  const int = m[2] || "", frac = m[3] || "";
  const mant = BigInt("0x0" + int + frac);
  return sign * ldexp(Number(mant), Number(m[4] || 0) - 4 * frac.length);
}

const view = new DataView(new ArrayBuffer(8));
function toHex(x) {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  view.setFloat64(0, x);
  const hi = view.getUint32(0), lo = view.getUint32(4);
  const sign = hi >>> 31 ? "-" : "", exp = (hi >>> 20) & 0x7ff;
  const mant = ((hi & 0xfffff).toString(16).padStart(5, "0") + lo.toString(16).padStart(8, "0")).replace(/0+$/, "");
  if (exp === 0 && mant === "") return `${sign}0x0p+0`;
  const e = exp === 0 ? -1022 : exp - 1023;
  return `${sign}0x${exp === 0 ? 0 : 1}${mant ? "." + mant : ""}p${e >= 0 ? "+" : ""}${e}`;
}

// --- arguments (CS-SHAPE-1, CS-ERR-1, CS-ERR-2, CS-RED-6, CS-SW-*) ----------------------------------------
function isArray(v) { return v !== null && typeof v === "object" && !Array.isArray(v) && "dtype" in v; }

function readArray(v, name) {
  if (!isArray(v)) throw new SpecError(`Got ${name}=${JSON.stringify(v)}, but it must be an array`);
  const isFloat = v.dtype.startsWith("float") || v.dtype === "bfloat16";
  const data = v.dtype === "bool" ? v.data.map(Number) : isFloat ? v.data.map(parseHex) : v.data.map(Number);
  return { dtype: v.dtype, shape: v.shape, data, isFloat };
}

function readAxis(axis, rank) {
  let a = axis;
  if (isArray(axis) && !axis.python && /^u?int/.test(axis.dtype) && axis.shape.length === 0) a = axis.data[0];
  if (typeof a !== "number" || !Number.isInteger(a)) {
    throw new SpecError(`Got axis=${JSON.stringify(axis)}, but axis must be an integer, e.g. axis=-1`);
  }
  if (a < -rank || a >= rank) throw new SpecError(`Got axis=${a} for inputs of rank ${rank}; allowed: [${-rank}, ${rank - 1}]`);
  return a < 0 ? a + rank : a;
}

function prod(shape) { return shape.reduce((a, b) => a * b, 1); }

// Weights aligned to the loss shape (CS-SW-1 .. CS-SW-5): a flat array of N = prod(lossShape) weights.
function readWeights(sw, lossShape, dtype) {
  const n = prod(lossShape);
  if (sw === null) return new Array(n).fill(1);
  const w = readArray(sw, "sample_weight");
  if (w.dtype === "bool") throw new SpecError("Got sample_weight of dtype bool; it must hold real numbers");
  const round = dtype === "float32" ? Math.fround : (x) => x;
  const vals = w.data.map(round);
  let shape = w.shape.slice();
  const rank = lossShape.length;
  if (shape.length === rank + 1 && shape[shape.length - 1] === 1) shape = shape.slice(0, -1);
  else if (shape.length >= 1 && shape.length < rank) shape = shape.concat(new Array(rank - shape.length).fill(1));
  const fits = shape.length <= rank && shape.every((d, i) => d === 1 || d === lossShape[rank - shape.length + i]);
  if (!fits) {
    throw new SpecError(`Got sample_weight of shape [${w.shape}] for losses of shape [${lossShape}]; allowed: a scalar, ` +
      "[batch], the loss shape, or a shape that broadcasts to it (optionally with a trailing 1)");
  }
  const full = new Array(rank - shape.length).fill(1).concat(shape); // broadcast, numpy rules
  const out = new Array(n);
  const idx = new Array(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off = off * full[d] + (full[d] === 1 ? 0 : idx[d]);
    out[k] = vals[off];
    for (let d = rank - 1; d >= 0; d--) { if (++idx[d] < lossShape[d]) break; idx[d] = 0; }
  }
  return out;
}

function prepare(args) {
  const t = readArray(args.y_true, "y_true"), p = readArray(args.y_pred, "y_pred");
  if (t.dtype !== p.dtype) throw new SpecError(`Got y_true of dtype ${t.dtype} and y_pred of dtype ${p.dtype}; both must have one dtype`);
  if (!t.isFloat) throw new SpecError(`Got inputs of dtype ${t.dtype}; allowed: float16, bfloat16, float32, float64`);
  if (!DTYPES.includes(t.dtype)) throw new SpecError(`this implementation supports ${DTYPES.join(", ")}, not ${t.dtype}`);
  if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
    throw new SpecError(`Got y_true of shape [${t.shape}] and y_pred of shape [${p.shape}]; they must have one shape`);
  }
  if (t.shape.length === 0) throw new SpecError("Got inputs of shape [] (scalars); they must have rank >= 1");
  const ax = readAxis("axis" in args ? args.axis : -1, t.shape.length);
  let red = "reduction" in args ? args.reduction : "sum_over_batch_size";
  if (typeof red !== "string" || !REDUCTIONS.includes(red)) {
    throw new SpecError(`Got reduction=${JSON.stringify(red)}, but the only valid values are ${REDUCTIONS.join(", ")}`);
  }
  if (red === "auto") red = "sum_over_batch_size"; // CS-RED-4: no distribution strategy here
  const lossShape = t.shape.filter((_, i) => i !== ax);
  const w = readWeights("sample_weight" in args ? args.sample_weight : null, lossShape, t.dtype);
  // rows: for each loss element, the indices of its vector along the axis
  const d = t.shape[ax], inner = prod(t.shape.slice(ax + 1)), outer = prod(t.shape.slice(0, ax));
  const rows = [];
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    const idx = new Array(d);
    for (let k = 0; k < d; k++) idx[k] = (o * d + k) * inner + i;
    rows.push(idx);
  }
  return { t: t.data, p: p.data, dtype: t.dtype, shape: t.shape, red, lossShape, w, rows };
}

// --- the loss (CS-VAL-1, CS-VAL-5, CS-NAN-1) ------------------------------------------------------------
function expOf(xs) { // the exponent e with max|x| in [2^(e-1), 2^e), 0 for an all-zero row
  let big = 0;
  for (const x of xs) big = Math.max(big, Math.abs(x));
  return big === 0 ? 0 : Math.floor(Math.log2(big)) + 1;
}

function side(x) { // scaled row, its squared norm and whether the clamp applies
  const e = expOf(x);
  const xs = x.map((v) => ldexp(v, -e));
  let s = 0;
  for (const v of xs) s += v * v;
  const clamped = s < ldexp(EPS, -2 * e); // S(x) = s * 4^e < 1e-12, decided on the unscaled value
  // n(x) = x / sqrt(max(S, eps)); r = 1 / sqrt(max(S, eps)) as mantissa * 2^k
  const n = clamped ? x.map((v) => v * 1e6) : xs.map((v) => v / Math.sqrt(s));
  return { n, clamped, rm: clamped ? 1e6 : 1 / Math.sqrt(s), rk: clamped ? 0 : -e };
}

function cosines(P) {
  return P.rows.map((idx) => {
    const t = idx.map((i) => P.t[i]), p = idx.map((i) => P.p[i]);
    if (!t.concat(p).every(Number.isFinite)) return { c: NaN };
    const a = side(t), b = side(p);
    let c = 0;
    for (let k = 0; k < idx.length; k++) c += a.n[k] * b.n[k];
    return { c, a, b, idx };
  });
}

function scaledSum(vals) { // sum with the terms scaled by a power of two, so no partial sum overflows early
  let e = 0;
  for (const v of vals) if (Number.isFinite(v)) e = Math.max(e, expOf([v]));
  let s = 0;
  for (const v of vals) s += ldexp(v, -e);
  return [s, e];
}

// N, the divisor of sum_over_batch_size: the number of elements of the loss tensor (CS-RED-3). The
// broken copy (broken.js) replaces it.
let count = (P) => P.w.length;

function loss(P) {
  const round = P.dtype === "float32" ? Math.fround : (x) => x;
  const vals = cosines(P).map(({ c }, i) => P.w[i] * -Math.max(-1, Math.min(1, c)));
  if (P.red === "none") return { shape: P.lossShape, data: vals.map(round) };
  const n = vals.length;
  if (n === 0) return { shape: [], data: [0] }; // CS-RED-3: an empty batch gives 0
  const [s, e] = scaledSum(vals);
  return { shape: [], data: [round(ldexp(P.red === "sum" ? s : s / count(P), e))] };
}

// --- the gradient (CS-GRAD-1): of -sum(w c) / N; the clip counts as the identity --------------------------
function grad(P) {
  const round = P.dtype === "float32" ? Math.fround : (x) => x;
  const gt = new Array(P.t.length).fill(0), gp = new Array(P.p.length).fill(0);
  const divisor = P.red === "sum_over_batch_size" ? Math.max(count(P), 1) : 1;
  cosines(P).forEach((row, i) => {
    if (!row.a) { for (const j of P.rows[i]) { gt[j] = NaN; gp[j] = NaN; } return; }
    const { c, a, b, idx } = row;
    const coef = P.w[i] / divisor;
    // coef as mantissa * 2^ce, so that a huge weight times r cannot overflow before the final scaling
    const ce = Number.isFinite(coef) && coef !== 0 ? expOf([coef]) : 0;
    const cm = ldexp(coef, -ce);
    // d/dp = -coef * r_p * (n(t) - [p unclamped] c n(p)), and symmetrically for t
    for (const [g, me, other] of [[gp, b, a], [gt, a, b]]) {
      idx.forEach((j, k) => {
        const bracket = other.n[k] - (me.clamped ? 0 : c * me.n[k]);
        g[j] = ldexp(-cm * bracket * me.rm, me.rk + ce);
      });
    }
  });
  return [gt.map(round), gp.map(round)];
}

// --- the protocol ---------------------------------------------------------------------------------------
function array(dtype, shape, data) { return { dtype, shape, data: data.map(toHex) }; }

function answer(msg) {
  if (msg.type === "check") return { type: "error", id: msg.id, kind: "error", name: "NotSupported", message: "no class API" };
  try {
    const P = prepare(msg.args);
    if (msg.fn === "grad") {
      const [gt, gp] = grad(P);
      return { type: "result", id: msg.id, grads: [array(P.dtype, P.shape, gt), array(P.dtype, P.shape, gp)] };
    }
    const v = loss(P);
    return { type: "result", id: msg.id, value: array(P.dtype, v.shape, v.data) };
  } catch (err) {
    const kind = err instanceof SpecError ? "value_error" : err instanceof TypeError ? "type_error" : "error";
    return { type: "error", id: msg.id, kind, name: err.constructor.name, message: String(err.message) };
  }
}

function send(obj) { process.stdout.write(JSON.stringify(obj) + "\n"); }

function serve(name = "cosine-js", n = count) {
  count = n;
  send({ type: "hello", protocol: 1, name, version: "1.0.0", dtypes: DTYPES, features: { grad: true, checks: [] } });
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on("line", (line) => { if (line.trim()) send(answer(JSON.parse(line))); });
}

module.exports = { serve };
if (require.main === module) serve();
