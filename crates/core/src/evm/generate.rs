//! What `zkmnist export-verifier` writes: the generated verifier ([`super::codegen`]), the
//! wrapper rendered for its key (`templates/ZkmnistVerifier.sol`: the typed ABI, and the key's
//! digest and setup for dApps to read), the hand-written example consumer, the solc
//! standard-JSON input that compiles them, and `verifier.json`. Compiling is the caller's job (the CLI runs `node scripts/solc.js`, a
//! build-time tool): this library never runs a compiler.

use super::EvmError;
use super::codegen;
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{Bn256, G1Affine};
use zkmnist_circuit::PUBLIC_INPUTS;

/// The wrapper with the typed ABI, rendered for one key: the template carries the key's digest,
/// its setup and whether that setup is the insecure dev one.
#[derive(askama::Template)]
#[template(path = "ZkmnistVerifier.sol", escape = "none")]
struct WrapperTemplate<'a> {
    vk_digest: String,
    setup: &'a str,
    insecure: bool,
}

/// The example consumer (hand-written).
pub(crate) const REGISTRY_SOURCE: &str = include_str!("../../../../circuits/DigitRegistry.sol");

/// The contracts, in deployment order: `(source file, contract, constructor)`. Each
/// constructor takes the previous contract's address.
pub const CONTRACTS: [(&str, &str, &str); 3] = [
    ("Halo2Verifier.sol", "Halo2Verifier", "Halo2Verifier()"),
    (
        "ZkmnistVerifier.sol",
        "ZkmnistVerifier",
        "ZkmnistVerifier(address verifier)",
    ),
    (
        "DigitRegistry.sol",
        "DigitRegistry",
        "DigitRegistry(address zkmnist)",
    ),
];

/// The solc version the sources pin (`pragma solidity 0.8.19`; npm `solc` in package.json).
pub(crate) const SOLC_VERSION: &str = "0.8.19";

/// Optimizer settings, recorded in `verifier.json`. Many runs: the constant optimizer keeps
/// 32-byte constants as `PUSH32` (cheaper per call than reading them from code). The Yul
/// optimizer stays off: the verifier is one straight-line assembly block it gains little on,
/// and it runs the stack too deep.
pub(crate) const OPTIMIZER_RUNS: u64 = 1_000_000;

/// One compiled contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// Creation bytecode.
    pub bytecode: Vec<u8>,
    /// The ABI, as solc prints it (JSON).
    pub abi: serde_json::Value,
}

/// The sources of [`CONTRACTS`], in order, as (file name, text), and the generated verifier,
/// for a key from `setup` (`dev-insecure` or `ptau:<blake2b>`, which the wrapper names).
pub fn sources(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    setup: &str,
) -> Result<(Vec<(String, String)>, codegen::Verifier), EvmError> {
    use askama::Template;
    // The label becomes a Solidity string literal: only the characters setups are named with.
    if setup.is_empty()
        || !setup
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b':' || b == b'-')
    {
        return Err(EvmError::SetupLabel(setup.to_string()));
    }
    let verifier = codegen::generate(params, vk, PUBLIC_INPUTS)?;
    let wrapper = WrapperTemplate {
        vk_digest: crate::prover::vk_digest(vk),
        setup,
        insecure: setup == crate::prover::DEV_SETUP,
    }
    .render()
    .map_err(|source| EvmError::Template {
        what: "ZkmnistVerifier.sol",
        source,
    })?;
    let files = vec![
        (CONTRACTS[0].0.to_string(), verifier.solidity.clone()),
        (CONTRACTS[1].0.to_string(), wrapper + "\n"),
        (CONTRACTS[2].0.to_string(), REGISTRY_SOURCE.to_string()),
    ];
    Ok((files, verifier))
}

/// The solc standard-JSON input compiling `sources` with the project's settings.
pub fn solc_input(sources: &[(String, String)]) -> serde_json::Value {
    let sources: serde_json::Map<String, serde_json::Value> = sources
        .iter()
        .map(|(name, text)| (name.clone(), serde_json::json!({ "content": text })))
        .collect();
    serde_json::json!({
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "optimizer": { "enabled": true, "runs": OPTIMIZER_RUNS, "details": { "yul": false } },
            "outputSelection": { "*": { "*": ["evm.bytecode.object", "abi"] } }
        }
    })
}

/// Reads solc's standard-JSON output: `contract` of each `(file, contract)` asked for, in
/// order, or every error solc reported.
pub fn solc_output(output: &[u8], wanted: &[(&str, &str)]) -> Result<Vec<Compiled>, EvmError> {
    let json: serde_json::Value = serde_json::from_slice(output)
        .map_err(|e| EvmError::Solc(format!("solc output is not JSON: {e}")))?;
    if let Some(errors) = json["errors"].as_array() {
        let fatal: Vec<&str> = errors
            .iter()
            .filter(|e| e["severity"] == "error")
            .filter_map(|e| e["formattedMessage"].as_str())
            .collect();
        if !fatal.is_empty() {
            return Err(EvmError::Solc(fatal.join("\n")));
        }
    }
    wanted
        .iter()
        .map(|(file, contract)| {
            let c = &json["contracts"][file][contract];
            let hex_code = c["evm"]["bytecode"]["object"]
                .as_str()
                .ok_or_else(|| EvmError::Solc(format!("no bytecode for {contract} in {file}")))?;
            Ok(Compiled {
                bytecode: hex::decode(hex_code).map_err(|e| EvmError::Solc(e.to_string()))?,
                abi: c["abi"].clone(),
            })
        })
        .collect()
}

/// Everything `export-verifier` writes besides the sources, from the compiled [`CONTRACTS`]:
/// `<Contract>.bin` (creation bytecode, hex), `<Contract>.abi.json` for the wrapper and the
/// registry, and `verifier.json` (what the verifier is for and how it was built).
pub fn artifacts(
    compiled: &[Compiled],
    vk: &VerifyingKey<G1Affine>,
    setup: &str,
    verifier: &codegen::Verifier,
) -> Result<Vec<(String, String)>, EvmError> {
    if compiled.len() != CONTRACTS.len() {
        return Err(EvmError::Solc(format!(
            "expected {} compiled contracts, got {}",
            CONTRACTS.len(),
            compiled.len()
        )));
    }
    let mut files = Vec::new();
    for ((_, name, _), c) in CONTRACTS.iter().zip(compiled) {
        files.push((format!("{name}.bin"), hex::encode(&c.bytecode) + "\n"));
        if *name != "Halo2Verifier" {
            let abi =
                serde_json::to_string_pretty(&c.abi).map_err(|e| EvmError::Solc(e.to_string()))?;
            files.push((format!("{name}.abi.json"), abi + "\n"));
        }
    }
    let record = serde_json::json!({
        "format": super::EVM_FORMAT,
        "vk_digest": crate::prover::vk_digest(vk),
        "setup": setup,
        "calldata_len": verifier.calldata_len,
        "msm_points": verifier.msm_points,
        "solc": SOLC_VERSION,
        "optimizer": { "enabled": true, "runs": OPTIMIZER_RUNS, "yul": false },
        "deploy_order": CONTRACTS.iter().map(|(_, _, c)| *c).collect::<Vec<_>>(),
    });
    files.push((
        "verifier.json".into(),
        serde_json::to_string_pretty(&record).map_err(|e| EvmError::Solc(e.to_string()))? + "\n",
    ));
    Ok(files)
}
