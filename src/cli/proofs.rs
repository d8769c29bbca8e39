//! Proof commands: `prove`, `verify`, `open`, `export-verifier`, `verify-evm`. Each reads
//! files and prints; the work is the statement API's (`zkmnist::statement`).

use super::{CliResult, DEV_WARNING, read_image, read_text, solc, step, write_text};
use crate::out;
use std::path::Path;
use std::time::Instant;
use zkmnist::field::{from_hex, to_hex};
use zkmnist::files::{self, Access};
use zkmnist::model::ModelSpec;
use zkmnist::preprocess;
use zkmnist::prover::{DEV_SETUP, keys};
use zkmnist::statement;

/// Refuses, before any work, outputs that could not be written or would destroy an input or
/// each other.
pub fn check_outputs(image: &Path, out: &Path, opening: Option<&Path>) -> Result<(), String> {
    let mut outputs = vec![("--out", out)];
    outputs.extend(opening.map(|o| ("--opening", o)));
    for (flag, path) in &outputs {
        if path.is_dir() {
            return Err(format!("{flag} {} is a directory", path.display()));
        }
        let parent = files::parent_of(path);
        if !parent.is_dir() {
            return Err(format!(
                "{flag} {}: directory {} does not exist (nothing was proved)",
                path.display(),
                parent.display()
            ));
        }
        if files::same_file(path, image) {
            return Err(format!(
                "{flag} {} is the input image: refusing to overwrite it",
                path.display()
            ));
        }
    }
    if let Some(o) = opening
        && files::same_file(out, o)
    {
        return Err(format!(
            "--out and --opening are the same file ({}): the proof and its opening need two files",
            out.display()
        ));
    }
    Ok(())
}

pub fn prove(
    image: &Path,
    context: &str,
    out: &Path,
    opening: Option<&Path>,
    keys_dir: &Path,
) -> CliResult {
    let context = from_hex(context).map_err(|e| format!("--context: {e}"))?;
    check_outputs(image, out, opening)?;
    let bytes = read_image(image)?;
    let pixels =
        preprocess::from_image_bytes(&bytes).map_err(|e| format!("{}: {e}", image.display()))?;
    let prover = step("loading proving key", || statement::Prover::load(keys_dir))?;
    if prover.manifest().is_dev_setup() {
        eprintln!("{DEV_WARNING}");
    }
    let start = Instant::now();
    let proved = step("proving and checking the proof", || {
        prover.prove(pixels, context, &mut |_| ())
    })?;
    let prove_time = start.elapsed();
    // Both files are written to disk before either is renamed into place, the opening (the
    // only copy of the salt, readable by its owner only) first: a proof is never left
    // without the opening that was asked for.
    let staged = |path: &Path, text: String, access| {
        files::stage(path, text.as_bytes(), access)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let proof_tmp = staged(out, proved.proof_json(), Access::Public)?;
    match opening {
        Some(path) => {
            let committed =
                staged(path, proved.opening_json(), Access::OwnerOnly).and_then(|tmp| {
                    files::commit(&tmp, path)
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))
                });
            if let Err(e) = committed {
                let _ = std::fs::remove_file(&proof_tmp);
                return Err(e.into());
            }
        }
        None => eprintln!(
            "note: no --opening given: the salt is discarded, so this commitment can never be opened"
        ),
    }
    files::commit(&proof_tmp, out).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    print_statement(&proved.inputs)?;
    out!(
        "proof: {} bytes, proved and checked in {} ms",
        proved.proof_bytes,
        prove_time.as_millis()
    );
    out!("setup: {}", prover.manifest().setup);
    out!("wrote {}", out.display());
    if let Some(path) = opening {
        out!(
            "wrote {} (secret: salt and pixels; owner-only)",
            path.display()
        );
    }
    Ok(())
}

/// Prints what a proof states, one `name: value` line each.
fn print_statement(inputs: &statement::PublicInputs) -> CliResult {
    out!("digit: {}", inputs.digit);
    out!("image_commitment: {}", to_hex(&inputs.image_commitment));
    out!("context: {}", to_hex(&inputs.context));
    Ok(())
}

/// A proof file's bytes, parsed; errors name the file.
fn read_proof(path: &Path) -> Result<zkmnist::proof_file::ParsedProof, String> {
    statement::inspect(read_text(path)?.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}

/// The error of a command that already reported its outcome on stdout (exit status 1, nothing
/// more printed).
#[derive(Debug)]
pub struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("reported")
    }
}

impl std::error::Error for Reported {}

pub fn verify(proof_path: &Path, keys_dir: &Path, json: bool) -> CliResult {
    if json {
        // The verdict is the answer, whatever it is: a file that cannot be read is a verdict
        // too (as `POST /api/verify` answers a body that is not a proof file).
        let verifier = statement::Verifier::load(keys_dir)?;
        let verdict = match read_text(proof_path) {
            Ok(text) => verifier.verdict(text.as_bytes()),
            Err(e) => statement::Verdict::unreadable(e),
        };
        out!("{}", verdict.to_json());
        return if verdict.valid {
            Ok(())
        } else {
            Err(Reported.into())
        };
    }
    let parsed = read_proof(proof_path)?;
    let verifier = statement::Verifier::load(keys_dir)?;
    let start = Instant::now();
    verifier.verify(&parsed)?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    out!("valid");
    print_statement(&parsed.inputs)?;
    out!("setup: {}", parsed.setup);
    out!("verified in {ms:.1} ms");
    if parsed.setup == DEV_SETUP {
        eprintln!("{DEV_WARNING}");
    }
    Ok(())
}

pub fn open(proof_path: &Path, opening_path: &Path) -> CliResult {
    let parsed = read_proof(proof_path)?;
    let opening = read_text(opening_path)?;
    let opened = statement::open(&ModelSpec::embedded()?, &parsed, opening.as_bytes())
        .map_err(|e| format!("{}: {e}", opening_path.display()))?;
    out!(
        "opening matches the commitment {}",
        to_hex(&opened.image_commitment)
    );
    out!("digit: {}", opened.digit);
    out!("(this checks the opening only; `zkmnist verify` checks the proof)");
    Ok(())
}

pub fn export_verifier(out_dir: &Path, keys_dir: &Path) -> CliResult {
    use zkmnist::evm::generate;
    let loaded = step("loading verifying key", || {
        statement::Verifier::load(keys_dir)
    })?;
    let keys = loaded.keys();
    let (sources, verifier) = step("generating the Solidity verifier", || {
        generate::sources(&keys.params, &keys.vk, &keys.manifest.setup)
    })?;
    let root = std::env::current_dir()?;
    let output = step("compiling with solc-js (node scripts/solc.js)", || {
        solc::compile(&root, &generate::solc_input(&sources))
    })?;
    let wanted: Vec<(&str, &str)> = generate::CONTRACTS
        .iter()
        .map(|(f, c, _)| (*f, *c))
        .collect();
    let compiled = generate::solc_output(&output, &wanted)?;
    let artifacts = generate::artifacts(&compiled, &keys.vk, &keys.manifest.setup, &verifier)?;
    let compiled_dir = out_dir.join("evm");
    std::fs::create_dir_all(&compiled_dir)
        .map_err(|e| format!("cannot create {}: {e}", compiled_dir.display()))?;
    for (name, text) in sources
        .iter()
        .map(|(n, t)| (out_dir.join(n), t))
        .chain(artifacts.iter().map(|(n, t)| (compiled_dir.join(n), t)))
    {
        write_text(&name, text)?;
        out!("wrote {}", name.display());
    }
    out!(
        "calldata: {} bytes; multi-scalar multiplication: {} points",
        verifier.calldata_len,
        verifier.msm_points
    );
    out!("vk_digest: {}", keys.manifest.vk_digest);
    out!("setup: {}", keys.manifest.setup);
    if keys.manifest.setup == DEV_SETUP {
        eprintln!("{DEV_WARNING}");
    }
    Ok(())
}

pub fn verify_evm(proof_path: &Path, artifacts: Option<&Path>) -> CliResult {
    use zkmnist::evm::Artifacts;
    let text = read_text(proof_path)?;
    let (art, pinned) = match artifacts {
        Some(dir) => (Artifacts::load(dir)?, None),
        None => (Artifacts::embedded()?, Some(keys::Pinned::embedded()?)),
    };
    let verdict = step(
        "deploying the verifier contracts in an embedded EVM and calling them",
        || -> Result<_, String> {
            Ok(statement::evm_verdict(
                &art,
                text.as_bytes(),
                pinned.as_ref(),
            ))
        },
    )?;
    if let Some(run) = &verdict.evm {
        let names = ["Halo2Verifier", "ZkmnistVerifier", "DigitRegistry"];
        for ((name, size), gas) in names.iter().zip(run.runtime_sizes).zip(run.deploy_gas) {
            out!("{name}: {size} bytes of runtime code, deployed for {gas} gas");
        }
        out!(
            "gas: {} (ZkmnistVerifier.verify transaction), {} (Halo2Verifier called directly)",
            run.gas_used,
            run.verifier_gas
        );
    }
    if !verdict.valid {
        let why = verdict.error.unwrap_or_default();
        return Err(match verdict.kind {
            statement::VerdictKind::Malformed => format!("{}: {why}", proof_path.display()),
            _ => why,
        }
        .into());
    }
    out!("valid");
    for (name, value) in [
        ("digit", verdict.digit.map(|d| d.to_string())),
        ("image_commitment", verdict.image_commitment),
        ("context", verdict.context),
        ("setup", verdict.setup.clone()),
    ] {
        out!("{name}: {}", value.unwrap_or_default());
    }
    if verdict.setup.as_deref() == Some(DEV_SETUP) {
        eprintln!("{DEV_WARNING}");
    }
    Ok(())
}
