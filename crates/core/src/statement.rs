//! The statement API every front end calls: the CLI (`src/main.rs`, `src/cli/`), the wasm
//! bindings (`src/wasm.rs`, and through them the page and the npm package) and the server's
//! `POST /api/verify` (`src/serve.rs`).
//!
//! The statement: "the hidden 28x28 image with commitment `image_commitment` is classified as
//! `digit` by the pinned model; the proof is bound to `context`". Its public inputs are typed
//! ([`PublicInputs`]); a proof file's answer is a [`Verdict`], serialized the same everywhere:
//!
//! ```json
//! {"valid": true, "digit": 7, "image_commitment": "0x..", "context": "0x..",
//!  "vk_digest": "0x..", "setup": "dev-insecure"}
//! {"valid": false, "digit": 7, ..., "error": "the proof is invalid: ..."}
//! {"valid": false, "error": "proof file: not a zkmnist proof file: ..."}
//! ```

use crate::proof_file::{FileError, OpeningFile, ParsedProof, ProofFile};
use crate::prover::{self, ProverError, keys};
use halo2curves::bn256::Fr;
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
pub use zkmnist_circuit::PublicInputs;
use zkmnist_circuit::ZkmnistCircuit;
use zkmnist_circuit::commitment;
use zkmnist_circuit::field::to_hex;
use zkmnist_model::spec::IMAGE_PIXELS;
use zkmnist_model::{self as model, ModelError, ModelSpec};

/// Errors of the statement API: each names the file or value that was wrong.
#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    /// The proof file is not UTF-8 text.
    #[error("proof file: not UTF-8 text")]
    NotText,
    /// The proof file is malformed.
    #[error("proof file: {0}")]
    ProofFile(FileError),
    /// The opening file is malformed.
    #[error("{0}")]
    OpeningFile(FileError),
    /// The opening does not open the proof's commitment, or the model disagrees with the proof.
    #[error("{0}")]
    Opening(String),
    /// Keys, parameters, proving or verifying.
    #[error(transparent)]
    Prover(#[from] ProverError),
    /// The model.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The embedded EVM.
    #[cfg(feature = "evm-exec")]
    #[error(transparent)]
    Evm(#[from] crate::evm::EvmError),
}

impl StatementError {
    /// A short name for what is wrong (front ends that word errors themselves key on it):
    /// `not_text`, a proof file's [`FileError::kind`], `opening_file`, `opening_mismatch`,
    /// `other_keys` (a proof for other keys), `prover`, `model` or `evm`.
    pub fn kind(&self) -> &'static str {
        match self {
            StatementError::NotText => "not_text",
            StatementError::ProofFile(e) => e.kind(),
            StatementError::OpeningFile(_) => "opening_file",
            StatementError::Opening(_) => "opening_mismatch",
            StatementError::Prover(ProverError::WrongKey(_)) => "other_keys",
            StatementError::Prover(_) => "prover",
            StatementError::Model(_) => "model",
            #[cfg(feature = "evm-exec")]
            StatementError::Evm(_) => "evm",
        }
    }
}

/// How a verdict came about, for callers that map it to a status (HTTP, exit code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictKind {
    /// The proof verifies.
    Valid,
    /// The file is not a well-formed proof file: nothing was verified.
    Malformed,
    /// A well-formed proof that does not verify.
    Invalid,
    /// A well-formed proof made with other keys or another setup than the loaded ones.
    OtherKeys,
    /// The verifier itself failed (keys, parameters): not the proof's fault.
    Failed,
}

/// The answer to "does this proof file verify?", the same JSON from every front end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Whether the proof verifies for its public inputs with the pinned key.
    pub valid: bool,
    /// The digit the file claims (absent when the file is malformed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digit: Option<u8>,
    /// The image commitment it claims.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_commitment: Option<String>,
    /// The context it claims.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The verifying key it names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vk_digest: Option<String>,
    /// The setup it names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup: Option<String>,
    /// Why it is not valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the verifier contracts ran in the embedded EVM ([`evm_verdict`]): their gas and
    /// sizes. Absent from the native verifier's verdicts, so their JSON is unchanged.
    #[cfg(feature = "evm-exec")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evm: Option<crate::evm::Run>,
    /// How the verdict came about (not serialized).
    #[serde(skip)]
    pub kind: VerdictKind,
}

impl Verdict {
    /// The claims of a well-formed file, with the outcome of checking them.
    fn of(proof: &ParsedProof, outcome: Result<(), ProverError>) -> Self {
        let (kind, error) = match outcome {
            Ok(()) => (VerdictKind::Valid, None),
            Err(e @ ProverError::Rejected(_)) => (VerdictKind::Invalid, Some(e.to_string())),
            Err(e @ ProverError::WrongKey(_)) => (VerdictKind::OtherKeys, Some(e.to_string())),
            Err(e) => (VerdictKind::Failed, Some(e.to_string())),
        };
        Self::claims(proof, kind, error)
    }

    /// A well-formed file's claims with a verdict.
    fn claims(proof: &ParsedProof, kind: VerdictKind, error: Option<String>) -> Self {
        Verdict {
            valid: kind == VerdictKind::Valid,
            digit: Some(proof.inputs.digit),
            image_commitment: Some(to_hex(&proof.inputs.image_commitment)),
            context: Some(to_hex(&proof.inputs.context)),
            vk_digest: Some(proof.vk_digest.clone()),
            setup: Some(proof.setup.clone()),
            error,
            #[cfg(feature = "evm-exec")]
            evm: None,
            kind,
        }
    }

    /// The verdict on a file that could not be read as a proof file.
    fn malformed(e: StatementError) -> Self {
        Self::unreadable(e.to_string())
    }

    /// The verdict on a file that could not be read at all (missing, too large), with the
    /// reason; nothing was verified.
    pub fn unreadable(reason: impl Into<String>) -> Self {
        Verdict {
            valid: false,
            digit: None,
            image_commitment: None,
            context: None,
            vk_digest: None,
            setup: None,
            error: Some(reason.into()),
            #[cfg(feature = "evm-exec")]
            evm: None,
            kind: VerdictKind::Malformed,
        }
    }

    /// The verdict as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a verdict serializes")
    }
}

/// Reads a proof file's bytes: UTF-8, at most [`crate::proof_file::MAX_FILE_BYTES`], every
/// field well-formed (the page, the CLI and the server inspect files with this).
pub fn inspect(bytes: &[u8]) -> Result<ParsedProof, StatementError> {
    let text = std::str::from_utf8(bytes).map_err(|_| StatementError::NotText)?;
    ProofFile::parse(text).map_err(StatementError::ProofFile)
}

/// Refuses a proof that names another verifying key or setup than `vk_digest` (`setup`); the
/// message names only what differs (a relabelled setup has the same digest).
fn check_key(
    proof: &ParsedProof,
    vk_digest: &str,
    setup: &str,
    ours: &str,
) -> Result<(), ProverError> {
    let message = match (proof.vk_digest == vk_digest, proof.setup == setup) {
        (true, true) => return Ok(()),
        (true, false) => format!(
            "the proof names setup {:?}, {ours} has setup {setup:?} (the same verifying key {vk_digest})",
            proof.setup
        ),
        (false, _) => format!(
            "the proof is for verifying key {} ({}), {ours} is {vk_digest} ({setup})",
            proof.vk_digest, proof.setup
        ),
    };
    Err(ProverError::WrongKey(message))
}

/// A new proof and its opening.
pub struct Proved {
    /// The proof file (public).
    pub file: ProofFile,
    /// The opening file (secret: the salt and pixels).
    pub opening: OpeningFile,
    /// What the proof states.
    pub inputs: PublicInputs,
    /// Length of the proof in bytes.
    pub proof_bytes: usize,
}

impl Proved {
    /// The proof file's text, as `zkmnist prove` writes it.
    pub fn proof_json(&self) -> String {
        serde_json::to_string_pretty(&self.file).expect("a proof file serializes") + "\n"
    }

    /// The opening file's text.
    pub fn opening_json(&self) -> String {
        serde_json::to_string_pretty(&self.opening).expect("an opening serializes") + "\n"
    }
}

/// The pinned model's circuit: the one every front end proves and verifies.
pub fn pinned_circuit() -> Result<ZkmnistCircuit, StatementError> {
    Ok(ZkmnistCircuit::new(Arc::new(ModelSpec::embedded()?))?)
}

/// The statement's verifier: the pinned model's circuit and its verifier keys, loaded and
/// checked once (files against `keys.json`, the key against the pins). The CLI, the server and
/// the page verify through it and only translate its answers.
pub struct Verifier {
    circuit: ZkmnistCircuit,
    keys: keys::VerifierKeys,
}

impl Verifier {
    /// Loads `keys.json`, `params.bin` and `vk.bin` from a key directory.
    pub fn load(dir: &Path) -> Result<Self, StatementError> {
        let circuit = pinned_circuit()?;
        let keys = keys::load_verifier(dir, &circuit)?;
        Ok(Verifier { circuit, keys })
    }

    /// From the key files' bytes (the page fetches them).
    pub fn from_bytes(src: &keys::KeyBytes) -> Result<Self, StatementError> {
        let circuit = pinned_circuit()?;
        let keys = keys::load_verifier_from(src, &circuit)?;
        Ok(Verifier { circuit, keys })
    }

    /// The loaded keys (the EVM generator reads the parameters and the verifying key).
    pub fn keys(&self) -> &keys::VerifierKeys {
        &self.keys
    }

    /// What `keys.json` says: the setup, the verifying key's digest, the model.
    pub fn manifest(&self) -> &keys::KeysManifest {
        &self.keys.manifest
    }

    /// Verifies a parsed proof file: it must name these keys (digest and setup), and the proof
    /// must verify for its public inputs.
    pub fn verify(&self, proof: &ParsedProof) -> Result<(), ProverError> {
        let m = self.manifest();
        check_key(proof, &m.vk_digest, &m.setup, "the pinned key")?;
        prover::verify(
            &self.keys.params,
            &self.keys.vk,
            &proof.inputs.fields(),
            &proof.proof,
        )
    }

    /// The verdict on a proof file's bytes.
    pub fn verdict(&self, bytes: &[u8]) -> Verdict {
        match inspect(bytes) {
            Ok(proof) => Verdict::of(&proof, self.verify(&proof)),
            Err(e) => Verdict::malformed(e),
        }
    }

    /// The prover of these keys: `pk.bin`, checked against the same `keys.json`, expanded
    /// against the loaded verifying key (the parameters and the verifying key are not read
    /// again).
    pub fn with_proving_key(&self, src: &keys::KeyBytes) -> Result<Prover, StatementError> {
        Ok(Prover {
            keys: keys::add_prover(&self.keys, src, &self.circuit)?,
            circuit: self.circuit.clone(),
        })
    }
}

/// The statement's prover: the pinned model's circuit and its proving key.
pub struct Prover {
    circuit: ZkmnistCircuit,
    keys: keys::ProverKeys,
}

impl Prover {
    /// Loads a key directory's files, the proving key included.
    pub fn load(dir: &Path) -> Result<Self, StatementError> {
        let circuit = pinned_circuit()?;
        let keys = keys::load_prover(dir, &circuit)?;
        Ok(Prover { circuit, keys })
    }

    /// What `keys.json` says: the setup, the verifying key's digest, the model.
    pub fn manifest(&self) -> &keys::KeysManifest {
        &self.keys.manifest
    }

    /// Proves that `pixels` (a preprocessed image) is the model's digit, bound to `context`,
    /// with a fresh salt; the proof is verified before it is returned. `on_stage` hears
    /// "witness", "commitment", "proving" and "checking" as each starts.
    pub fn prove(
        &self,
        pixels: [u8; IMAGE_PIXELS],
        context: Fr,
        on_stage: &mut dyn FnMut(&str),
    ) -> Result<Proved, ProverError> {
        let (keys, circuit) = (&self.keys, &self.circuit);
        on_stage("witness");
        let witness = prover::image_witness(circuit, pixels, context)?;
        on_stage("commitment");
        let inputs = witness.statement();
        let fields = inputs.fields();
        let opening = OpeningFile::new(&witness.pixels, witness.salt, inputs.image_commitment);
        on_stage("proving");
        let proof = prover::prove_for(&keys.params, &keys.pk, circuit, witness, &fields)?;
        on_stage("checking");
        prover::verify(&keys.params, keys.pk.get_vk(), &fields, &proof)?;
        let file = ProofFile::new(
            keys.manifest.vk_digest.clone(),
            keys.manifest.setup.clone(),
            &inputs,
            &proof,
        );
        Ok(Proved {
            file,
            opening,
            inputs,
            proof_bytes: proof.len(),
        })
    }
}

/// The SHA-256 of each key file a `keys.json` lists, after checking it is a keys manifest for
/// this build's model (the page names its cache entries by them).
pub fn key_file_hashes(
    src: &keys::KeyBytes,
) -> Result<std::collections::BTreeMap<String, String>, StatementError> {
    Ok(keys::manifest(src, &pinned_circuit()?)?.files)
}

/// What an opening shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The commitment the opening and the proof share.
    pub image_commitment: Fr,
    /// The model's digit for the opened image (equal to the proof's).
    pub digit: u8,
    /// The opened image.
    pub pixels: [u8; IMAGE_PIXELS],
}

/// Checks that an opening file's pixels and salt hash to the proof's commitment and that the
/// model reads the opened image as the proof's digit. This checks the opening only; [`verify`]
/// checks the proof.
pub fn open(
    spec: &ModelSpec,
    proof: &ParsedProof,
    opening: &[u8],
) -> Result<Opened, StatementError> {
    let text = std::str::from_utf8(opening).map_err(|_| {
        StatementError::OpeningFile(FileError::Json {
            what: "opening",
            reason: "not UTF-8 text".into(),
        })
    })?;
    let (pixels, salt, stated) = OpeningFile::parse(text).map_err(StatementError::OpeningFile)?;
    let computed = commitment::commit(&pixels, salt);
    if computed != stated {
        return Err(StatementError::Opening(format!(
            "the pixels and salt hash to {}, not to the commitment it states",
            to_hex(&computed)
        )));
    }
    if computed != proof.inputs.image_commitment {
        return Err(StatementError::Opening(format!(
            "the opening is for commitment {}, the proof commits to {}",
            to_hex(&computed),
            to_hex(&proof.inputs.image_commitment)
        )));
    }
    let digit = model::forward(spec, &pixels)?.digit;
    if digit != usize::from(proof.inputs.digit) {
        return Err(StatementError::Opening(format!(
            "the model reads the opened image as {digit}, but the proof claims {}",
            proof.inputs.digit
        )));
    }
    Ok(Opened {
        image_commitment: computed,
        digit: proof.inputs.digit,
        pixels,
    })
}

/// The verdict of the verifier contracts' bytecode, run in an embedded EVM, on a proof file's
/// bytes: the same [`Verdict`] as the native verifier's, with the EVM's gas and code sizes in
/// [`Verdict::evm`]. The proof must name the key and setup the contracts were generated from;
/// with `pinned`, those must also be the pinned ones (the contracts built into this binary are
/// checked this way). Like [`Verifier::verdict`], a bad file is a verdict, never an error.
#[cfg(feature = "evm-exec")]
pub fn evm_verdict(
    artifacts: &crate::evm::Artifacts,
    bytes: &[u8],
    pinned: Option<&keys::Pinned>,
) -> Verdict {
    let proof = match inspect(bytes) {
        Ok(p) => p,
        Err(e) => return Verdict::malformed(e),
    };
    let checked = check_key(
        &proof,
        &artifacts.vk_digest,
        &artifacts.setup,
        "the key the verifier contract was generated from",
    )
    .and_then(|()| pinned.map_or(Ok(()), |p| p.check(&artifacts.setup, &artifacts.vk_digest)));
    if let Err(e) = checked {
        return Verdict::of(&proof, Err(e));
    }
    match crate::evm::verify_with_artifacts(artifacts, &proof.inputs.fields(), &proof.proof) {
        Ok(run) => {
            let (kind, error) = if run.valid {
                (VerdictKind::Valid, None)
            } else {
                (
                    VerdictKind::Invalid,
                    Some("the verifier contract rejected the proof".to_string()),
                )
            };
            Verdict {
                evm: Some(run),
                ..Verdict::claims(&proof, kind, error)
            }
        }
        Err(e) => Verdict::claims(&proof, VerdictKind::Failed, Some(e.to_string())),
    }
}
