//! The Solidity verifier: the generator, the committed sources and bytecode, and the verdicts of
//! the generated contract in an embedded EVM against the native verifier's (the anvil test in
//! tests/e2e runs the same bytecode on a real node).

use crate::common;
#[path = "../src/cli/solc.rs"]
mod solc;

use common::small_public;
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2curves::ff::Field;
use rand::{Rng, SeedableRng};
use std::sync::OnceLock;
use zkmnist::circuit::ZkmnistCircuit;
use zkmnist::data::Split;
use zkmnist::evm::{self, Artifacts, LocalEvm, generate};
use zkmnist::{field, prover};

/// The account the shared proof is bound to (its context, with the registry's address).
const SENDER: [u8; 20] = [0x5a; 20];
/// revm's default chain id.
const CHAIN_ID: u64 = 1;

/// The scalar field's modulus, big-endian.
const R_BE: &str = "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
/// The base field's modulus, big-endian.
const Q_BE: &str = "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47";

struct Fixture {
    circuit: ZkmnistCircuit,
    params: ParamsKZG<Bn256>,
    vk: VerifyingKey<G1Affine>,
    pk: halo2_proofs::plonk::ProvingKey<G1Affine>,
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

/// `DigitRegistry.contextFor(SENDER)` for the registry every test deploys (same deployer, same
/// nonce, so the same address).
fn sender_context() -> Fr {
    let (_, d) = deployed();
    evm::registry_context(CHAIN_ID, d.registry().into_array(), SENDER)
}

fn artifacts() -> Artifacts {
    Artifacts::embedded().expect("committed bytecode (zkmnist export-verifier --out circuits)")
}

fn compile(sources: &[(String, String)], wanted: &[(&str, &str)]) -> Vec<generate::Compiled> {
    let out = solc::compile(&common::root(), &generate::solc_input(sources))
        .unwrap_or_else(|e| panic!("{e}"));
    generate::solc_output(&out, wanted).unwrap()
}

/// `a + b` for 32-byte big-endian words (no overflow expected).
fn add_be(a: &[u8], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0, "overflow");
    out
}

/// The native verifier's verdict on raw calldata (public inputs, then the proof), exactly as
/// the contract receives it: non-canonical public inputs are rejected, like the contract does.
fn native_accepts(f: &Fixture, calldata: &[u8]) -> bool {
    if calldata.len() < 96 {
        return false;
    }
    let mut publics = [Fr::ZERO; 3];
    for (i, p) in publics.iter_mut().enumerate() {
        match field::from_be_bytes(&calldata[32 * i..32 * i + 32].try_into().unwrap()) {
            Some(v) => *p = v,
            None => return false,
        }
    }
    prover::verify(&f.params, &f.vk, &publics, &calldata[96..]).is_ok()
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

/// The generated verifier's verdict on raw calldata; a rejection must be a plain revert, never
/// an exceptional halt (which callers would read as lack of gas).
fn raw_accepts(chain: &mut LocalEvm, d: &evm::Deployed, calldata: Vec<u8>) -> bool {
    let r = chain
        .call(d.verifier(), calldata, evm::DEFAULT_GAS)
        .unwrap();
    assert!(!r.out_of_gas, "a rejection burned all the gas");
    if r.success {
        assert_eq!(r.output, evm::word(1), "a valid proof returns a 32-byte 1");
    }
    r.success
}

/// The committed sources, bytecode, ABIs and verifier.json are exactly what the generator and
/// the pinned solc-js make from the pinned dev key.
#[test]
fn committed_verifier_matches_regeneration() {
    let f = fixture();
    let (sources, verifier) = generate::sources(&f.params, &f.vk, prover::DEV_SETUP).unwrap();
    let wanted: Vec<(&str, &str)> = generate::CONTRACTS
        .iter()
        .map(|(s, c, _)| (*s, *c))
        .collect();
    let compiled = compile(&sources, &wanted);
    let files = generate::artifacts(&compiled, &f.vk, prover::DEV_SETUP, &verifier).unwrap();
    let root = common::root();
    let all = sources
        .iter()
        .map(|(n, t)| (root.join("circuits").join(n), t))
        .chain(
            files
                .iter()
                .map(|(n, t)| (root.join("circuits/evm").join(n), t)),
        );
    let mut checked = 0;
    for (path, text) in all {
        let committed =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            committed == *text,
            "{} differs from the regenerated file: run `zkmnist export-verifier --out circuits`",
            path.display()
        );
        checked += 1;
    }
    assert_eq!(checked, 3 + 6);
}

/// Valid accepted (raw and typed), every contract within EIP-170, gas reported.
#[test]
fn committed_verifier_accepts_valid_proofs_within_the_size_limit() {
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
    // More proofs: other images, salts and contexts; native and EVM agree on each.
    let (mut chain, d) = deployed();
    let digits = common::npm_digits(Split::Holdout);
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    for i in 0..3 {
        let pixels = digits.images[rng.gen_range(0..digits.images.len())];
        let w = common::witness(&f.circuit, pixels, rng.r#gen(), rng.r#gen());
        let publics = w.public_inputs();
        let proof = prover::prove(&f.params, &f.pk, &f.circuit, w).unwrap();
        let data = evm::calldata(&publics, &proof);
        assert!(native_accepts(f, &data), "proof {i} natively");
        assert!(raw_accepts(&mut chain, &d, data), "proof {i} in the EVM");
        assert!(
            typed_verdict(&mut chain, &d, &publics, &proof),
            "proof {i} typed"
        );
    }
}

/// Differential: single-byte changes spread over the whole calldata (public inputs, every
/// commitment and evaluation); the contract and the native verifier give the same verdict
/// (rejection) for every one.
#[test]
fn the_contract_and_the_native_verifier_agree_on_tampered_calldata() {
    let f = fixture();
    let (mut chain, d) = deployed();
    let good = evm::calldata(&f.publics, &f.proof);
    assert!(native_accepts(f, &good) && raw_accepts(&mut chain, &d, good.clone()));
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(200);
    // 237 positions in CI; `scripts/tamper-sweep.sh` asks for 1,000 or more.
    let wanted: usize = std::env::var("ZKMNIST_TAMPER_POSITIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let step = (good.len() / wanted).clamp(1, 13);
    let positions: Vec<usize> = (0..good.len()).step_by(step).collect();
    assert!(positions.len() >= wanted.min(good.len()));
    eprintln!("{} tampered calldata positions", positions.len());
    for (n, pos) in positions.iter().enumerate() {
        let mut bad = good.clone();
        bad[*pos] ^= rng.gen_range(1..=255u8);
        let native = native_accepts(f, &bad);
        let contract = raw_accepts(&mut chain, &d, bad.clone());
        assert_eq!(
            native, contract,
            "byte {pos}: native {native}, contract {contract}"
        );
        assert!(!contract, "byte {pos} changed and still accepted");
        if n % 8 == 0 && *pos >= 96 {
            assert!(
                !typed_verdict(&mut chain, &d, &f.publics, &bad[96..]),
                "byte {pos} typed"
            );
        }
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
    let r = hex::decode(R_BE).unwrap();
    // A public input plus the modulus reduces to the same field element: rejected anyway.
    for i in 0..3 {
        let mut non_canonical = good.clone();
        let v = add_be(&good[32 * i..32 * i + 32], &r);
        non_canonical[32 * i..32 * i + 32].copy_from_slice(&v);
        assert!(
            !raw_accepts(&mut chain, &d, non_canonical.clone()),
            "public input {i} + r"
        );
        assert!(!native_accepts(f, &non_canonical));
    }
    // So does an evaluation in the proof (the last one sits right before the opening points
    // W and W').
    let eval_at = good.len() - 128 - 32;
    let mut non_canonical = good.clone();
    let v = add_be(&good[eval_at..eval_at + 32], &r);
    non_canonical[eval_at..eval_at + 32].copy_from_slice(&v);
    assert!(
        !raw_accepts(&mut chain, &d, non_canonical.clone()),
        "evaluation + r"
    );
    assert!(!native_accepts(f, &non_canonical));
    // Points: off the curve, a non-canonical coordinate, the identity.
    let point_at = 96;
    let mut off_curve = good.clone();
    off_curve[point_at + 63] ^= 1;
    assert!(
        !raw_accepts(&mut chain, &d, off_curve.clone()),
        "point off the curve"
    );
    assert!(!native_accepts(f, &off_curve));
    let q = hex::decode(Q_BE).unwrap();
    let mut big_x = good.clone();
    let v = add_be(&good[point_at..point_at + 32], &q);
    big_x[point_at..point_at + 32].copy_from_slice(&v);
    assert!(!raw_accepts(&mut chain, &d, big_x.clone()), "x + q");
    assert!(!native_accepts(f, &big_x));
    let mut identity = good.clone();
    identity[point_at..point_at + 64].fill(0);
    assert!(
        !raw_accepts(&mut chain, &d, identity.clone()),
        "the identity as a commitment"
    );
    assert!(!native_accepts(f, &identity));
    // Calldata one byte or one word short or long, and a single byte. (Empty calldata is the
    // question "which key?", answered with the digest: the_contracts_name_their_key_....)
    for bad in [
        good[..good.len() - 1].to_vec(),
        good[..good.len() - 32].to_vec(),
        [good.clone(), vec![0u8; 32]].concat(),
        [good.clone(), vec![0u8]].concat(),
        vec![1u8],
    ] {
        assert!(
            !raw_accepts(&mut chain, &d, bad.clone()),
            "{} bytes",
            bad.len()
        );
        assert!(!native_accepts(f, &bad));
    }
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

/// The example consumer records the sender's digit once, and only for a proof bound to the
/// sender, this registry and this chain.
#[test]
fn digit_registry_records_a_proven_digit_for_its_sender() {
    let f = fixture();
    let (mut chain, d) = deployed();
    let sender = evm::address_from_bytes(SENDER);
    let other = evm::address_from_bytes([0x77; 20]);
    // contextFor(sender) on chain is what the Rust helper computes.
    let mut q = evm::selector("contextFor(address)").to_vec();
    q.extend(evm::address_word(sender));
    let r = chain.call(d.registry(), q, evm::DEFAULT_GAS).unwrap();
    assert!(r.success);
    assert_eq!(
        field::from_be_bytes(&r.output[..32].try_into().unwrap()),
        Some(evm::registry_context(
            CHAIN_ID,
            d.registry().into_array(),
            SENDER
        ))
    );
    let call = evm::registry_call(&f.publics, &f.proof);
    // Someone else replaying the proof: bound to SENDER, rejected.
    let r = chain
        .call_from(other, d.registry(), call.clone(), evm::DEFAULT_GAS)
        .unwrap();
    assert!(!r.success, "a proof bound to another account was accepted");
    // Another registry (another address) on the same chain: rejected.
    let (second, _, _) = chain
        .deploy(&artifacts().registry, &[evm::address_word(d.wrapper())])
        .unwrap();
    assert_ne!(second, d.registry());
    let r = chain
        .call_from(sender, second, call.clone(), evm::DEFAULT_GAS)
        .unwrap();
    assert!(!r.success, "a proof bound to another registry was accepted");
    // The same registry address on another chain: the context differs, so the proof does not
    // verify there.
    assert_ne!(
        evm::registry_context(CHAIN_ID + 1, d.registry().into_array(), SENDER),
        f.publics[2]
    );
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

/// The generator is not tied to zkmnist's layout: a small circuit of another shape (k = 8, one
/// first-phase and one second-phase advice column with a challenge, a fixed column, a lookup,
/// copies, one public input) gets a verifier that agrees with the native one.
#[test]
fn a_circuit_of_another_shape_gets_a_working_verifier() {
    let k = 8;
    let params = prover::dev_params(k);
    let values: Vec<u64> = (0..16).map(|i| (i * 7 + 3) % 16).collect();
    let (vk, pk) = common::small_keys(&params, &values);
    let public = small_public(&values);
    let proof = common::small_prove(&params, &pk, &values);
    let native = |public: Fr, proof: &[u8]| common::small_verify(&params, &vk, public, proof);
    assert!(native(public, &proof));
    let v = evm::codegen::generate(&params, &vk, 1).unwrap();
    let compiled = compile(
        &[("Small.sol".into(), v.solidity.clone())],
        &[("Small.sol", "Halo2Verifier")],
    );
    let mut chain = LocalEvm::new(true);
    let (addr, size, _) = chain.deploy(&compiled[0].bytecode, &[]).unwrap();
    assert!(size <= evm::MAX_RUNTIME_SIZE);
    let data = [field::to_be_bytes(&public).to_vec(), proof.clone()].concat();
    assert_eq!(data.len(), v.calldata_len);
    let r = chain.call(addr, data.clone(), evm::DEFAULT_GAS).unwrap();
    assert!(r.success, "the small circuit's proof was rejected");
    eprintln!("small circuit: {} bytes of code, {} gas", size, r.gas_used);
    let wrong = [
        field::to_be_bytes(&(public + Fr::ONE)).to_vec(),
        proof.clone(),
    ]
    .concat();
    assert!(!chain.call(addr, wrong, evm::DEFAULT_GAS).unwrap().success);
    for pos in (32..data.len()).step_by(17) {
        let mut bad = data.clone();
        bad[pos] ^= 0x10;
        let contract = chain
            .call(addr, bad.clone(), evm::DEFAULT_GAS)
            .unwrap()
            .success;
        assert_eq!(contract, native(public, &bad[32..]), "byte {pos}");
        assert!(!contract, "byte {pos} changed and still accepted");
    }
}

/// The raw verifier returns a 32-byte 1 on success (a call to an address without code also
/// succeeds, with nothing returned: that is why the 1 matters), answers an empty call with its
/// key's digest, and the wrapper names that key and its setup and refuses, at deployment, a
/// verifier for another key.
#[test]
fn the_contracts_name_their_key_and_success_is_a_one() {
    let f = fixture();
    let (mut chain, d) = deployed();
    let r = chain
        .call(
            d.verifier(),
            evm::calldata(&f.publics, &f.proof),
            evm::DEFAULT_GAS,
        )
        .unwrap();
    assert!(r.success);
    assert_eq!(r.output, evm::word(1));
    let nobody = evm::address_from_bytes([0x42; 20]);
    let empty = chain
        .call(
            nobody,
            evm::calldata(&f.publics, &f.proof),
            evm::DEFAULT_GAS,
        )
        .unwrap();
    assert!(
        empty.success && empty.output.is_empty(),
        "no code: success, nothing returned"
    );
    let digest = chain
        .call(d.verifier(), Vec::new(), evm::DEFAULT_GAS)
        .unwrap();
    assert!(digest.success);
    assert_eq!(
        format!("0x{}", hex::encode(&digest.output)),
        prover::vk_digest(&f.vk)
    );
    let view = |chain: &mut LocalEvm, signature: &str| {
        let r = chain
            .call(
                d.wrapper(),
                evm::selector(signature).to_vec(),
                evm::DEFAULT_GAS,
            )
            .unwrap();
        assert!(r.success, "{signature}");
        r.output
    };
    assert_eq!(
        format!("0x{}", hex::encode(view(&mut chain, "VK_DIGEST()"))),
        prover::vk_digest(&f.vk)
    );
    assert_eq!(view(&mut chain, "INSECURE_DEV_SETUP()"), evm::word(1));
    let setup = view(&mut chain, "SETUP()");
    // ABI string: offset, length, bytes.
    assert_eq!(&setup[32..64], &evm::word(prover::DEV_SETUP.len() as u64));
    assert_eq!(
        &setup[64..64 + prover::DEV_SETUP.len()],
        prover::DEV_SETUP.as_bytes()
    );
    // A wrapper pointed at a contract that is not this key's verifier (the registry) cannot be
    // deployed.
    let art = artifacts();
    let err = chain
        .deploy(&art.wrapper, &[evm::address_word(d.registry())])
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(&hex::encode("the verifier checks another key")),
        "{err}"
    );
    assert!(
        chain
            .deploy(&art.wrapper, &[evm::address_word(d.verifier())])
            .is_ok(),
        "the right verifier deploys"
    );
}
