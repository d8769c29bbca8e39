//! The SHPLONK multi-opening: commitments grouped into rotation sets by the points they are
//! opened at, and, after the inversion, each commitment's scalar in the final multi-scalar
//! multiplication and the combination `r` of the sets' interpolations at `u`.

use super::dag::{Dag, N};
use super::{Commitment, Query, RotationSet, Shape, WIDE, rot_name};
use crate::evm::EvmError;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

/// Commitments grouped by the rotations they are opened at, in order of first appearance.
pub(super) fn rotation_sets(queries: &[Query]) -> Vec<RotationSet> {
    let mut by_commitment: Vec<(Commitment, Vec<i32>)> = Vec::new();
    for q in queries {
        match by_commitment.iter_mut().find(|(c, _)| *c == q.commitment) {
            Some((_, rots)) if !rots.contains(&q.rotation) => rots.push(q.rotation),
            Some(_) => {}
            None => by_commitment.push((q.commitment, vec![q.rotation])),
        }
    }
    let mut sets: Vec<RotationSet> = Vec::new();
    for (c, rots) in &by_commitment {
        let mut key = rots.clone();
        key.sort();
        match sets.iter_mut().find(|(r, _)| *r == key) {
            Some((_, cs)) => cs.push(*c),
            None => sets.push((key, vec![*c])),
        }
    }
    sets
}

/// What the opening contributes to the multi-scalar multiplication.
pub(super) struct Opening {
    /// Each commitment's scalar.
    pub(super) scalars: Vec<(Commitment, N)>,
    /// The combination of the sets' interpolations at `u` (`-r G1` enters the MSM).
    pub(super) r_outer: N,
    /// The first set's vanishing polynomial at `u` (`-Z_0 W` enters the MSM).
    pub(super) z_0: N,
}

/// SHPLONK as halo2's verifier does it, scaled by `1 / z_diff_0`: set `i`'s commitments get the
/// scalar `v^i (Z_0(u) / Z_i(u)) y^j`, with `Z_i` the vanishing polynomial of set `i`'s points,
/// and `r_outer` collects the same combination of the sets' interpolations at `u`.
pub(super) fn shplonk(
    shape: &Shape,
    sets: &[RotationSet],
    queries: &[Query],
    dag: &mut Dag,
) -> Result<Opening, EvmError> {
    let one = dag.int(1);
    let eval_of = |c: Commitment, r: i32| -> Result<N, EvmError> {
        queries
            .iter()
            .find(|q| q.commitment == c && q.rotation == r)
            .map(|q| q.eval)
            .ok_or_else(|| EvmError::UnsupportedKey("missing evaluation".into()))
    };
    let d = |r: i32, dag: &mut Dag| dag.mem(&format!("D_{}", rot_name(r)));
    let (shplonk_y, v, inv_x) = (dag.mem("SHPLONK_Y"), dag.mem("V"), dag.mem("INV_X"));
    let set0: Vec<N> = sets[0].0.iter().map(|r| d(*r, dag)).collect();
    let z_0 = dag.product(set0);
    let mut r_outer = dag.int(0);
    let mut vpow = one;
    let mut scalars: Vec<(Commitment, N)> = Vec::new();
    for (i, (rots, comms)) in sets.iter().enumerate() {
        // The Lagrange basis of the set at u: B_k = prod_{m != k} (u - p_m) / (p_k - p_m) with
        // p_k - p_m = x (omega^k - omega^m), whose constant part is inverted here.
        let ds: Vec<N> = rots.iter().map(|r| d(*r, dag)).collect();
        // B_k = F c_k b_k with F = x^-(m-1) (times Z_set(u) for a wide set, whose b_k is
        // (u - p_k)^-1; a narrow set's b_k is the product of the other (u - p_m)).
        let wide_set = rots.len() >= WIDE;
        let mut factor = dag.pow(inv_x, rots.len() as u64 - 1);
        if wide_set {
            let z_set = dag.product(ds.clone());
            factor = dag.mul(factor, z_set);
        }
        let mut basis = Vec::new();
        for (ki, rk) in rots.iter().enumerate() {
            let mut denom = Fr::ONE;
            for (mi, rm) in rots.iter().enumerate() {
                if mi != ki {
                    denom *= shape.omega_pow(*rk) - shape.omega_pow(*rm);
                }
            }
            let c = Option::<Fr>::from(denom.invert())
                .ok_or_else(|| EvmError::UnsupportedKey("a rotation repeats in a set".into()))?;
            let b = if wide_set {
                dag.mem(&format!("INV_D_{}", rot_name(*rk)))
            } else {
                let others = ds
                    .iter()
                    .enumerate()
                    .filter(|(mi, _)| *mi != ki)
                    .map(|(_, n)| *n)
                    .collect::<Vec<_>>();
                dag.product(others)
            };
            let c = dag.konst(c);
            basis.push(dag.mul(b, c));
        }
        let scale = if i == 0 {
            one
        } else {
            vpow = dag.mul(vpow, v);
            let inv = dag.mem(&format!("INV_ZSET_{i}"));
            let z = dag.mul(z_0, inv);
            dag.mul(vpow, z)
        };
        // sum_j y^j r_j(u), by Horner from the last commitment; scalars scale y^j.
        let mut inner = dag.int(0);
        for c in comms.iter().rev() {
            let mut rj = dag.int(0);
            for (ki, rk) in rots.iter().enumerate() {
                let t = dag.mul(eval_of(*c, *rk)?, basis[ki]);
                rj = dag.add(rj, t);
            }
            let t = dag.mul(inner, shplonk_y);
            inner = dag.add(t, rj);
        }
        let mut sj = scale;
        for (j, c) in comms.iter().enumerate() {
            if j > 0 {
                sj = dag.mul(sj, shplonk_y);
            }
            scalars.push((*c, sj));
        }
        let t = dag.mul(factor, inner);
        let t = dag.mul(scale, t);
        r_outer = dag.add(r_outer, t);
    }
    Ok(Opening {
        scalars,
        r_outer,
        z_0,
    })
}
