//! Trusted-setup commands: `srs import` and `setup`.

use super::{CliResult, DEV_WARNING, step, write_file, write_text};
use crate::out;
use halo2_proofs::poly::commitment::Params;
use std::path::Path;
use zkmnist::files::Access;
use zkmnist::prover::{self, DEV_SETUP, keys, srs};
use zkmnist::statement;

pub fn srs_import(ptau: &Path, k: u32, out: &Path) -> CliResult {
    let (params, label) = step(
        &format!("importing and checking {}", ptau.display()),
        || zkmnist::prover::srs::import_file(ptau, k),
    )?;
    let mut bytes = Vec::new();
    params.write(&mut bytes)?;
    write_file(out, &bytes, Access::Public)?;
    let record = srs::Record::of(&bytes, &label, k);
    write_text(
        &srs::Record::path_for(out),
        &(serde_json::to_string_pretty(&record)? + "\n"),
    )?;
    out!("setup: {label}");
    out!("wrote KZG parameters for 2^{k} rows to {}", out.display());
    Ok(())
}

/// Whether `out` holds current keys (pinned, for this build's model) that `setup --if-needed`
/// keeps; says so. A set from before `pk.bin.gz` existed is remade so the server can send the
/// proving key compressed.
pub fn current(out: &Path) -> Result<bool, Box<dyn std::error::Error>> {
    if !out.join("pk.bin.gz").exists() {
        return Ok(false);
    }
    let Ok(prover) = statement::Prover::load(out) else {
        return Ok(false);
    };
    out!(
        "keys in {} are current (setup {}, vk_digest {}); keeping them",
        out.display(),
        prover.manifest().setup,
        prover.manifest().vk_digest
    );
    Ok(true)
}

pub fn setup(srs: Option<&Path>, out: &Path, pin: bool) -> CliResult {
    let circuit = statement::pinned_circuit()?;
    let dims = circuit.dimensions()?;
    let (params, label) = match srs {
        Some(path) => step(&format!("loading {}", path.display()), || {
            srs::load_imported(path, dims.k)
        })?,
        None => {
            eprintln!("{DEV_WARNING}");
            let params = step(
                &format!("generating dev KZG parameters for 2^{} rows", dims.k),
                || Ok::<_, String>(prover::dev_params(dims.k)),
            )?;
            (params, DEV_SETUP.to_string())
        }
    };
    let (vk, pk) = step("generating verifying and proving keys", || {
        prover::keygen(&params, &circuit)
    })?;
    let vk_digest = prover::vk_digest(&vk);
    let params_digest = keys::params_digest(&params);
    if !pin {
        // Unpinned keys would be refused by every command: say so before anything in `out`
        // is replaced.
        let pinned = keys::Pinned::embedded()?;
        pinned.check(&label, &vk_digest)?;
        pinned.check_params(&label, &params)?;
    }
    let manifest = keys::write(out, &label, &params, &vk, &pk, &circuit.spec().content_hash)?;
    out!("setup: {}", manifest.setup);
    out!(
        "k: {} ({} usable rows: {} lookup rows, {} table rows, {} Poseidon rows)",
        dims.k,
        dims.usable_rows,
        dims.lookup_rows,
        dims.table_rows,
        dims.poseidon_rows
    );
    out!("vk_digest: {}", manifest.vk_digest);
    out!("params_digest: {params_digest}");
    out!("keys written to {}", out.display());
    if pin {
        // --pin rewrites the pins; unreadable old pins are simply replaced.
        let pinned = keys::Pinned::embedded()
            .unwrap_or_else(|_| keys::Pinned::empty())
            .with_key(&manifest, params_digest);
        let path = Path::new("circuits/pinned.json");
        if !path.exists() {
            return Err(
                "--pin rewrites circuits/pinned.json: run it from the repository root".into(),
            );
        }
        write_text(path, &(serde_json::to_string_pretty(&pinned)? + "\n"))?;
        out!("pinned in {} (rebuild zkmnist to embed it)", path.display());
    }
    Ok(())
}
