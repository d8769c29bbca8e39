//! Importing a real ceremony file (ppot-rs 0.1.1's 8.ptau, fetched by scripts/fetch-ptau.sh):
//! proofs made with the imported parameters verify; corrupt, truncated and too-small files are
//! rejected; the import is deterministic.

use crate::common;

use common::small_public;
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{Bn256, Fr};
use zkmnist::prover::srs;

const PUBLISHED_B2: &str = "d6a8fb3a04feb600096c3b791f936a578c4e664d262e4aa24beed1b7a9a96aa5eb72864d628db247e9293384b74b36ffb52ca8d148d6e1b8b51e279fdf57b583";

fn ptau() -> Vec<u8> {
    std::fs::read(common::root().join(".cache/ptau/8.ptau"))
        .expect("run scripts/fetch-ptau.sh first")
}

fn params_bytes(p: &ParamsKZG<Bn256>) -> Vec<u8> {
    let mut v = Vec::new();
    p.write(&mut v).unwrap();
    v
}

fn prove_and_verify(params: &ParamsKZG<Bn256>, values: &[u64], public: Fr) -> bool {
    let (vk, pk) = common::small_keys(params, values);
    let proof = common::small_prove(params, &pk, values);
    common::small_verify(params, &vk, public, &proof)
}

#[test]
fn real_ceremony_params_prove_and_verify() {
    let bytes = ptau();
    assert_eq!(srs::setup_label(&bytes), format!("ptau:{PUBLISHED_B2}"));
    let params = srs::import(&bytes, 8).unwrap();
    assert_eq!(params.k(), 8);
    let values: Vec<u64> = (0..16).map(|i| (5 * i + 1) % 16).collect();
    assert!(prove_and_verify(&params, &values, small_public(&values)));
    assert!(!prove_and_verify(
        &params,
        &values,
        small_public(&values) + Fr::from(1)
    ));
}

#[test]
fn import_is_deterministic_and_smaller_k_is_a_prefix() {
    let bytes = ptau();
    let a = params_bytes(&srs::import(&bytes, 8).unwrap());
    let b = params_bytes(&srs::import(&bytes, 8).unwrap());
    assert_eq!(a, b);
    assert_eq!(srs::import(&bytes, 5).unwrap().k(), 5);
}

/// Why importing `bytes` for `2^k` rows fails ("" if it does not).
fn err(bytes: &[u8], k: u32) -> String {
    srs::import(bytes, k)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

/// The file's sections: (id, offset of the data, size).
fn sections(bytes: &[u8]) -> Vec<(u32, usize, usize)> {
    let mut out = Vec::new();
    let mut at = 12;
    while at < bytes.len() {
        let id = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let size = u64::from_le_bytes(bytes[at + 4..at + 12].try_into().unwrap()) as usize;
        out.push((id, at + 12, size));
        at += 12 + size;
    }
    out
}

/// Where section `id`'s data starts, and its size.
fn section(bytes: &[u8], id: u32) -> (usize, usize) {
    let (_, at, size) = sections(bytes)
        .into_iter()
        .find(|s| s.0 == id)
        .expect("section");
    (at, size)
}

#[test]
fn bad_files_are_rejected_with_reasons() {
    let bytes = ptau();
    assert!(
        err(&bytes, 9).contains("powers up to 2^8"),
        "{}",
        err(&bytes, 9)
    );
    assert!(
        err(&bytes[..bytes.len() / 2], 8).contains("truncated"),
        "{}",
        err(&bytes[..bytes.len() / 2], 8)
    );
    assert!(err(&bytes[..10], 8).contains("truncated"));
    let mut magic = bytes.clone();
    magic[0] = b'q';
    assert!(err(&magic, 8).contains("does not start with"));
    // Section 2 (tau G1), to corrupt points in it.
    let (g1, _) = section(&bytes, 2);
    for (point, byte) in [(0usize, 5usize), (3, 40), (100, 7), (256, 0)] {
        let mut bad = bytes.clone();
        bad[g1 + 64 * point + byte] ^= 1;
        let e = err(&bad, 8);
        assert!(
            e.contains("not a usable .ptau file"),
            "point {point}: {e:?}"
        );
    }
    // Swapping two powers keeps every point on the curve: only the pairing check sees it.
    let mut swapped = bytes.clone();
    let (p, q) = (g1 + 64 * 10, g1 + 64 * 11);
    let tmp: Vec<u8> = swapped[p..p + 64].to_vec();
    swapped.copy_within(q..q + 64, p);
    swapped[q..q + 64].copy_from_slice(&tmp);
    assert!(
        err(&swapped, 8).contains("pairing check failed"),
        "{}",
        err(&swapped, 8)
    );
}

/// Ceremony files whose secret is known (tau = 1, tau = 0, a repeated power) and out-of-range
/// `k` or header powers are refused with reasons, never imported and never a panic.
#[test]
fn degenerate_ceremonies_and_bad_k_are_rejected() {
    let bytes = ptau();
    for k in [0, 1, 3, 29, 64] {
        assert!(
            err(&bytes, k).contains("out of range"),
            "k = {k}: {}",
            err(&bytes, k)
        );
    }
    let (header, _) = section(&bytes, 1);
    let (g1, g1_size) = section(&bytes, 2);
    let (g2, _) = section(&bytes, 3);
    // tau = 1: every power is the generator.
    let mut one = bytes.clone();
    let generator: Vec<u8> = one[g1..g1 + 64].to_vec();
    for i in 1..g1_size / 64 {
        one[g1 + 64 * i..g1 + 64 * (i + 1)].copy_from_slice(&generator);
    }
    let g2_gen: Vec<u8> = one[g2..g2 + 128].to_vec();
    one[g2 + 128..g2 + 256].copy_from_slice(&g2_gen);
    let e = err(&one, 8);
    assert!(e.contains("the secret is known"), "{e}");
    // tau = 0: the powers after the first are the point at infinity.
    let mut zero = bytes.clone();
    zero[g1 + 64..g1 + g1_size].fill(0);
    let e = err(&zero, 8);
    assert!(e.contains("point at infinity"), "{e}");
    // A repeated power (tau^7 = tau^5): tau would have a tiny order.
    let mut repeated = bytes.clone();
    let p5: Vec<u8> = repeated[g1 + 64 * 5..g1 + 64 * 6].to_vec();
    repeated[g1 + 64 * 7..g1 + 64 * 8].copy_from_slice(&p5);
    let e = err(&repeated, 8);
    assert!(e.contains("repeats an earlier power"), "{e}");
    // A header claiming 2^64 powers: no shift overflow, no allocation, a reason.
    let mut huge = bytes.clone();
    huge[header + 36..header + 40].copy_from_slice(&64u32.to_le_bytes());
    let e = err(&huge, 8);
    assert!(e.contains("claims powers up to 2^64"), "{e}");
    // A section claiming more bytes than the file has.
    let mut long = bytes.clone();
    long[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    let e = err(&long, 8);
    assert!(e.contains("truncated"), "{e}");
}
