//! A convolution, checked all at once (Freivalds) instead of multiply by multiply.
//!
//! With the geometry of [`ConvGeometry`] (parity classes `(c, p, q)` of `hp x hp`, full
//! correlation of side `f`, `C` output channels), index the full-correlation outputs by
//! `e(o, I, J) = C (f I + J) + o`. The prover claims every output `Y[o][I][J]` (bias included)
//! in phase 1; for a challenge `z` drawn afterwards the circuit checks
//!
//! ```text
//! sum_{o,I,J} z^e(o,I,J) Y[o][I][J]  =  sum_{c,p,q} X_cpq(z) K_cpq(z)  +  B(z) E(z)
//!   X_cpq(z) = sum_{u,v} x[c][s u + p][s v + q] z^(C (f u + v))        (the input, per class)
//!   K_cpq(z) = sum_{(a',b') taps} z^(C (f a' + b')) T_cpq,a'b'(z)       (the kernel, per class)
//!   T_cpq,a'b'(z) = sum_o w[o][c][s (A - a') + p][s (A - b') + q] z^o,   B(z) = sum_o bias_o z^o
//!   E(z) = sum_{k < f^2} z^(C k)
//! ```
//!
//! Both sides are polynomials in `z` of degree below `C f^2`; they are equal as polynomials
//! exactly when every claim is the true accumulator (every input-weight product lands on the
//! exponent of the output it belongs to, and the bias on every output). So if any claim is
//! wrong, the identity holds for at most `C f^2 - 1` values of `z` out of `|F|` (Schwartz-Zippel):
//! probability below `2^-243` for this model. The claims were committed before `z` existed.
//!
//! The valid outputs (`I, J` in `A .. A + oh`) are copy-constrained to the requantization rows,
//! which prove `q = floor((acc + 2^(s-1)) / 2^s)` exactly and look up `out = clamp(q)`.
//! How each side is computed:
//! - one chain runs over every claim of every layer and the byte rows (`h = z h[+1] + y`); a
//!   layer's left side is the window `h[start] - z^(C f^2) h[end]`, so the check reads
//!   `h[start] = sum X K + B E + z^(C f^2) h[end]`;
//! - `X` is a chain over the class's inputs in the lookup lane (`h = z^C h[+1] + b`, with
//!   `z^(C (f - hp + 1))` across the end of an input row and nothing below the class);
//! - `T` is a chain over the fixed weights (`g = z g[+1] + w`), `K = sum z^(C (f a' + b')) T`,
//!   `E` satisfies `(z^C - 1) E = z^(C f^2) - 1`, and the right side is a dot product.

use super::super::algebra::Algebra;
use super::super::plan::Plan;
use super::super::{Chips, Wire, ZkmnistCircuit};
use super::{ChainRows, ConvData, conv_layers};
use crate::field::fe;
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::plonk::Error;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use std::collections::BTreeMap;
use zkmnist_model::plan::ConvGeometry;
use zkmnist_model::spec::Conv2d;

/// One Q-block row: where, which output (CHW index), and whether it ends a segment of the
/// reading layer's chain.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QRow {
    /// The row.
    pub row: usize,
    /// The output's CHW index.
    pub index: usize,
    /// Last of a segment (the next convolution's chain restarts below it).
    pub segment_end: bool,
}

/// The Q-block rows of convolution `l`'s outputs, in lane order.
pub(crate) fn q_rows(c: &ZkmnistCircuit, l: usize) -> Vec<QRow> {
    let plan = c.plan();
    let g = plan.convs[l];
    if l + 1 == plan.convs.len() {
        return plan
            .q_dense
            .clone()
            .enumerate()
            .map(|(index, row)| QRow {
                row,
                index,
                segment_end: false,
            })
            .collect();
    }
    let next = plan.convs[l + 1];
    let mut out = Vec::with_capacity(g.outputs());
    let mut row = plan.q_conv[l].start;
    for (ch, p, q) in next.classes() {
        for u in 0..next.hp {
            for v in 0..next.hp {
                let (i, j) = (next.s * u + p, next.s * v + q);
                out.push(QRow {
                    row,
                    index: (ch * g.oh + i) * g.oh + j,
                    segment_end: v + 1 == next.hp,
                });
                row += 1;
            }
        }
    }
    out
}

/// Requantization of one accumulator: `(q, high byte, low byte)` of
/// `2^(16-s) (acc + 2^(s-1)) = 2^16 q + R`.
pub fn requant_parts(acc: i64, shift: u32) -> (i64, i64, i64) {
    let scaled = (acc + (1 << (shift - 1))) << (16 - shift);
    let q = scaled.div_euclid(1 << 16);
    let r = scaled - (q << 16);
    (q, r >> 8, r & 0xff)
}

/// Phase-1 cells of the convolutions a caller wires.
pub(crate) struct Claims {
    /// The claim cells, per layer.
    pub layers: Vec<Vec<Wire>>,
    /// The ladder's `y` cells that must be zero.
    pub ladder_zeros: Vec<Cell>,
    /// The ladder's last `y` cell, which must be one.
    pub ladder_one: Cell,
}

/// Phase 1 of every convolution: requantization rows, their bytes, the full-correlation
/// claims (valid ones wired to the requantization rows), the claims chain's selectors over
/// every claim, byte and ladder row.
pub(crate) fn assign_claims(
    c: &ZkmnistCircuit,
    chips: &Chips,
    region: &mut Region<Fr>,
    data: &[Value<ConvData>],
) -> Result<Claims, Error> {
    let plan = c.plan();
    let k = &chips.cols;
    let layers = conv_layers(c);
    let mut all_claims = Vec::with_capacity(layers.len());
    for (l, (layer, g)) in layers.iter().enumerate() {
        let shift = layer.requant.shift;
        let last = l + 1 == layers.len();
        let next = plan.convs.get(l + 1);
        // Requantization rows.
        let mut acc_cells: Vec<Option<Cell>> = vec![None; g.outputs()];
        for (i, qr) in q_rows(c, l).into_iter().enumerate() {
            let acc = data[l].as_ref().map(|d| d.acc[qr.index]);
            let parts = acc.map(|a| requant_parts(a, shift));
            let t = qr.row;
            match (last, next) {
                (true, _) | (_, None) => chips.kinds.dense_input.enable(region, t)?,
                (false, Some(n)) => {
                    let class_len = n.hp * n.hp;
                    let class_end = i % class_len + 1 == class_len;
                    match (qr.segment_end, class_end) {
                        (false, _) => chips.kinds.conv_input[l].enable(region, t)?,
                        (true, false) => chips.kinds.conv_input_gap[l].enable(region, t)?,
                        (true, true) => chips.kinds.conv_input_end[l].enable(region, t)?,
                    }
                }
            }
            acc_cells[qr.index] = Some(region.assign_advice(k.y, t, acc.map(fe)).cell());
            region.assign_advice(k.a, t, parts.map(|p| fe(p.0)));
            region.assign_advice(k.b, t, parts.map(|p| fe(layer.requant.activate(p.0))));
            let low = (t >= plan.low_bytes_from).then_some((plan.d2, parts.map(|p| p.2)));
            for (d, byte) in std::iter::once((plan.d1, parts.map(|p| p.1))).chain(low) {
                region.assign_advice(k.a, t + d, byte.map(fe));
                region.assign_advice(k.b, t + d, byte.map(fe));
            }
        }
        // Full-correlation claims, in exponent order.
        let rows = plan.claims[l].clone();
        let mut claims = Vec::with_capacity(rows.len());
        for (e, t) in rows.clone().enumerate() {
            let (o, pos) = (e % g.c_out, e / g.c_out);
            let (big_i, big_j) = (pos / g.f, pos % g.f);
            let v = data[l]
                .as_ref()
                .map(|d| fe(d.full[(o * g.f + big_i) * g.f + big_j]));
            let w = Wire::assign(region, k.y, t, v);
            let valid = |x: usize| (g.extra..g.extra + g.oh).contains(&x);
            if valid(big_i) && valid(big_j) {
                let index = (o * g.oh + big_i - g.extra) * g.oh + big_j - g.extra;
                let cell = acc_cells[index].ok_or(Error::Synthesis)?;
                region.constrain_equal(w.cell, cell);
            }
            claims.push(w);
        }
        all_claims.push(claims);
    }
    let mut ladder_zeros = Vec::with_capacity(plan.ladder.len());
    let mut ladder_one = None;
    for t in plan.claims_region.clone() {
        chips.kinds.claim.enable(region, t)?;
        if !plan.bytes.contains(&t) {
            region.assign_advice(k.a, t, Value::known(Fr::ZERO));
            region.assign_advice(k.b, t, Value::known(Fr::ZERO));
        }
        if plan.claims.iter().any(|r| r.contains(&t)) {
            continue;
        }
        let bottom = t + 1 == plan.ladder.end;
        let y = Fr::from(u64::from(bottom));
        let cell = region.assign_advice(k.y, t, Value::known(y)).cell();
        match (plan.ladder.contains(&t), bottom) {
            (true, true) => ladder_one = Some(cell),
            (true, false) => ladder_zeros.push(cell),
            (false, _) => {}
        }
    }
    Ok(Claims {
        layers: all_claims,
        ladder_zeros,
        ladder_one: ladder_one.ok_or(Error::Synthesis)?,
    })
}

/// One input row of a class: `(lane row, value)` per input.
type Segment = Vec<(usize, Value<Fr>)>;

/// The input stream of convolution `l` in lane order: per class, its segments.
fn input_segments(c: &ZkmnistCircuit, l: usize, data: &Value<ConvData>) -> Vec<Vec<Segment>> {
    let plan = c.plan();
    let g = plan.convs[l];
    let mut row = if l == 0 {
        plan.pixels.start
    } else {
        plan.q_conv[l - 1].start
    };
    let mut classes = Vec::new();
    for (ch, p, q) in g.classes() {
        let mut segments = Vec::with_capacity(g.hp);
        for u in 0..g.hp {
            let seg = (0..g.hp)
                .map(|v| {
                    let index = g.input_index(ch, g.s * u + p, g.s * v + q);
                    let val = data.as_ref().map(|d| fe(d.input[index]));
                    let r = row;
                    row += 1;
                    (r, val)
                })
                .collect();
            segments.push(seg);
        }
        classes.push(segments);
    }
    classes
}

/// The chain `h = z^C h[+1] + x` up a class's inputs (`z^gap` across the end of an input
/// row, nothing below the class's last input); returns the top, `X(z)`.
fn class_chain(
    chips: &Chips,
    region: &mut Region<Fr>,
    segments: &[Segment],
    step: Value<Fr>,
    gap: Value<Fr>,
) -> Result<Wire, Error> {
    let mut below: Option<Value<Fr>> = None;
    let mut top = None;
    for seg in segments.iter().rev() {
        for (i, (t, x)) in seg.iter().enumerate().rev() {
            let m = if i + 1 == seg.len() { gap } else { step };
            let v = match below {
                Some(b) => b * m + *x,
                None => *x,
            };
            top = Some(Wire::assign(region, chips.cols.h, *t, v));
            below = Some(v);
        }
    }
    top.ok_or(Error::Synthesis)
}

/// A weight chain `g = z g[+1] + w` over `weights`, ending on a gap row whose `g` is zero;
/// returns the top, `sum_i weights[i] z^i`.
pub(crate) fn weight_chain(
    chips: &Chips,
    region: &mut Region<Fr>,
    algebra: &Algebra,
    start: usize,
    weights: &[i64],
    z: Value<Fr>,
) -> Result<Wire, Error> {
    let mut below = Value::known(Fr::ZERO);
    let mut top = None;
    let gap = region
        .assign_advice(chips.cols.g, start + weights.len(), Value::known(Fr::ZERO))
        .cell();
    algebra.zero_all(region, &[gap])?;
    for (i, w) in weights.iter().enumerate().rev() {
        let t = start + i;
        chips.kinds.weight_chain.enable(region, t)?;
        region.assign_fixed(chips.cols.w, t, fe(*w));
        let v = below * z + Value::known(fe(*w));
        top = Some(Wire::assign(region, chips.cols.g, t, v));
        below = v;
    }
    top.ok_or(Error::Synthesis)
}

/// Phase 2 of every convolution: the claims chain, the input chains, the weight chains and the
/// identity of each layer.
#[allow(clippy::too_many_arguments)]
pub(crate) fn assign_checks(
    c: &ZkmnistCircuit,
    chips: &Chips,
    region: &mut Region<Fr>,
    algebra: &mut Algebra,
    chain_rows: &mut ChainRows,
    data: &[Value<ConvData>],
    claims: &[Vec<Wire>],
    z: Value<Fr>,
) -> Result<(), Error> {
    let plan = c.plan();
    let window = claims_chain(chips, region, algebra, plan, claims, z)?;
    for (l, (layer, g)) in conv_layers(c).into_iter().enumerate() {
        let zp = |e: usize| z.map(|z| z.pow_vartime([e as u64]));
        let (step, gap) = (zp(g.c_out), zp(g.c_out * (g.f - g.hp + 1)));
        let mut xs = Vec::new();
        let mut ks = Vec::new();
        for ((ch, p, q), segments) in g.classes().zip(input_segments(c, l, &data[l])) {
            xs.push(class_chain(chips, region, &segments, step, gap)?);
            ks.push(kernel(
                chips, region, algebra, chain_rows, layer, &g, ch, p, q, z,
            )?);
        }
        let b_start = chain_rows.take(algebra, g.c_out + 1)?;
        xs.push(weight_chain(
            chips,
            region,
            algebra,
            b_start,
            &layer.bias,
            z,
        )?);
        let r = algebra.power(region, g.c_out)?;
        let span = algebra.power(region, g.full_outputs())?;
        ks.push(algebra.geometric(region, r, span)?);
        xs.push(span);
        ks.push(window[l].1);
        let rhs = algebra.dot(region, &xs, &ks)?;
        region.constrain_equal(rhs.cell, window[l].0.cell);
    }
    Ok(())
}

/// `K_cpq(z)`: one weight chain per kernel row of the class's taps (the taps `(a', b')` with
/// the same `a'` have consecutive exponents `C (f a' + b') + o`, so one chain over `b'` then
/// `o` holds them all), each scaled by `z^(C (f a' + b'_min))`, summed.
#[allow(clippy::too_many_arguments)]
fn kernel(
    chips: &Chips,
    region: &mut Region<Fr>,
    algebra: &mut Algebra,
    chain_rows: &mut ChainRows,
    layer: &Conv2d,
    g: &ConvGeometry,
    ch: usize,
    p: usize,
    q: usize,
    z: Value<Fr>,
) -> Result<Wire, Error> {
    let mut rows: BTreeMap<usize, Vec<(usize, usize, usize)>> = BTreeMap::new();
    for (a2, b2, ky, kx) in g.taps(p, q) {
        rows.entry(a2).or_default().push((b2, ky, kx));
    }
    let mut ts = Vec::new();
    let mut shifts = Vec::new();
    for (a2, taps) in rows {
        let lo = taps.iter().map(|t| t.0).min().ok_or(Error::Synthesis)?;
        let hi = taps.iter().map(|t| t.0).max().ok_or(Error::Synthesis)?;
        let mut weights = vec![0i64; g.c_out * (hi - lo + 1)];
        for (b2, ky, kx) in taps {
            for o in 0..g.c_out {
                weights[(b2 - lo) * g.c_out + o] =
                    layer.weights[((o * g.c_in + ch) * g.k + ky) * g.k + kx];
            }
        }
        let start = chain_rows.take(algebra, weights.len() + 1)?;
        ts.push(weight_chain(chips, region, algebra, start, &weights, z)?);
        shifts.push(g.c_out * (g.f * a2 + lo));
    }
    if let ([t], [0]) = (ts.as_slice(), shifts.as_slice()) {
        return Ok(*t);
    }
    let shifts = shifts
        .into_iter()
        .map(|e| algebra.power(region, e))
        .collect::<Result<Vec<_>, _>>()?;
    algebra.dot(region, &shifts, &ts)
}

/// The chain `h = z h[+1] + y` over the whole claims region, ending on a gap row. Returns, per
/// layer, the chain at its first claim and at the row after its last; hands the ladder's
/// powers of `z` to `algebra`.
fn claims_chain(
    chips: &Chips,
    region: &mut Region<Fr>,
    algebra: &mut Algebra,
    plan: &Plan,
    claims: &[Vec<Wire>],
    z: Value<Fr>,
) -> Result<Vec<(Wire, Wire)>, Error> {
    let rows = plan.claims_region.clone();
    let mut values = vec![Value::known(Fr::ZERO); rows.len()];
    values[plan.ladder.end - 1 - rows.start] = Value::known(Fr::ONE);
    for (l, r) in plan.claims.iter().enumerate() {
        for (i, w) in claims[l].iter().enumerate() {
            values[r.start + i - rows.start] = w.value;
        }
    }
    let gap = region
        .assign_advice(chips.cols.h, rows.end, Value::known(Fr::ZERO))
        .cell();
    algebra.zero_all(region, &[gap])?;
    let mut below = Value::known(Fr::ZERO);
    let mut cells = vec![None; rows.len() + 1];
    cells[rows.len()] = Some(Wire {
        cell: gap,
        value: below,
    });
    for (i, t) in rows.clone().enumerate().rev() {
        let v = below * z + values[i];
        cells[i] = Some(Wire::assign(region, chips.cols.h, t, v));
        below = v;
    }
    let at = |row: usize| cells[row - rows.start].ok_or(Error::Synthesis);
    for e in 0..plan.ladder.len() {
        algebra.add_power(e, at(plan.ladder.end - 1 - e)?);
    }
    plan.claims
        .iter()
        .map(|r| Ok((at(r.start)?, at(r.end)?)))
        .collect()
}
