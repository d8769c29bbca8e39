//! The Solidity verifier: generation, the committed bytecode, and its verdicts in an embedded
//! EVM (feature `evm`; the anvil tests in tests/e2e run the same bytecode on a real node).
#![cfg(feature = "evm")]

mod common;

use halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use std::sync::OnceLock;
use zkmnist::circuit::ZkmnistCircuit;
use zkmnist::data::Split;
use zkmnist::evm::{self, Artifacts, LocalEvm};
use zkmnist::{field, prover};

/// The account the shared proof is bound to (its context).
const SENDER: [u8; 20] = [0x5a; 20];

struct Fixture {
    circuit: ZkmnistCircuit,
    params: ParamsKZG<Bn256>,
    vk: VerifyingKey<G1Affine>,
    pk: ProvingKey<G1Affine>,
    publics: [Fr; 3],
    proof: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let circuit = common::circuit();
        let params = prover::dev_params(circuit.dimensions().unwrap().k);
        let (vk, pk) = prover::keygen(&params, &circuit).unwrap();
        let pixels = common::npm_digits(Split::Holdout).images[3];
        let mut w = common::witness(&circuit, pixels, 11, 0);
        w.context = sender_context();
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

fn sender_context() -> Fr {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(&SENDER);
    field::from_be_bytes(&w).unwrap()
}

fn artifacts() -> Artifacts {
    Artifacts::embedded().expect("committed bytecode (zkmnist export-verifier --out circuits)")
}

/// snark-verifier's own EVM transcript and ours agree byte for byte (a proof written with
/// theirs verifies with ours), and so do the calldata encodings.
#[test]
fn snark_verifier_transcript_and_calldata_agree_with_ours() {
    let f = fixture();
    let w = common::witness(
        &f.circuit,
        common::npm_digits(Split::Holdout).images[5],
        3,
        4,
    );
    let publics = w.public_inputs();
    let theirs = snark_verifier_sdk::evm::gen_evm_proof_shplonk(
        &f.params,
        &f.pk,
        f.circuit.with_witness(w),
        vec![publics.to_vec()],
    );
    prover::verify(&f.params, &f.vk, &publics, &theirs)
        .expect("a snark-verifier EVM-transcript proof verifies natively");
    assert_eq!(
        evm::calldata(&publics, &theirs),
        snark_verifier_sdk::evm::encode_calldata(&[publics.to_vec()], &theirs)
    );
}

/// The committed sources, bytecode and ABIs are exactly what the pinned dev key generates.
#[test]
fn committed_verifier_matches_regeneration() {
    let f = fixture();
    let files =
        evm::generate::export(&common::root(), &f.params, &f.vk, prover::DEV_SETUP).unwrap();
    assert!(files.len() >= 10);
    for (name, text) in files {
        let path = if name.ends_with(".sol") {
            common::root().join("circuits").join(&name)
        } else {
            common::root().join("circuits/evm").join(&name)
        };
        let committed =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            committed == text,
            "{} differs from the regenerated file: run `zkmnist export-verifier --out circuits`",
            path.display()
        );
    }
}

/// Valid accepted (raw and typed), every contract within EIP-170, gas reported.
#[test]
fn committed_verifier_accepts_a_valid_proof_within_the_size_limit() {
    let f = fixture();
    let v = evm::verify_with_artifacts(&artifacts(), &f.publics, &f.proof).unwrap();
    assert!(v.valid);
    for size in v.runtime_sizes {
        assert!(size > 0 && size <= evm::MAX_RUNTIME_SIZE, "{size} bytes");
    }
    eprintln!(
        "runtime sizes {:?}, deploy gas {:?}, verify gas {} (raw {})",
        v.runtime_sizes, v.deploy_gas, v.gas_used, v.verifier_gas
    );
    assert!(
        v.verifier_gas > 113_000,
        "cannot verify below the pairing cost"
    );
}

fn deployed() -> (LocalEvm, evm::Deployed) {
    let mut chain = LocalEvm::new(true);
    let d = chain.deploy_all(&artifacts()).unwrap();
    (chain, d)
}

fn typed_verdict(chain: &mut LocalEvm, d: &evm::Deployed, publics: &[Fr; 3], proof: &[u8]) -> bool {
    let r = chain
        .call(
            d.wrapper(),
            evm::wrapper_call(publics, proof),
            evm::DEFAULT_GAS,
        )
        .unwrap();
    assert!(r.success, "verify must not revert with ample gas");
    evm::decode_bool(&r.output).unwrap()
}

fn raw_accepts(chain: &mut LocalEvm, d: &evm::Deployed, calldata: Vec<u8>) -> bool {
    chain
        .call(d.verifier(), calldata, evm::DEFAULT_GAS)
        .unwrap()
        .success
}

#[test]
fn tampered_proofs_are_rejected_in_the_evm() {
    let f = fixture();
    let (mut chain, d) = deployed();
    assert!(typed_verdict(&mut chain, &d, &f.publics, &f.proof));
    // Every 32-byte word of the proof, plus the last byte, one bit each.
    let positions: Vec<usize> = (0..f.proof.len())
        .step_by(97)
        .chain([f.proof.len() - 1])
        .collect();
    for pos in positions {
        let mut bad = f.proof.clone();
        bad[pos] ^= 1 << (pos % 8);
        assert!(
            !typed_verdict(&mut chain, &d, &f.publics, &bad),
            "flipped byte {pos} accepted by the wrapper"
        );
        assert!(
            !raw_accepts(&mut chain, &d, evm::calldata(&f.publics, &bad)),
            "flipped byte {pos} accepted by the verifier"
        );
    }
}

#[test]
fn wrong_public_inputs_and_malformed_calldata_are_rejected_in_the_evm() {
    let f = fixture();
    let (mut chain, d) = deployed();
    for i in 0..3 {
        let mut wrong = f.publics;
        wrong[i] += Fr::from(1);
        assert!(
            !typed_verdict(&mut chain, &d, &wrong, &f.proof),
            "public input {i}"
        );
        assert!(!raw_accepts(
            &mut chain,
            &d,
            evm::calldata(&wrong, &f.proof)
        ));
    }
    // Every other digit.
    for digit in 0..10u64 {
        let mut wrong = f.publics;
        wrong[1] = Fr::from(digit);
        if wrong != f.publics {
            assert!(
                !typed_verdict(&mut chain, &d, &wrong, &f.proof),
                "digit {digit}"
            );
        }
    }
    let good = evm::calldata(&f.publics, &f.proof);
    assert!(raw_accepts(&mut chain, &d, good.clone()));
    // A public input plus the modulus reduces to the same field element: rejected anyway.
    let mut non_canonical = good.clone();
    let r =
        hex::decode("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001").unwrap();
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(non_canonical[i]) + u16::from(r[i]) + carry;
        non_canonical[i] = s as u8;
        carry = s >> 8;
    }
    assert_eq!(
        carry, 0,
        "the fixture's commitment is small enough to add r once"
    );
    assert!(!raw_accepts(&mut chain, &d, non_canonical));
    // Truncated and over-long calldata, and an empty call.
    assert!(!raw_accepts(
        &mut chain,
        &d,
        good[..good.len() - 1].to_vec()
    ));
    assert!(!raw_accepts(
        &mut chain,
        &d,
        good[..good.len() - 32].to_vec()
    ));
    let mut long = good.clone();
    long.extend([0u8; 32]);
    assert!(!raw_accepts(&mut chain, &d, long));
    let mut one_more = good;
    one_more.push(0);
    assert!(!raw_accepts(&mut chain, &d, one_more));
    assert!(!raw_accepts(&mut chain, &d, Vec::new()));
    assert!(!typed_verdict(
        &mut chain,
        &d,
        &f.publics,
        &f.proof[..f.proof.len() - 1]
    ));
    let mut longer = f.proof.clone();
    longer.extend([0u8; 32]);
    assert!(!typed_verdict(&mut chain, &d, &f.publics, &longer));
    assert!(!typed_verdict(&mut chain, &d, &f.publics, &[]));
}

/// Too little gas is never a `false` verdict: the call reverts (or runs out of gas) instead.
#[test]
fn too_little_gas_reverts_instead_of_returning_false() {
    let f = fixture();
    let (mut chain, d) = deployed();
    let data = evm::wrapper_call(&f.publics, &f.proof);
    let needed = chain
        .call(d.wrapper(), data.clone(), evm::DEFAULT_GAS)
        .unwrap()
        .gas_used;
    // Below ~190k the transaction is refused before it runs (EIP-7623 calldata floor).
    let mut limits: Vec<u64> = (1..20)
        .map(|i| needed * i / 20)
        .filter(|l| *l > 200_000)
        .collect();
    limits.extend([needed - 5_000, needed - 1_000, needed - 100, needed - 1]);
    for limit in limits {
        let r = chain.call(d.wrapper(), data.clone(), limit).unwrap();
        assert!(
            !r.success,
            "with {limit} of {needed} gas the call returned {:?}",
            r.output
        );
    }
    // gas_used is below the limit a call needs (EIP-150 keeps 1/64 back at each call):
    // like eth_estimateGas, search for the least limit that works; it must say true.
    let (mut lo, mut hi) = (needed, needed * 2);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        let r = chain.call(d.wrapper(), data.clone(), mid).unwrap();
        if r.success {
            assert!(evm::decode_bool(&r.output).unwrap(), "false with {mid} gas");
            hi = mid;
        } else {
            lo = mid;
        }
    }
    eprintln!("gas used {needed}, least gas limit that succeeds {hi}");
}

/// The example consumer records the sender's digit once, and only for a proof bound to it.
#[test]
fn digit_registry_records_a_proven_digit_for_its_sender() {
    let f = fixture();
    let (mut chain, d) = deployed();
    let sender = evm::address_from_bytes(SENDER);
    let other = evm::address_from_bytes([0x77; 20]);
    let call = evm::registry_call(&f.publics, &f.proof);
    // Someone else replaying the proof: bound to SENDER, rejected.
    let r = chain
        .call_from(other, d.registry(), call.clone(), evm::DEFAULT_GAS)
        .unwrap();
    assert!(!r.success, "a proof bound to another account was accepted");
    let r = chain
        .call_from(sender, d.registry(), call.clone(), evm::DEFAULT_GAS)
        .unwrap();
    assert!(r.success, "record reverted: 0x{}", hex::encode(&r.output));
    eprintln!("DigitRegistry.record gas {}", r.gas_used);
    // entries(address) -> (bool recorded, uint8 digit, uint256 imageCommitment)
    let mut q = evm::selector("entries(address)").to_vec();
    q.extend(evm::address_word(sender));
    let r = chain.call(d.registry(), q, evm::DEFAULT_GAS).unwrap();
    assert!(r.success);
    assert_eq!(r.output.len(), 96);
    assert_eq!(r.output[31], 1);
    assert_eq!(Fr::from(u64::from(r.output[63])), f.publics[1]);
    assert_eq!(
        field::from_be_bytes(&r.output[64..96].try_into().unwrap()),
        Some(f.publics[0])
    );
    // The same image twice: rejected.
    let r = chain
        .call_from(sender, d.registry(), call, evm::DEFAULT_GAS)
        .unwrap();
    assert!(!r.success, "the same image commitment was recorded twice");
}
