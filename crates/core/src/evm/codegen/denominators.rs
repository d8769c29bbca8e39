//! Before the one inversion: every denominator the verifier needs (`x^n`, `u - x omega^r` for
//! each opened rotation, the Lagrange denominators, the rotation sets' vanishing polynomials),
//! written to slots, then all inverted at once with Montgomery's trick and one `modexp`.

use super::dag::{Code, Dag};
use super::{RotationSet, Shape, WIDE, rot_name};
use std::collections::HashMap;

/// The denominators' code and the inversion's, in that order.
pub(super) struct Denominators {
    pub(super) denominators: Vec<String>,
    pub(super) inversion: Vec<String>,
}

/// Computes the denominators for these rotation sets into slots of `code` and inverts them.
pub(super) fn invert_all(
    shape: &Shape,
    sets: &[RotationSet],
    num_instances: usize,
    code: &mut Code,
) -> Denominators {
    let mut super_set: Vec<i32> = sets.iter().flat_map(|(r, _)| r.clone()).collect();
    super_set.sort();
    super_set.dedup();
    let mut pre = Dag::default();
    let x = pre.mem("X");
    let u = pre.mem("U");
    let xn = pre.pow(x, shape.n);
    let mut pre_out: Vec<(String, super::dag::N)> = vec![(code.slot("XN"), xn)];
    let mut d_nodes = HashMap::new();
    for r in &super_set {
        let om = pre.konst(shape.omega_pow(*r));
        let xo = pre.mul(x, om);
        let d = pre.sub(u, xo);
        d_nodes.insert(*r, d);
        pre_out.push((code.slot(format!("D_{}", rot_name(*r))), d));
    }
    // Lagrange values at x: L_i(x) = omega^i (x^n - 1) / (n (x - omega^i)) for the public rows
    // and the last and blinding rows.
    let lag_rows: Vec<i32> = (shape.last..0).chain(0..num_instances as i32).collect();
    let mut inverted: Vec<(String, super::dag::N)> = Vec::new();
    for r in &lag_rows {
        let om = pre.konst(shape.omega_pow(*r));
        let v = pre.sub(x, om);
        inverted.push((format!("INV_LAG_{}", rot_name(*r)), v));
    }
    let one = pre.int(1);
    let xn1 = pre.sub(xn, one);
    inverted.push(("INV_XN1".into(), xn1));
    inverted.push(("INV_X".into(), x));
    for (i, (rots, _)) in sets.iter().enumerate().skip(1) {
        let z = pre.product(rots.iter().map(|r| d_nodes[r]));
        inverted.push((format!("INV_ZSET_{i}"), z));
    }
    let mut wide: Vec<i32> = sets
        .iter()
        .filter(|(r, _)| r.len() >= WIDE)
        .flat_map(|(r, _)| r.clone())
        .collect();
    wide.sort();
    wide.dedup();
    for r in &wide {
        inverted.push((format!("INV_D_{}", rot_name(*r)), d_nodes[r]));
    }
    for (name, _) in &inverted {
        code.slot(name.clone());
    }
    let names: Vec<String> = inverted.iter().map(|(n, _)| n.clone()).collect();
    pre_out.extend(inverted);
    code.emit(&pre, &pre_out);
    let denominators = std::mem::take(&mut code.lines);
    // Montgomery's trick, straight-line: P_i = d_0 ... d_i; inv = 1 / P_last (modexp); then
    // d_i^-1 = inv P_(i-1) and inv <- inv d_i, down to d_0.
    let mut inversion = vec![format!("let acc := mload({})", names[0])];
    for (i, name) in names.iter().enumerate().skip(1) {
        let p = code.slot(format!("P_{}", i - 1));
        inversion.push(format!(
            "mstore({p}, acc) acc := mulmod(acc, mload({name}), r)"
        ));
    }
    code.slot("INV_ACC");
    inversion.push("mstore(INV_ACC, acc)".into());
    inversion.push("success := and(success, invert(INV_ACC))".into());
    inversion.push("let inv := mload(INV_ACC)".into());
    for (i, name) in names.iter().enumerate().skip(1).rev() {
        inversion.push(format!(
            "acc := mulmod(inv, mload(P_{}), r) inv := mulmod(inv, mload({name}), r) mstore({name}, acc)",
            i - 1
        ));
    }
    inversion.push(format!("mstore({}, inv)", names[0]));
    Denominators {
        denominators,
        inversion,
    }
}
