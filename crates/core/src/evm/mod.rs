//! Verifying proofs in the EVM.
//!
//! The Solidity verifier is generated from the verifying key by the project's own generator
//! ([`codegen`]: numbers and straight-line arithmetic; `templates/Halo2Verifier.sol`: the
//! layout) and committed under `circuits/` (sources) and `circuits/evm/` (creation bytecode,
//! ABIs). Three contracts are deployed in order: `Halo2Verifier` (raw calldata: public inputs
//! then proof; it reverts on an invalid proof), `ZkmnistVerifier(verifier)` (typed ABI,
//! `verify(bytes,uint256,uint256,uint256) returns (bool)`), and the example consumer
//! `DigitRegistry(zkmnist)`. [`LocalEvm`] (feature `evm-exec`) runs that exact bytecode in an
//! embedded EVM (revm), natively and in the browser.

#[cfg(not(target_arch = "wasm32"))]
pub mod codegen;
#[cfg(feature = "evm-exec")]
mod exec;
#[cfg(not(target_arch = "wasm32"))]
pub mod generate;

#[cfg(feature = "evm-exec")]
pub use exec::{
    CallResult, DEFAULT_GAS, Deployed, LocalEvm, MAX_RUNTIME_SIZE, Run, address_from_bytes,
    address_word, verify_with_artifacts,
};

use halo2curves::bn256::Fr;
use sha3::{Digest, Keccak256};
use zkmnist_circuit::PUBLIC_INPUTS;

/// Format tag of `circuits/evm/verifier.json`.
pub(crate) const EVM_FORMAT: &str = "zkmnist-evm/2";

/// Errors of generation, compilation and execution, by kind.
#[derive(Debug, thiserror::Error)]
pub enum EvmError {
    /// The verifying key has a part the generator does not handle (or a degenerate one).
    #[error("solidity compilation failed: unsupported verifying key: {0}")]
    UnsupportedKey(String),
    /// A Solidity template could not be rendered (the generator is native only).
    #[cfg(not(target_arch = "wasm32"))]
    #[error("solidity compilation failed: rendering {what}: {source}")]
    Template {
        /// The contract.
        what: &'static str,
        /// askama's error.
        source: askama::Error,
    },
    /// A setup label that cannot name a key in Solidity.
    #[error("solidity compilation failed: setup label {0:?} is not dev-insecure or ptau:<hex>")]
    SetupLabel(String),
    /// solc-js could not be run, rejected the sources, or its output is unreadable.
    #[error("solidity compilation failed: {0}")]
    Solc(String),
    /// A contract could not be deployed in the embedded EVM.
    #[error("EVM execution failed: deployment failed: {0}")]
    Deploy(String),
    /// The embedded EVM could not run a call.
    #[error("EVM execution failed: call: {0}")]
    Call(String),
    /// A call returned something else than its ABI says.
    #[error("EVM execution failed: {0}")]
    Output(String),
    /// The wrapper and the generated verifier disagree, or the wrapper reverted with ample gas.
    #[error("EVM execution failed: {0}")]
    Inconsistent(String),
    /// The committed bytecode is missing or malformed.
    #[error("verifier bytecode: {0}")]
    Artifacts(String),
}

/// Creation bytecode of the three contracts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifacts {
    /// `Halo2Verifier`.
    pub verifier: Vec<u8>,
    /// `ZkmnistVerifier`.
    pub wrapper: Vec<u8>,
    /// `DigitRegistry`.
    pub registry: Vec<u8>,
    /// Digest of the verifying key the verifier was generated from.
    pub vk_digest: String,
    /// The setup of that key.
    pub setup: String,
}

/// `verifier.json`'s fields that matter to a reader.
#[derive(serde::Deserialize)]
struct Record {
    format: String,
    vk_digest: String,
    setup: String,
}

impl Artifacts {
    /// The bytecode committed in `circuits/evm/`, built into this library.
    pub fn embedded() -> Result<Self, EvmError> {
        Self::from_files(
            include_str!("../../../../circuits/evm/verifier.json"),
            include_str!("../../../../circuits/evm/Halo2Verifier.bin"),
            include_str!("../../../../circuits/evm/ZkmnistVerifier.bin"),
            include_str!("../../../../circuits/evm/DigitRegistry.bin"),
        )
    }

    /// Reads what `zkmnist export-verifier` wrote to `dir`.
    pub fn load(dir: &std::path::Path) -> Result<Self, EvmError> {
        let read = |name: &str| {
            let p = dir.join(name);
            std::fs::read_to_string(&p)
                .map_err(|e| EvmError::Artifacts(format!("cannot read {}: {e}", p.display())))
        };
        Self::from_files(
            &read("verifier.json")?,
            &read("Halo2Verifier.bin")?,
            &read("ZkmnistVerifier.bin")?,
            &read("DigitRegistry.bin")?,
        )
    }

    /// Parses `verifier.json` and the three `.bin` files' hex.
    pub(crate) fn from_files(
        record: &str,
        verifier: &str,
        wrapper: &str,
        registry: &str,
    ) -> Result<Self, EvmError> {
        let record: Record = serde_json::from_str(record)
            .map_err(|e| EvmError::Artifacts(format!("verifier.json: {e}")))?;
        if record.format != EVM_FORMAT {
            return Err(EvmError::Artifacts(format!(
                "verifier.json: format {:?}, this build reads {EVM_FORMAT:?}",
                record.format
            )));
        }
        let parse = |name: &str, text: &str| {
            let t = text.trim();
            let t = t.strip_prefix("0x").unwrap_or(t);
            if t.is_empty() {
                return Err(EvmError::Artifacts(format!(
                    "{name}.bin is empty (run `zkmnist export-verifier --out circuits/evm`)"
                )));
            }
            hex::decode(t).map_err(|e| EvmError::Artifacts(format!("{name}.bin: not hex: {e}")))
        };
        Ok(Artifacts {
            verifier: parse("Halo2Verifier", verifier)?,
            wrapper: parse("ZkmnistVerifier", wrapper)?,
            registry: parse("DigitRegistry", registry)?,
            vk_digest: record.vk_digest,
            setup: record.setup,
        })
    }
}

/// The Solidity verifier's input: each public input as 32 big-endian bytes, then the proof.
pub fn calldata(public_inputs: &[Fr; PUBLIC_INPUTS], proof: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * PUBLIC_INPUTS + proof.len());
    for p in public_inputs {
        out.extend(zkmnist_circuit::field::to_be_bytes(p));
    }
    out.extend_from_slice(proof);
    out
}

/// The first four bytes of the Keccak-256 of a function signature.
pub fn selector(signature: &str) -> [u8; 4] {
    let h = Keccak256::digest(signature.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// ABI-encoded call of `ZkmnistVerifier.verify(bytes proof, uint256 imageCommitment,
/// uint256 digit, uint256 context)`.
pub fn wrapper_call(public_inputs: &[Fr; PUBLIC_INPUTS], proof: &[u8]) -> Vec<u8> {
    let mut out = selector("verify(bytes,uint256,uint256,uint256)").to_vec();
    out.extend(word(0x80));
    for p in public_inputs {
        out.extend(zkmnist_circuit::field::to_be_bytes(p));
    }
    out.extend(word(proof.len() as u64));
    out.extend_from_slice(proof);
    out.resize(out.len() + (32 - proof.len() % 32) % 32, 0);
    out
}

/// ABI-encoded call of `DigitRegistry.record(bytes proof, uint256 imageCommitment, uint256 digit)`.
pub fn registry_call(public_inputs: &[Fr; PUBLIC_INPUTS], proof: &[u8]) -> Vec<u8> {
    let mut out = selector("record(bytes,uint256,uint256)").to_vec();
    out.extend(word(0x60));
    out.extend(zkmnist_circuit::field::to_be_bytes(&public_inputs[0]));
    out.extend(zkmnist_circuit::field::to_be_bytes(&public_inputs[1]));
    out.extend(word(proof.len() as u64));
    out.extend_from_slice(proof);
    out.resize(out.len() + (32 - proof.len() % 32) % 32, 0);
    out
}

/// The context `DigitRegistry.contextFor(account)` returns on chain `chain_id` for the registry
/// at `registry`: `keccak256(abi.encode(chain_id, registry, account))` reduced mod r. A proof
/// carrying it is accepted by that registry, for that account, on that chain only.
pub fn registry_context(chain_id: u64, registry: [u8; 20], account: [u8; 20]) -> Fr {
    use halo2curves::ff::FromUniformBytes;
    let mut encoded = word(chain_id).to_vec();
    for a in [registry, account] {
        encoded.extend([0u8; 12]);
        encoded.extend(a);
    }
    let hash = Keccak256::digest(&encoded);
    // Little-endian, zero-extended to 64 bytes: the 256-bit value reduced mod r.
    let mut wide = [0u8; 64];
    for (i, b) in hash.iter().rev().enumerate() {
        wide[i] = *b;
    }
    Fr::from_uniform_bytes(&wide)
}

/// A constructor argument or ABI word: `v` as 32 big-endian bytes.
pub fn word(v: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

/// Decodes a `bool` return value.
pub fn decode_bool(output: &[u8]) -> Result<bool, EvmError> {
    match output {
        [zeros @ .., last] if output.len() == 32 && zeros.iter().all(|b| *b == 0) && *last <= 1 => {
            Ok(*last == 1)
        }
        _ => Err(EvmError::Output(format!(
            "expected an ABI bool, got {} bytes: 0x{}",
            output.len(),
            hex::encode(output)
        ))),
    }
}
