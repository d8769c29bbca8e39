//! The real prover: round trip, rejection of tampered proofs and wrong public inputs, keys on
//! disk, and the pinned verifying key.

use crate::common;

use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{Bn256, Fr};
use halo2curves::ff::Field;
use std::sync::OnceLock;
use zkmnist::circuit::ZkmnistCircuit;
use zkmnist::data::Split;
use zkmnist::prover::{self, DEV_SETUP, keys};

struct Fixture {
    circuit: ZkmnistCircuit,
    params: ParamsKZG<Bn256>,
    vk: halo2_proofs::plonk::VerifyingKey<halo2curves::bn256::G1Affine>,
    pk: halo2_proofs::plonk::ProvingKey<halo2curves::bn256::G1Affine>,
    publics: [Fr; 3],
    proof: Vec<u8>,
}

/// One dev setup and one proof, shared by the tests of this file.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let circuit = common::circuit();
        let params = prover::dev_params(circuit.dimensions().unwrap().k);
        let (vk, pk) = prover::keygen(&params, &circuit).unwrap();
        let pixels = common::npm_digits(Split::Holdout).images[7];
        let w = common::witness(&circuit, pixels, 99, 0xabcdef);
        let publics = w.public_inputs();
        let proof = prover::prove(&params, &pk, &circuit, w).unwrap();
        Fixture {
            circuit,
            params,
            vk,
            pk,
            publics,
            proof,
        }
    })
}

/// The fixture's keys written as `zkmnist setup` writes them.
fn write_keys(f: &Fixture, dir: &std::path::Path) -> keys::KeysManifest {
    keys::write(
        dir,
        DEV_SETUP,
        &f.params,
        &f.vk,
        &f.pk,
        &f.circuit.spec().content_hash,
    )
    .unwrap()
}

#[test]
fn proof_verifies() {
    let f = fixture();
    prover::verify(&f.params, &f.vk, &f.publics, &f.proof).unwrap();
}

#[test]
fn tampered_proofs_are_rejected() {
    let f = fixture();
    let n = f.proof.len();
    let mut positions: Vec<usize> = (0..n).step_by(53).collect();
    positions.extend([1, 31, 32, 63, 64, n / 2, n - 33, n - 1]);
    for pos in positions {
        for flip in [0x01u8, 0x80] {
            let mut bad = f.proof.clone();
            bad[pos] ^= flip;
            assert!(
                prover::verify(&f.params, &f.vk, &f.publics, &bad).is_err(),
                "flipping bit {flip:#x} of byte {pos} was accepted"
            );
        }
    }
}

#[test]
fn wrong_public_inputs_truncated_and_long_proofs_are_rejected() {
    let f = fixture();
    for i in 0..3 {
        let mut publics = f.publics;
        publics[i] += Fr::ONE;
        assert!(
            prover::verify(&f.params, &f.vk, &publics, &f.proof).is_err(),
            "public input {i}"
        );
    }
    // Every other digit.
    for d in 0..10u64 {
        let mut publics = f.publics;
        publics[1] = Fr::from(d);
        if publics != f.publics {
            assert!(
                prover::verify(&f.params, &f.vk, &publics, &f.proof).is_err(),
                "digit {d}"
            );
        }
    }
    assert!(prover::verify(&f.params, &f.vk, &f.publics, &f.proof[..f.proof.len() - 1]).is_err());
    assert!(prover::verify(&f.params, &f.vk, &f.publics, &f.proof[..f.proof.len() - 32]).is_err());
    let mut long = f.proof.clone();
    long.extend_from_slice(&[0u8; 32]);
    let e = prover::verify(&f.params, &f.vk, &f.publics, &long).unwrap_err();
    assert!(e.to_string().contains("unexpected bytes"), "{e}");
    assert!(prover::verify(&f.params, &f.vk, &f.publics, &[]).is_err());
}

#[test]
fn pinned_verifying_key_matches_the_circuit() {
    // Fails when the circuit or the model changes without `zkmnist setup --pin`.
    let f = fixture();
    let pinned = keys::Pinned::embedded().unwrap();
    assert_eq!(pinned.model, f.circuit.spec().content_hash);
    assert_eq!(pinned.k, f.params.k());
    assert_eq!(
        pinned.digest_for(DEV_SETUP),
        Some(prover::vk_digest(&f.vk).as_str())
    );
}

#[test]
fn keys_round_trip_and_corruption_is_detected() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let m = write_keys(f, dir.path());
    let v = keys::load_verifier(dir.path(), &f.circuit).unwrap();
    assert_eq!(v.manifest, m);
    prover::verify(&v.params, &v.vk, &f.publics, &f.proof).unwrap();
    let p = keys::load_prover(dir.path(), &f.circuit).unwrap();
    assert_eq!(prover::vk_digest(p.pk.get_vk()), m.vk_digest);
    // A flipped byte in any file is reported, never parsed.
    for name in ["params.bin", "vk.bin", "pk.bin"] {
        let path = dir.path().join(name);
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        let e = match name {
            "pk.bin" => keys::load_prover(dir.path(), &f.circuit).err().unwrap(),
            _ => keys::load_verifier(dir.path(), &f.circuit).err().unwrap(),
        };
        assert!(e.to_string().contains("corrupted"), "{name}: {e}");
        std::fs::write(&path, &good).unwrap();
    }
    let e = keys::load_verifier(&dir.path().join("none"), &f.circuit)
        .err()
        .unwrap();
    assert!(e.to_string().contains("run `zkmnist setup`"), "{e}");
}

#[test]
fn params_load_from_a_file_and_shrink() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("params.bin");
    let mut bytes = Vec::new();
    let big = prover::dev_params(f.params.k() + 1);
    big.write(&mut bytes).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let loaded = prover::load_params(&path, f.params.k()).unwrap();
    assert_eq!(loaded.k(), f.params.k());
    // A proof made with the loaded parameters verifies with them.
    let (vk, pk) = prover::keygen(&loaded, &f.circuit).unwrap();
    let pixels = common::npm_digits(Split::Holdout).images[8];
    let w = common::witness(&f.circuit, pixels, 5, 0);
    let publics = w.public_inputs();
    let proof = prover::prove(&loaded, &pk, &f.circuit, w).unwrap();
    prover::verify(&loaded, &vk, &publics, &proof).unwrap();
    let e = prover::load_params(&path, f.params.k() + 2).err().unwrap();
    assert!(e.to_string().contains("needs 2^"), "{e}");
}

/// `pk.bin` keeps the fixed and sigma values only; loading rebuilds exactly halo2's key, and a
/// malformed file (whatever its hash says) is an error naming what is wrong, never a panic.
#[test]
fn the_compact_proving_key_rebuilds_halo2s_key_and_rejects_malformed_files() {
    use zkmnist::prover::compact;
    let f = fixture();
    let bytes = compact::compact(&f.pk).unwrap();
    let full = f.pk.to_bytes(halo2_proofs::SerdeFormat::RawBytes);
    assert!(
        bytes.len() * 2 < full.len(),
        "{} of {} bytes",
        bytes.len(),
        full.len()
    );
    let rebuilt = compact::expand(&bytes, &f.vk, &f.circuit).unwrap();
    assert!(rebuilt.to_bytes(halo2_proofs::SerdeFormat::RawBytes) == full);
    let err = |b: &[u8]| {
        compact::expand(b, &f.vk, &f.circuit)
            .err()
            .unwrap()
            .to_string()
    };
    assert!(
        err(&bytes[..bytes.len() - 1]).contains("truncated"),
        "{}",
        err(&bytes[..bytes.len() - 1])
    );
    assert!(err(&bytes[..3]).contains("not a zkmnist proving key"));
    assert!(err(&[bytes.clone(), vec![0]].concat()).contains("bytes after the key"));
    let mut wrong_count = bytes.clone();
    wrong_count[8] ^= 1;
    assert!(
        err(&wrong_count).contains("polynomials where the key has"),
        "{}",
        err(&wrong_count)
    );
    let mut huge = bytes.clone();
    huge[9..13].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(err(&huge).contains("the domain has"), "{}", err(&huge));
    let mut out_of_field = bytes.clone();
    out_of_field[13..45].fill(0xff);
    assert!(
        err(&out_of_field).contains("outside the field"),
        "{}",
        err(&out_of_field)
    );
}

/// The statement API the front ends share: a proof made by `Prover::prove` gives a valid verdict
/// whose JSON has the fields in the documented order; a tampered proof, another key and a file
/// that is not a proof each give the verdict kind the server maps to its status; errors are
/// typed (wrong key, rejected, keys).
#[test]
fn the_statement_api_gives_one_verdict_per_case() {
    use zkmnist::statement::{self, PublicInputs, VerdictKind};
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    write_keys(f, dir.path());
    let verifier = statement::Verifier::load(dir.path()).unwrap();
    let prover = statement::Prover::load(dir.path()).unwrap();
    assert_eq!(prover.manifest(), verifier.manifest());
    let pixels = common::npm_digits(Split::Holdout).images[3];
    let mut stages = Vec::new();
    let proved = prover
        .prove(pixels, Fr::from(5), &mut |s| stages.push(s.to_string()))
        .unwrap();
    assert_eq!(stages, ["witness", "commitment", "proving", "checking"]);
    assert_eq!(proved.inputs.context, Fr::from(5));
    assert_eq!(
        PublicInputs::from_fields(&proved.inputs.fields()),
        Some(proved.inputs)
    );
    let text = proved.proof_json();
    let valid = verifier.verdict(text.as_bytes());
    assert_eq!(valid.kind, VerdictKind::Valid);
    let json = valid.to_json();
    let keys_in_order: Vec<&str> = [
        "valid",
        "digit",
        "image_commitment",
        "context",
        "vk_digest",
        "setup",
    ]
    .into_iter()
    .filter(|k| json.contains(&format!("\"{k}\"")))
    .collect();
    assert_eq!(keys_in_order.len(), 6, "{json}");
    assert!(json.starts_with("{\"valid\":true,\"digit\":"), "{json}");
    assert!(!json.contains("error"), "{json}");
    // The opening opens it, and the model agrees.
    let opened = statement::open(
        f.circuit.spec(),
        &statement::inspect(text.as_bytes()).unwrap(),
        proved.opening_json().as_bytes(),
    )
    .unwrap();
    assert_eq!(opened.image_commitment, proved.inputs.image_commitment);

    // A flipped proof byte: a well-formed file, not valid, with the reason.
    let mut file = proved.file.clone();
    let at = 2 + 2 * 100;
    let flipped = if &file.proof[at..at + 1] == "0" {
        "1"
    } else {
        "0"
    };
    file.proof.replace_range(at..at + 1, flipped);
    file.calldata = None;
    let bad = verifier.verdict(serde_json::to_string(&file).unwrap().as_bytes());
    assert_eq!(bad.kind, VerdictKind::Invalid);
    assert!(!bad.valid);
    assert_eq!(bad.digit, Some(proved.inputs.digit));
    assert!(
        bad.error
            .as_deref()
            .unwrap()
            .contains("the proof is invalid")
    );
    // Another key: typed as such.
    let mut other = proved.file.clone();
    other.vk_digest = format!("0x{}", "12".repeat(32));
    let parsed = statement::inspect(serde_json::to_string(&other).unwrap().as_bytes()).unwrap();
    assert!(matches!(
        verifier.verify(&parsed),
        Err(prover::ProverError::WrongKey(_))
    ));
    // Not a proof file, not text.
    for body in [&b"{\"hello\": 1}"[..], &[0xff, 0xfe][..]] {
        let v = verifier.verdict(body);
        assert_eq!(v.kind, VerdictKind::Malformed);
        let value: serde_json::Value = serde_json::from_str(&v.to_json()).unwrap();
        let fields: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(fields, ["error", "valid"], "{}", v.to_json());
        assert!(v.error.unwrap().starts_with("proof file: "));
    }
    // Keys errors are typed too.
    std::fs::write(dir.path().join("keys.json"), "{}").unwrap();
    assert!(matches!(
        keys::load_verifier(dir.path(), &f.circuit),
        Err(prover::ProverError::Keys(_))
    ));
    assert!(matches!(
        statement::Verifier::load(dir.path()),
        Err(statement::StatementError::Prover(
            prover::ProverError::Keys(_)
        ))
    ));
}
