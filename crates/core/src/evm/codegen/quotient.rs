//! After the inversion: the public inputs' evaluation, then the quotient's numerator (every
//! gate, the permutation argument, the lookups) at `x`, folded with `y` and divided by
//! `x^n - 1`: the quotient's evaluation the opening then checks.

use super::dag::{Code, Dag, N};
use super::layout::Layout;
use super::{Shape, rot_name};
use crate::evm::EvmError;
use halo2_proofs::plonk::{ConstraintSystem, Expression};
use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField};

/// Adds the instance evaluation and the quotient's evaluation to `outputs` (slots
/// `INSTANCE_EVAL` and `H_EVAL`).
pub(super) fn evaluate(
    cs: &ConstraintSystem<Fr>,
    shape: &Shape,
    layout: &Layout,
    num_instances: usize,
    dag: &mut Dag,
    code: &mut Code,
    outputs: &mut Vec<(String, N)>,
) -> Result<(), EvmError> {
    let xn = dag.mem("XN");
    let one = dag.int(1);
    let xn1 = dag.sub(xn, one);
    let n_inv = Option::<Fr>::from(Fr::from(shape.n).invert())
        .ok_or_else(|| EvmError::UnsupportedKey("domain size not invertible".into()))?;
    let n_inv = dag.konst(n_inv);
    let common = dag.mul(xn1, n_inv);
    // L_r = common (omega^r / (x - omega^r)); sums factor `common` out.
    let lag_part = |r: i32, dag: &mut Dag| {
        let inv = dag.mem(&format!("INV_LAG_{}", rot_name(r)));
        let om = dag.konst(shape.omega_pow(r));
        dag.mul(om, inv)
    };
    let lag = |r: i32, dag: &mut Dag| {
        let p = lag_part(r, dag);
        dag.mul(common, p)
    };
    let mut inst = dag.int(0);
    for i in 0..num_instances {
        let l = lag(i as i32, dag);
        let v = dag.cd(32 * i);
        let t = dag.mul(v, l);
        inst = dag.add(inst, t);
    }
    // Leaves of later arithmetic (here the gates') are read from their slots: one emission in
    // node order writes each slot before any node built after it reads it.
    outputs.push((code.slot("INSTANCE_EVAL"), inst));
    let last = shape.last;
    let l_0 = lag(0, dag);
    let l_last = lag(last, dag);
    let mut blind = lag_part(last, dag);
    for r in (last + 1)..0 {
        let l = lag_part(r, dag);
        blind = dag.add(blind, l);
    }
    let lb = dag.mul(common, blind);
    let active = dag.sub(one, lb);
    let lagrange = Lagrange {
        l_0,
        l_last,
        active,
    };
    let mut terms = gate_terms(cs, layout, dag)?;
    permutation_terms(shape, layout, &lagrange, dag, &mut terms)?;
    lookup_terms(cs, layout, &lagrange, dag, &mut terms)?;
    let numer = fold(terms, dag);
    let inv_xn1 = dag.mem("INV_XN1");
    let h = dag.mul(numer, inv_xn1);
    // The quotient's evaluation is a leaf of SHPLONK (the evaluation of a commitment).
    outputs.push((code.slot("H_EVAL"), h));
    Ok(())
}

/// `L_0(x)`, `L_last(x)`, and `1 - (L_last + L_blind)(x)` (the rows the arguments hold on).
struct Lagrange {
    l_0: N,
    l_last: N,
    active: N,
}

/// A group of polynomials sharing a factor (a gate's selector): it enters the fold as
/// `numer y^m + factor (p_0 y^(m-1) + ... + p_(m-1))`, one multiplication by the selector
/// instead of m.
type Term = (N, Vec<N>);

/// The gates' polynomials, each gate's selector factored out when all its polynomials share it.
fn gate_terms(
    cs: &ConstraintSystem<Fr>,
    layout: &Layout,
    dag: &mut Dag,
) -> Result<Vec<Term>, EvmError> {
    let evals = &layout.evals;
    let mut terms: Vec<Term> = Vec::new();
    let one = dag.int(1);
    for gate in cs.gates() {
        let polys = gate.polynomials();
        let mut split = Vec::new();
        for p in polys {
            match p {
                Expression::Product(a, b) => split.push((dag.expr(a, evals)?, dag.expr(b, evals)?)),
                _ => break,
            }
        }
        if split.len() == polys.len() && split.iter().all(|(a, _)| *a == split[0].0) {
            terms.push((split[0].0, split.into_iter().map(|(_, b)| b).collect()));
        } else {
            for p in polys {
                terms.push((one, vec![dag.expr(p, evals)?]));
            }
        }
    }
    Ok(terms)
}

/// The permutation argument: the first product starts at 1, the last ends boolean, products
/// chain across sets, and each set's grand-product step.
fn permutation_terms(
    shape: &Shape,
    layout: &Layout,
    lagrange: &Lagrange,
    dag: &mut Dag,
    terms: &mut Vec<Term>,
) -> Result<(), EvmError> {
    let (set_evals, num_sets) = (&layout.set_evals, shape.num_sets);
    let one = dag.int(1);
    let beta = dag.mem("BETA");
    let gamma = dag.mem("GAMMA");
    if num_sets == 0 {
        return Ok(());
    }
    let z0 = set_evals[0].0;
    let t = dag.sub(one, z0);
    terms.push((lagrange.l_0, vec![t]));
    let zl = set_evals[num_sets - 1].0;
    let sq = dag.mul(zl, zl);
    let t = dag.sub(sq, zl);
    terms.push((lagrange.l_last, vec![t]));
    for i in 1..num_sets {
        let prev = set_evals[i - 1]
            .2
            .ok_or_else(|| EvmError::UnsupportedKey("permutation product".into()))?;
        let t = dag.sub(set_evals[i].0, prev);
        terms.push((lagrange.l_0, vec![t]));
    }
    let x = dag.mem("X");
    let bx = dag.mul(beta, x);
    for (i, cols) in shape.perm_columns.chunks(shape.chunk).enumerate() {
        let (zi, next, _) = set_evals[i];
        let mut left = next;
        let mut right = zi;
        let mut delta = Fr::DELTA.pow_vartime([(i * shape.chunk) as u64]);
        for (j, col) in cols.iter().enumerate() {
            let eval = layout.evals.column(col)?;
            let bs = dag.mul(beta, layout.sigma_evals[i * shape.chunk + j]);
            let f = dag.add(eval, bs);
            let f = dag.add(f, gamma);
            left = dag.mul(left, f);
            let dc = dag.konst(delta);
            let d = dag.mul(bx, dc);
            let f = dag.add(eval, d);
            let f = dag.add(f, gamma);
            right = dag.mul(right, f);
            delta *= Fr::DELTA;
        }
        let t = dag.sub(left, right);
        terms.push((lagrange.active, vec![t]));
    }
    Ok(())
}

/// Each lookup's five identities (halo2's permuted-input argument).
fn lookup_terms(
    cs: &ConstraintSystem<Fr>,
    layout: &Layout,
    lagrange: &Lagrange,
    dag: &mut Dag,
    terms: &mut Vec<Term>,
) -> Result<(), EvmError> {
    let one = dag.int(1);
    let beta = dag.mem("BETA");
    let gamma = dag.mem("GAMMA");
    let theta = dag.mem("THETA");
    for (li, l) in cs.lookups().iter().enumerate() {
        let c = |i: usize| layout.lookup_evals[li][i];
        let compress = |exprs: &[Expression<Fr>], dag: &mut Dag| -> Result<N, EvmError> {
            let mut acc = dag.int(0);
            for e in exprs {
                let v = dag.expr(e, &layout.evals)?;
                let a = dag.mul(acc, theta);
                acc = dag.add(a, v);
            }
            Ok(acc)
        };
        let input = compress(l.input_expressions(), dag)?;
        let table = compress(l.table_expressions(), dag)?;
        let t = dag.sub(one, c(0));
        terms.push((lagrange.l_0, vec![t]));
        let sq = dag.mul(c(0), c(0));
        let t = dag.sub(sq, c(0));
        terms.push((lagrange.l_last, vec![t]));
        let a = dag.add(c(2), beta);
        let s = dag.add(c(4), gamma);
        let left = dag.mul(c(1), a);
        let left = dag.mul(left, s);
        let a = dag.add(input, beta);
        let s = dag.add(table, gamma);
        let right = dag.mul(c(0), a);
        let right = dag.mul(right, s);
        let t = dag.sub(left, right);
        terms.push((lagrange.active, vec![t]));
        let d = dag.sub(c(2), c(4));
        terms.push((lagrange.l_0, vec![d]));
        let e = dag.sub(c(2), c(3));
        let t = dag.mul(d, e);
        terms.push((lagrange.active, vec![t]));
    }
    Ok(())
}

/// Folds the terms with `y` (neighbours with the same factor as one group).
fn fold(terms: Vec<Term>, dag: &mut Dag) -> N {
    let mut groups: Vec<Term> = Vec::new();
    for (f, polys) in terms {
        match groups.last_mut() {
            Some((g, ps)) if *g == f => ps.extend(polys),
            _ => groups.push((f, polys)),
        }
    }
    let y = dag.mem("Y");
    let mut numer = dag.int(0);
    for (factor, polys) in &groups {
        let mut inner = dag.int(0);
        for p in polys {
            let s = dag.mul(inner, y);
            inner = dag.add(s, *p);
        }
        let ym = dag.pow(y, polys.len() as u64);
        let s = dag.mul(numer, ym);
        let t = dag.mul(*factor, inner);
        numer = dag.add(s, t);
    }
    numer
}
