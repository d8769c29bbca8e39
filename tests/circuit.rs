//! MockProver tests of the whole circuit: honest witnesses pass, one tampered cell fails the
//! named constraint.

mod common;

use halo2_proofs::dev::{MockProver, VerifyFailure};
use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use zkmnist::circuit::{Tamper, Witness, ZkmnistCircuit, ZkmnistConfig};
use zkmnist::data::Split;

use common::circuit;

fn witness(c: &ZkmnistCircuit, pixels: [u8; 784]) -> Witness {
    common::witness(c, pixels, 123_456_789, 42)
}

fn config() -> ZkmnistConfig {
    ZkmnistCircuit::configure(&mut ConstraintSystem::default())
}

fn run(c: &ZkmnistCircuit, w: &Witness) -> Result<(), Vec<VerifyFailure>> {
    let k = c.dimensions().unwrap().k;
    let prover = MockProver::run(
        k,
        &c.with_witness(w.clone()),
        vec![w.public_inputs().to_vec()],
    )
    .unwrap();
    prover.verify()
}

#[test]
fn honest_witness_satisfies_every_constraint() {
    let c = circuit();
    let holdout = common::npm_digits(Split::Holdout);
    for img in holdout.images.iter().take(2) {
        let w = witness(&c, *img);
        assert_eq!(run(&c, &w), Ok(()));
    }
    eprintln!("{:?}", c.dimensions());
}

#[test]
fn wrong_public_inputs_fail() {
    let c = circuit();
    let img = common::npm_digits(Split::Holdout).images[0];
    let w = witness(&c, img);
    let k = c.dimensions().unwrap().k;
    for i in 0..3 {
        let mut publics = w.public_inputs().to_vec();
        publics[i] += Fr::from(1);
        let prover = MockProver::run(k, &c.with_witness(w.clone()), vec![publics]).unwrap();
        assert!(
            prover.verify().is_err(),
            "public input {i} changed but verification passed"
        );
    }
}

/// Row offsets of the layout (documented in `zkmnist::circuit`): the lookup lane holds the 784
/// pixels, the salt, then two rows per requantized value, layer by layer; the lanes hold the
/// 28 row packings (4 rows each), a zero, ten Poseidon hashes (69 rows each), then the layers.
const SALT_ROW: usize = 784;
const CONV1_REQUANT_ROW: usize = 785;
const POSEIDON_ROW: usize = 28 * 4 + 1;
const CONV1_LANE_ROW: usize = POSEIDON_ROW + 10 * 69;

fn tampered_failures(
    column: impl Fn(&ZkmnistConfig) -> halo2_proofs::plonk::Column<halo2_proofs::plonk::Advice>,
    row: usize,
    value: impl Fn(Fr) -> Fr,
) -> Vec<String> {
    let c = circuit();
    let img = common::npm_digits(Split::Holdout).images[1];
    let w = witness(&c, img);
    let k = c.dimensions().unwrap().k;
    let col = column(&config());
    let honest = MockProver::run(
        k,
        &c.with_witness(w.clone()),
        vec![w.public_inputs().to_vec()],
    )
    .unwrap();
    let old = match honest.advice_values(col)[row] {
        halo2_proofs::dev::AdviceCellValue::Assigned(ref a) => a.evaluate(),
        _ => Fr::zero(),
    };
    let t = c.with_witness(w.clone()).with_tamper(Tamper {
        column: col,
        row,
        value: value(old),
    });
    failures(MockProver::run(k, &t, vec![w.public_inputs().to_vec()]).unwrap())
}

/// Every failure of a prover that must fail, as text.
fn failures(prover: MockProver<Fr>) -> Vec<String> {
    prover
        .verify()
        .unwrap_err()
        .iter()
        .map(|f| f.to_string())
        .collect()
}

fn assert_fails(failures: &[String], expect: &str) {
    assert!(
        failures.iter().any(|f| f.contains(expect)),
        "expected a failure mentioning {expect:?}, got {failures:#?}"
    );
}

/// The named gate (or lookup) fails at `row` (MockProver says "at offset N" inside the region
/// or "on row N" when it attributes the row to no region; the region starts at row 0).
fn assert_fails_at(failures: &[String], name: &str, row: usize) {
    let hit = failures.iter().any(|f| {
        f.contains(name)
            && (f.contains(&format!(" at offset {row}\n"))
                || f.ends_with(&format!(" at offset {row}"))
                || f.contains(&format!(" on row {row}\n"))
                || f.ends_with(&format!(" on row {row}")))
    });
    assert!(
        hit,
        "expected {name:?} to fail at row {row}, got {failures:#?}"
    );
}

#[test]
fn pixel_out_of_range_fails_the_lookup() {
    let f = tampered_failures(|c| c.table.a, 5, |_| Fr::from(256));
    assert_fails_at(&f, "Lookup range/activation table", 5);
}

#[test]
fn requantized_value_off_by_one_fails_requantize() {
    // Output 10 of conv1: its quotient q is at lookup row 785 + 2 * 10.
    let row = CONV1_REQUANT_ROW + 20;
    let f = tampered_failures(|c| c.table.a, row, |q| q + Fr::ONE);
    assert_fails_at(&f, "('requantize')", row);
    // The remainder one row below.
    let f = tampered_failures(|c| c.table.a, row + 1, |r| r - Fr::ONE);
    assert_fails_at(&f, "('requantize')", row);
}

#[test]
fn remainder_out_of_range_fails_the_lookup() {
    // q - 1 with r + 2^s satisfies the requantize equation but r leaves its range.
    let c = circuit();
    let shift = zkmnist::circuit::table::activation_ranges(c.spec())[0]
        .requant
        .shift;
    let row = CONV1_REQUANT_ROW + 20;
    let f = tampered_failures(|c| c.table.a, row + 1, |r| r + Fr::from(1u64 << shift));
    assert_fails_at(&f, "Lookup range/activation table", row + 1);
}

#[test]
fn negative_relu_output_fails_the_lookup() {
    let row = CONV1_REQUANT_ROW + 20;
    let f = tampered_failures(|c| c.table.b, row, |_| -Fr::ONE);
    assert_fails_at(&f, "Lookup range/activation table", row);
}

#[test]
fn wrong_dot_product_fails_dot_gate() {
    // conv1's first dot product spans three rows; its sum runs from the last row up.
    let row = CONV1_LANE_ROW + 1;
    let f = tampered_failures(|c| c.dot.acc, row, |a| a + Fr::ONE);
    assert_fails_at(&f, "('dot running sum')", row);
    let last = CONV1_LANE_ROW + 2;
    let f = tampered_failures(|c| c.dot.acc, last, |a| a + Fr::ONE);
    assert_fails_at(&f, "('dot last row')", last);
}

#[test]
fn patch_input_not_copied_from_pixel_fails_equality() {
    let f = tampered_failures(|c| c.dot.lanes[3], CONV1_LANE_ROW, |x| x + Fr::ONE);
    assert_fails(&f, "Equality constraint not satisfied");
}

#[test]
fn poseidon_state_word_fails_the_round() {
    // State after round 5 (a partial round) of the first hash, word 3.
    let row = POSEIDON_ROW + 6;
    let f = tampered_failures(|c| c.dot.lanes[3], row, |x| x + Fr::ONE);
    assert_fails_at(&f, "('poseidon partial round')", row - 1);
    // A square of round 0 (a full round): word 1's square sits in lane 5 + 1.
    let f = tampered_failures(|c| c.dot.lanes[6], POSEIDON_ROW, |x| x + Fr::ONE);
    assert_fails_at(&f, "('poseidon full round')", POSEIDON_ROW);
    let f = tampered_failures(|c| c.dot.lanes[0], POSEIDON_ROW, |_| Fr::ONE);
    assert_fails_at(&f, "('poseidon capacity is zero')", POSEIDON_ROW);
}

#[test]
fn salt_change_breaks_the_commitment() {
    let f = tampered_failures(|c| c.table.a, SALT_ROW, |s| s + Fr::ONE);
    assert!(!f.is_empty());
}

/// The argmax rows are the last ten lane rows.
fn argmax_row(j: usize) -> usize {
    circuit().dimensions().unwrap().lane_rows - 10 + j
}

#[test]
fn non_boolean_argmax_bit_fails() {
    let row = argmax_row(3);
    let f = tampered_failures(|c| c.dot.lanes[3], row, |_| Fr::from(2));
    assert_fails_at(&f, "('argmax bit is boolean')", row);
}

#[test]
fn argmax_difference_byte_fails() {
    let row = argmax_row(4);
    let f = tampered_failures(|c| c.dot.lanes[5], row, |b| b + Fr::ONE);
    assert_fails_at(&f, "('argmax difference is non-negative')", row);
}

/// A prover claiming any digit but the first maximum cannot satisfy the circuit, even with a
/// witness built consistently around the lie (bits, sums and bytes all recomputed).
#[test]
fn every_wrong_digit_is_rejected() {
    let c = circuit();
    let k = c.dimensions().unwrap().k;
    let img = common::npm_digits(Split::Holdout).images[2];
    let honest = witness(&c, img);
    for d in (0..10).filter(|d| *d != honest.trace.digit) {
        let mut w = honest.clone();
        w.trace.digit = d;
        let failures = failures(
            MockProver::run(
                k,
                &c.with_witness(w.clone()),
                vec![w.public_inputs().to_vec()],
            )
            .unwrap(),
        );
        assert!(
            failures
                .iter()
                .any(|f| f.contains("Lookup range/activation table") || f.contains("argmax")),
            "digit {d}: {failures:#?}"
        );
    }
}

/// Random images (noise, blank, saturated, random strokes) and real digits: the circuit accepts
/// exactly the reference's digit and commitment.
#[test]
fn circuit_digit_is_the_reference_digit() {
    use proptest::prelude::*;
    let c = circuit();
    let k = c.dimensions().unwrap().k;
    let check = |pixels: [u8; 784]| {
        let w = witness(&c, pixels);
        let prover = MockProver::run(
            k,
            &c.with_witness(w.clone()),
            vec![w.public_inputs().to_vec()],
        )
        .unwrap();
        prover.verify().map_err(|e| format!("{e:?}"))
    };
    for img in common::npm_digits(Split::Holdout).images.iter().step_by(97) {
        check(*img).unwrap();
    }
    check([0; 784]).unwrap();
    check([255; 784]).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 6,
        ..Default::default()
    });
    runner
        .run(&proptest::collection::vec(any::<u8>(), 784), |v| {
            let pixels: [u8; 784] = v.try_into().unwrap();
            prop_assert_eq!(check(pixels), Ok(()));
            Ok(())
        })
        .unwrap();
}
