//! WebAssembly bindings for the page (`pkg/`, built by `scripts/build-wasm.sh`). Each is a thin
//! wrapper over the library; errors become JavaScript `Error`s with the library's message.

use crate::circuit::ZkmnistCircuit;
use crate::evm::{self, Artifacts};
use crate::field::{from_hex, to_hex};
use crate::model::{self, ModelSpec};
use crate::proof_file::ProofFile;
use crate::prover::{self, keys};
use serde::Serialize;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// `initThreadPool(n)`: starts the rayon workers (threaded build only).
#[cfg(feature = "wasm-threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn js(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(v).map_err(js)
}

fn circuit() -> Result<ZkmnistCircuit, JsError> {
    ZkmnistCircuit::new(Arc::new(ModelSpec::embedded().map_err(js)?)).map_err(js)
}

fn pixels_of(pixels: &[u8]) -> Result<[u8; 784], JsError> {
    pixels
        .try_into()
        .map_err(|_| js(format!("expected 784 pixels, got {}", pixels.len())))
}

/// The built-in model: content hash, size and held-out accuracy.
#[wasm_bindgen(js_name = modelInfo)]
pub fn model_info() -> Result<JsValue, JsError> {
    let spec = ModelSpec::embedded().map_err(js)?;
    #[derive(Serialize)]
    struct Info {
        content_hash: String,
        macs: usize,
        parameters: usize,
        quantized_holdout_accuracy: f64,
    }
    to_js(&Info {
        macs: spec.macs().map_err(js)?,
        parameters: spec.parameters(),
        quantized_holdout_accuracy: spec.training.quantized_holdout_accuracy,
        content_hash: spec.content_hash,
    })
}

/// An RGBA canvas to the 28x28 MNIST-style image, exactly as the CLI preprocesses pictures.
#[wasm_bindgen(js_name = preprocessRgba)]
pub fn preprocess_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>, JsError> {
    Ok(crate::preprocess::from_rgba(width, height, rgba)
        .map_err(js)?
        .to_vec())
}

/// The integer model's digit and logits for a 28x28 image (what the circuit will prove).
#[wasm_bindgen]
pub fn classify(pixels: &[u8]) -> Result<JsValue, JsError> {
    let spec = ModelSpec::embedded().map_err(js)?;
    let trace = model::forward(&spec, &pixels_of(pixels)?).map_err(js)?;
    #[derive(Serialize)]
    struct Scores<'a> {
        digit: usize,
        logits: &'a [i64],
    }
    to_js(&Scores {
        digit: trace.digit,
        logits: trace.logits(),
    })
}

/// A proof and its opening, as the CLI writes them.
#[derive(Serialize)]
struct Proved {
    proof_json: String,
    opening_json: String,
    digit: u8,
    image_commitment: String,
    proof_bytes: usize,
}

/// Keys loaded in the page: `keys.json`, `params.bin`, `vk.bin` and optionally `pk.bin`, as
/// `zkmnist setup` wrote them. Files are checked against `keys.json`'s hashes and the key
/// against the digests pinned in this build.
#[wasm_bindgen]
pub struct Keys {
    circuit: ZkmnistCircuit,
    verifier: keys::VerifierKeys,
    prover: Option<keys::ProverKeys>,
}

#[wasm_bindgen]
impl Keys {
    /// Loads keys; `pk` may be empty (verification only).
    #[wasm_bindgen(constructor)]
    pub fn new(
        origin: &str,
        keys_json: &[u8],
        params: &[u8],
        vk: &[u8],
        pk: &[u8],
    ) -> Result<Keys, JsError> {
        let circuit = circuit()?;
        let mut files = vec![
            ("keys.json", keys_json),
            ("params.bin", params),
            ("vk.bin", vk),
        ];
        if !pk.is_empty() {
            files.push(("pk.bin", pk));
        }
        let src = keys::KeyBytes {
            origin,
            files: &files,
        };
        let verifier = keys::load_verifier_from(&src, &circuit).map_err(js)?;
        let prover = if pk.is_empty() {
            None
        } else {
            Some(keys::load_prover_from(&src, &circuit).map_err(js)?)
        };
        Ok(Keys {
            circuit,
            verifier,
            prover,
        })
    }

    /// `dev-insecure` or `ptau:<blake2b>`.
    #[wasm_bindgen(getter)]
    pub fn setup(&self) -> String {
        self.verifier.manifest.setup.clone()
    }

    /// The verifying key's digest.
    #[wasm_bindgen(getter, js_name = vkDigest)]
    pub fn vk_digest(&self) -> String {
        self.verifier.manifest.vk_digest.clone()
    }

    /// Proves that `pixels` (784 bytes) is the model's digit, bound to `context` (0x-hex);
    /// `on_stage` is called with "witness", "commitment", "proving", "checking" as each starts.
    pub fn prove(
        &self,
        pixels: &[u8],
        context: &str,
        on_stage: &js_sys::Function,
    ) -> Result<JsValue, JsError> {
        let keys = self
            .prover
            .as_ref()
            .ok_or_else(|| js("no proving key loaded"))?;
        let context = from_hex(context).map_err(|e| js(format!("context: {e}")))?;
        let mut stage = |name: &str| {
            // A throwing callback must not abort the proof.
            let _ = on_stage.call1(&JsValue::NULL, &JsValue::from_str(name));
        };
        stage("witness");
        let witness =
            prover::image_witness(&self.circuit, pixels_of(pixels)?, context).map_err(js)?;
        let publics = witness.public_inputs();
        let (file, opening) =
            prover::prove_files(keys, &self.circuit, witness, &mut stage).map_err(js)?;
        to_js(&Proved {
            proof_bytes: (file.proof.len() - 2) / 2,
            digit: file.digit,
            image_commitment: to_hex(&publics[0]),
            proof_json: serde_json::to_string_pretty(&file).map_err(js)? + "\n",
            opening_json: serde_json::to_string_pretty(&opening).map_err(js)? + "\n",
        })
    }

    /// Verifies a proof file's text; throws with the reason when it is malformed or invalid.
    pub fn verify(&self, proof_json: &str) -> Result<JsValue, JsError> {
        let parsed = ProofFile::parse(proof_json).map_err(|e| js(format!("proof file: {e}")))?;
        prover::verify_parsed(&self.verifier, &parsed).map_err(js)?;
        to_js(&Verified::of(&parsed))
    }
}

/// What a valid proof states.
#[derive(Serialize)]
struct Verified {
    valid: bool,
    digit: u8,
    image_commitment: String,
    context: String,
    vk_digest: String,
    setup: String,
}

impl Verified {
    fn of(p: &crate::proof_file::ParsedProof) -> Self {
        Verified {
            valid: true,
            digit: p.digit,
            image_commitment: to_hex(&p.public_inputs[0]),
            context: to_hex(&p.public_inputs[2]),
            vk_digest: p.vk_digest.clone(),
            setup: p.setup.clone(),
        }
    }
}

/// Verifies a proof file by deploying the committed verifier bytecode in an embedded EVM and
/// calling it; returns the verdict and gas. Throws on a malformed file or a key mismatch.
#[wasm_bindgen(js_name = verifyEvm)]
pub fn verify_evm(proof_json: &str) -> Result<JsValue, JsError> {
    let parsed = ProofFile::parse(proof_json).map_err(|e| js(format!("proof file: {e}")))?;
    let art = Artifacts::embedded().map_err(js)?;
    if parsed.vk_digest != art.vk_digest {
        return Err(js(format!(
            "the proof is for verifying key {}, the verifier contract was generated from {}",
            parsed.vk_digest, art.vk_digest
        )));
    }
    let v = evm::verify_with_artifacts(&art, &parsed.public_inputs, &parsed.proof).map_err(js)?;
    #[derive(Serialize)]
    struct EvmVerdict {
        valid: bool,
        gas_used: u64,
        verifier_gas: u64,
        runtime_sizes: [usize; 3],
    }
    to_js(&EvmVerdict {
        valid: v.valid,
        gas_used: v.gas_used,
        verifier_gas: v.verifier_gas,
        runtime_sizes: v.runtime_sizes,
    })
}

/// `0x`-hex call data of `ZkmnistVerifier.verify(proof, imageCommitment, digit, context)` for a
/// proof file, for `eth_call` against a deployed wrapper.
#[wasm_bindgen(js_name = wrapperCalldata)]
pub fn wrapper_calldata(proof_json: &str) -> Result<String, JsError> {
    let parsed = ProofFile::parse(proof_json).map_err(|e| js(format!("proof file: {e}")))?;
    Ok(format!(
        "0x{}",
        hex::encode(evm::wrapper_call(&parsed.public_inputs, &parsed.proof))
    ))
}

/// The verifying-key digest and setup the embedded verifier contract was generated from.
#[wasm_bindgen(js_name = evmVerifierInfo)]
pub fn evm_verifier_info() -> Result<JsValue, JsError> {
    let art = Artifacts::embedded().map_err(js)?;
    #[derive(Serialize)]
    struct Info {
        vk_digest: String,
        setup: String,
    }
    to_js(&Info {
        vk_digest: art.vk_digest,
        setup: art.setup,
    })
}
