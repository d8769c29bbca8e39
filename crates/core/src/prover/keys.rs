//! Keys on disk (`zkmnist setup` writes them, `prove` and `verify` read them) and the pinned
//! verifying-key digests in `circuits/pinned.json`.
//!
//! A key directory holds `params.bin` (KZG parameters), `vk.bin`, `pk.bin` and `keys.json`,
//! which records the setup, the verifying-key digest, the model and a SHA-256 of every file.
//! Files are checked against those hashes before they are parsed, so a corrupted or swapped
//! file is reported as such rather than misread.
//!
//! Those hashes sit in the directory an attacker may control, so they prove nothing on their
//! own. What is trusted is `circuits/pinned.json`, built into the binary: per setup, the
//! verifying key's digest and the digest of the verifier's KZG parameters (`g[0]`, `g2`,
//! `s_g2`, see [`params_digest`]). Keys whose vk or parameters differ from the pins are
//! refused when they are loaded. (With a chosen `s_g2 = [t]G2` for a known `t`, anyone could
//! open any commitment to any value: the vk digest alone does not cover it.)
//!
//! A key set is written into a fresh sibling directory and swapped in with one atomic rename,
//! so a reader or a crash sees the old complete set or the new one.

use super::{ProverError, vk_digest};
use halo2_proofs::SerdeFormat;
use halo2_proofs::plonk::{Circuit, ProvingKey, VerifyingKey};
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{Bn256, G1Affine};
use halo2curves::group::GroupEncoding;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use zkmnist_circuit::ZkmnistCircuit;

/// Format tag of `keys.json`.
pub const KEYS_FORMAT: &str = "zkmnist-keys/1";
/// Format tag of `circuits/pinned.json`.
pub(crate) const PINNED_FORMAT: &str = "zkmnist-pinned/2";
const FORMAT: SerdeFormat = SerdeFormat::RawBytes;

/// `keys.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysManifest {
    /// Must be [`KEYS_FORMAT`].
    pub format: String,
    /// `dev-insecure` or `ptau:<blake2b of the ceremony file>`.
    pub setup: String,
    /// log2 of the domain size.
    pub k: u32,
    /// Digest of `vk.bin`'s key.
    pub vk_digest: String,
    /// Content hash of the model the keys were made for.
    pub model: String,
    /// SHA-256 (hex) of each file of the directory.
    pub files: BTreeMap<String, String>,
}

impl KeysManifest {
    /// Whether the keys come from the INSECURE dev setup (anyone can forge proofs with them).
    pub fn is_dev_setup(&self) -> bool {
        self.setup == super::DEV_SETUP
    }
}

/// One pinned verifying key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedKey {
    /// The setup the key was made with.
    pub setup: String,
    /// Its digest.
    pub vk_digest: String,
    /// [`params_digest`] of the setup's verifier parameters.
    pub params_digest: String,
}

/// Digest of what a KZG verifier uses from the parameters: `g[0]`, `g2` and `s_g2`
/// (compressed encodings, SHA-256, `0x` hex). The same for every `k` of one ceremony.
pub fn params_digest(params: &ParamsKZG<Bn256>) -> String {
    let mut h = Sha256::new();
    h.update(b"zkmnist-verifier-params/1");
    h.update(params.get_g()[0].to_bytes());
    h.update(params.g2().to_bytes());
    h.update(params.s_g2().to_bytes());
    format!("0x{}", hex::encode(h.finalize()))
}

/// `circuits/pinned.json`: the verifying keys this build accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pinned {
    /// Must be [`PINNED_FORMAT`].
    pub format: String,
    /// Content hash of the model.
    pub model: String,
    /// log2 of the domain size.
    pub k: u32,
    /// Accepted keys, one per setup.
    pub keys: Vec<PinnedKey>,
}

impl Pinned {
    /// The pins built into this binary.
    pub fn embedded() -> Result<Self, ProverError> {
        let p: Pinned = serde_json::from_str(include_str!("../../../../circuits/pinned.json"))
            .map_err(|e| ProverError::Pin(format!("circuits/pinned.json: {e}")))?;
        if p.format != PINNED_FORMAT {
            return Err(ProverError::Pin(format!(
                "circuits/pinned.json has format {:?}",
                p.format
            )));
        }
        Ok(p)
    }

    /// These pins with `manifest`'s key (and its parameters' digest) recorded for its setup: a
    /// new model or `k` drops every other setup's pin (their keys are for the old circuit).
    pub fn with_key(mut self, manifest: &KeysManifest, params_digest: String) -> Pinned {
        if self.model != manifest.model || self.k != manifest.k {
            self.keys.clear();
        }
        self.model = manifest.model.clone();
        self.k = manifest.k;
        self.keys.retain(|k| k.setup != manifest.setup);
        self.keys.push(PinnedKey {
            setup: manifest.setup.clone(),
            vk_digest: manifest.vk_digest.clone(),
            params_digest,
        });
        self
    }

    /// Empty pins (what `--pin` starts from when the built-in pins are unreadable).
    pub fn empty() -> Pinned {
        Pinned {
            format: PINNED_FORMAT.into(),
            model: String::new(),
            k: 0,
            keys: Vec::new(),
        }
    }

    /// The pinned digest for a setup, if any.
    pub fn digest_for(&self, setup: &str) -> Option<&str> {
        self.key_for(setup).map(|k| k.vk_digest.as_str())
    }

    /// The pinned key of a setup, if any.
    pub(crate) fn key_for(&self, setup: &str) -> Option<&PinnedKey> {
        self.keys.iter().find(|k| k.setup == setup)
    }

    /// Accepts KZG parameters only if their verifier part is the one pinned for the setup.
    pub fn check_params(&self, setup: &str, params: &ParamsKZG<Bn256>) -> Result<(), ProverError> {
        let digest = params_digest(params);
        match self.key_for(setup) {
            Some(k) if k.params_digest == digest => Ok(()),
            Some(k) => Err(ProverError::Pin(format!(
                "the KZG parameters are not the pinned ones for setup {setup:?}: their verifier \
                 points (g[0], g2, s_g2) have digest {digest}, circuits/pinned.json pins {}; \
                 params.bin was replaced or comes from another setup, refusing to use it",
                k.params_digest
            ))),
            None => Err(ProverError::Pin(format!(
                "no parameters are pinned for setup {setup:?} in circuits/pinned.json"
            ))),
        }
    }

    /// Accepts a verifying key only if it is pinned for its setup.
    pub fn check(&self, setup: &str, digest: &str) -> Result<(), ProverError> {
        match self.digest_for(setup) {
            Some(d) if d == digest => Ok(()),
            Some(d) => Err(ProverError::Pin(format!(
                "verifying key {digest} ({setup}) is not the pinned one ({d}): the circuit or model changed; \
                 rerun `zkmnist setup` (and `zkmnist setup --pin` if the change is intended)"
            ))),
            None => Err(ProverError::Pin(format!(
                "no verifying key is pinned for setup {setup:?} in circuits/pinned.json"
            ))),
        }
    }
}

/// Parameters and verifying key, for verification.
pub struct VerifierKeys {
    /// KZG parameters (only the verifier part is used).
    pub params: ParamsKZG<Bn256>,
    /// The verifying key.
    pub vk: VerifyingKey<G1Affine>,
    /// What `keys.json` says.
    pub manifest: KeysManifest,
}

/// Parameters and proving key, for proving.
pub struct ProverKeys {
    /// KZG parameters.
    pub params: ParamsKZG<Bn256>,
    /// The proving key.
    pub pk: ProvingKey<G1Affine>,
    /// What `keys.json` says.
    pub manifest: KeysManifest,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> ProverError + '_ {
    move |source| ProverError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The files of a key directory; `keys.json` is written last. `pk.bin.gz` is `pk.bin`
/// gzip-compressed for `zkmnist serve` (1.8 MB -> 0.7 MB on the wire); it is a transfer
/// encoding, so `keys.json` hashes the uncompressed file only.
pub(crate) const KEY_FILES: [&str; 5] =
    ["params.bin", "vk.bin", "pk.bin", "pk.bin.gz", "keys.json"];

/// The manifest [`write`] would record for these keys, without writing anything.
pub(crate) fn manifest_for(
    setup: &str,
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    model: &str,
    files: BTreeMap<String, String>,
) -> KeysManifest {
    KeysManifest {
        format: KEYS_FORMAT.into(),
        setup: setup.into(),
        k: params.k(),
        vk_digest: vk_digest(vk),
        model: model.into(),
        files,
    }
}

/// Writes a key directory and returns its manifest.
///
/// The set is written into a fresh sibling directory, flushed, and swapped with `dir` in one
/// atomic step ([`zkmnist_model::files::replace_dir`]): readers and crashes see the old complete set or
/// the new one. When `dir` holds other files too, each key file is replaced atomically instead
/// and `keys.json` last (a crash between two renames leaves a set whose hashes do not match,
/// which loading reports; never a half-written file).
pub fn write(
    dir: &Path,
    setup: &str,
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    pk: &ProvingKey<G1Affine>,
    model: &str,
) -> Result<KeysManifest, ProverError> {
    use zkmnist_model::files::{self, Access};
    let mut blobs: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut buf = Vec::new();
    params.write(&mut buf).map_err(io_err(dir))?;
    blobs.push(("params.bin", buf));
    blobs.push(("vk.bin", vk.to_bytes(FORMAT)));
    blobs.push(("pk.bin", super::compact::compact(pk)?));
    let files: BTreeMap<String, String> = blobs
        .iter()
        .map(|(name, bytes)| (name.to_string(), sha256_hex(bytes)))
        .collect();
    let manifest = manifest_for(setup, params, vk, model, files);
    let json =
        serde_json::to_string_pretty(&manifest).map_err(|e| ProverError::Keys(e.to_string()))?;
    let gz = {
        use std::io::Write;
        let pk_bytes = &blobs[2].1;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(pk_bytes)
            .and_then(|_| e.finish())
            .map_err(io_err(dir))?
    };
    blobs.push(("pk.bin.gz", gz));
    blobs.push(("keys.json", (json + "\n").into_bytes()));

    let parent = files::parent_of(dir);
    std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    let only_keys = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(Result::ok).all(|e| {
            let name = e.file_name();
            KEY_FILES.iter().any(|k| name.as_os_str() == *k)
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(io_err(dir)(e)),
    };
    if only_keys {
        let staged = files::temp_sibling(dir);
        let result = (|| {
            std::fs::create_dir(&staged).map_err(io_err(&staged))?;
            for (name, bytes) in &blobs {
                let path = staged.join(name);
                files::write_atomic(&path, bytes, Access::Public).map_err(io_err(&path))?;
            }
            files::replace_dir(&staged, dir).map_err(io_err(dir))
        })();
        if result.is_err() && staged.exists() {
            let _ = std::fs::remove_dir_all(&staged);
        }
        result?;
    } else {
        let mut staged = Vec::new();
        for (name, bytes) in &blobs {
            let path = dir.join(name);
            match files::stage(&path, bytes, Access::Public) {
                Ok(tmp) => staged.push((tmp, path)),
                Err(e) => {
                    for (tmp, _) in &staged {
                        let _ = std::fs::remove_file(tmp);
                    }
                    return Err(io_err(&path)(e));
                }
            }
        }
        for (tmp, path) in &staged {
            files::commit(tmp, path).map_err(io_err(path))?;
        }
    }
    Ok(manifest)
}

/// Where key files come from: a directory, or bytes fetched by the page.
pub trait KeySource {
    /// Names the source in messages.
    fn origin(&self) -> String;
    /// The bytes of `name` (`keys.json`, `params.bin`, `vk.bin`, `pk.bin`).
    fn read(&self, name: &str) -> Result<Vec<u8>, ProverError>;
}

impl KeySource for &Path {
    fn origin(&self) -> String {
        self.display().to_string()
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, ProverError> {
        let path = self.join(name);
        std::fs::read(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound && name == "keys.json" {
                ProverError::Keys(format!(
                    "no keys in {}: run `zkmnist setup` first",
                    self.display()
                ))
            } else {
                io_err(&path)(source)
            }
        })
    }
}

/// Key files held in memory (name, bytes).
pub struct KeyBytes<'a> {
    /// Where they came from, for messages (a URL, say).
    pub origin: &'a str,
    /// The files.
    pub files: &'a [(&'a str, &'a [u8])],
}

impl KeySource for KeyBytes<'_> {
    fn origin(&self) -> String {
        self.origin.to_string()
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, ProverError> {
        self.files
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b.to_vec())
            .ok_or_else(|| ProverError::Keys(format!("{}: no {name}", self.origin)))
    }
}

/// Reads `keys.json` and checks it belongs to this circuit's model.
pub fn manifest(
    src: &dyn KeySource,
    circuit: &ZkmnistCircuit,
) -> Result<KeysManifest, ProverError> {
    let origin = src.origin();
    let bytes = src.read("keys.json")?;
    let m: KeysManifest = serde_json::from_slice(&bytes).map_err(|e| {
        ProverError::Keys(format!(
            "{origin}/keys.json is not a zkmnist keys manifest: {e}"
        ))
    })?;
    if m.format != KEYS_FORMAT {
        return Err(ProverError::Keys(format!(
            "{origin}/keys.json has format {:?}, expected {KEYS_FORMAT:?}",
            m.format
        )));
    }
    if m.model != circuit.spec().content_hash {
        return Err(ProverError::Keys(format!(
            "keys in {origin} are for model {}, this build's model is {}: rerun `zkmnist setup`",
            m.model,
            circuit.spec().content_hash
        )));
    }
    Ok(m)
}

/// Reads a file of the source after checking its hash against the manifest.
fn checked(src: &dyn KeySource, m: &KeysManifest, name: &str) -> Result<Vec<u8>, ProverError> {
    let bytes = src.read(name)?;
    let expected = m
        .files
        .get(name)
        .ok_or_else(|| ProverError::Keys(format!("keys.json lists no hash for {name}")))?;
    if &sha256_hex(&bytes) != expected {
        return Err(ProverError::Keys(format!(
            "{}/{name} is corrupted or was replaced (its SHA-256 differs from keys.json): rerun `zkmnist setup`",
            src.origin()
        )));
    }
    Ok(bytes)
}

fn parse_err(src: &dyn KeySource, name: &str) -> impl Fn(std::io::Error) -> ProverError {
    let path = format!("{}/{name}", src.origin());
    move |source| ProverError::Io {
        path: path.clone(),
        source,
    }
}

/// Reads `params.bin` and refuses parameters whose verifier points are not pinned for the
/// keys' setup.
fn read_params(src: &dyn KeySource, m: &KeysManifest) -> Result<ParamsKZG<Bn256>, ProverError> {
    let bytes = checked(src, m, "params.bin")?;
    let params = super::read_params_bytes(&bytes, &format!("{}/params.bin", src.origin()))?;
    if params.k() != m.k {
        return Err(ProverError::Params(format!(
            "{}/params.bin holds parameters for 2^{} rows, keys.json says 2^{}",
            src.origin(),
            params.k(),
            m.k
        )));
    }
    Pinned::embedded()?
        .check_params(&m.setup, &params)
        .map_err(|e| ProverError::Pin(format!("{}/params.bin: {e}", src.origin())))?;
    Ok(params)
}

/// The key read from `name` must have the digest `keys.json` records, and that digest must be
/// pinned for the keys' setup: only pinned keys are ever used.
fn check_digest(
    name: &str,
    vk: &VerifyingKey<G1Affine>,
    m: &KeysManifest,
) -> Result<(), ProverError> {
    if vk_digest(vk) != m.vk_digest {
        return Err(ProverError::Keys(format!(
            "{name} does not match the digest in keys.json"
        )));
    }
    Pinned::embedded()?.check(&m.setup, &m.vk_digest)
}

/// Loads from a directory; when `keys.json` changed while loading (a `zkmnist setup` swapped a
/// new set in), loads again: a reader gets the old set or the new one, not an error.
fn load_dir<T>(
    dir: &Path,
    load: impl Fn(&dyn KeySource) -> Result<T, ProverError>,
) -> Result<T, ProverError> {
    let manifest = || std::fs::read(dir.join("keys.json")).ok();
    let mut attempts = 0;
    loop {
        let before = manifest();
        match load(&dir) {
            Err(_) if attempts < 3 && manifest() != before => attempts += 1,
            other => return other,
        }
    }
}

/// Loads parameters and verifying key from a directory.
pub fn load_verifier(dir: &Path, circuit: &ZkmnistCircuit) -> Result<VerifierKeys, ProverError> {
    load_dir(dir, |src| load_verifier_from(src, circuit))
}

/// Loads parameters and proving key from a directory.
pub fn load_prover(dir: &Path, circuit: &ZkmnistCircuit) -> Result<ProverKeys, ProverError> {
    load_dir(dir, |src| load_prover_from(src, circuit))
}

/// Loads parameters and verifying key.
pub fn load_verifier_from(
    src: &dyn KeySource,
    circuit: &ZkmnistCircuit,
) -> Result<VerifierKeys, ProverError> {
    let (manifest, params, vk) = read_verifier_part(src, circuit)?;
    Ok(VerifierKeys {
        params,
        vk,
        manifest,
    })
}

/// Loads parameters and proving key (the compact `pk.bin` expanded against `vk.bin`).
pub(crate) fn load_prover_from(
    src: &dyn KeySource,
    circuit: &ZkmnistCircuit,
) -> Result<ProverKeys, ProverError> {
    let (manifest, params, vk) = read_verifier_part(src, circuit)?;
    let bytes = checked(src, &manifest, "pk.bin")?;
    let pk = super::compact::expand(&bytes, &vk, circuit)?;
    Ok(ProverKeys {
        params,
        pk,
        manifest,
    })
}

/// Adds the proving key to loaded verifier keys: `pk.bin` is checked against the manifest the
/// verifier keys were loaded with and expanded against their verifying key (the parameters and
/// the verifying key are not read again).
pub fn add_prover(
    verifier: &VerifierKeys,
    src: &dyn KeySource,
    circuit: &ZkmnistCircuit,
) -> Result<ProverKeys, ProverError> {
    let bytes = checked(src, &verifier.manifest, "pk.bin")?;
    let pk = super::compact::expand(&bytes, &verifier.vk, circuit)?;
    Ok(ProverKeys {
        params: verifier.params.clone(),
        pk,
        manifest: verifier.manifest.clone(),
    })
}

/// The manifest, the pinned parameters and the pinned verifying key, every check done.
fn read_verifier_part(
    src: &dyn KeySource,
    circuit: &ZkmnistCircuit,
) -> Result<(KeysManifest, ParamsKZG<Bn256>, VerifyingKey<G1Affine>), ProverError> {
    let manifest = manifest(src, circuit)?;
    let params = read_params(src, &manifest)?;
    let bytes = checked(src, &manifest, "vk.bin")?;
    let vk = VerifyingKey::<G1Affine>::read::<_, ZkmnistCircuit>(
        &mut bytes.as_slice(),
        FORMAT,
        circuit.params(),
    )
    .map_err(parse_err(src, "vk.bin"))?;
    check_digest("vk.bin", &vk, &manifest)?;
    Ok((manifest, params, vk))
}
