//! The `zkmnist` command line's commands, one module per group; `src/main.rs` parses the
//! arguments and dispatches. Commands read files, call the library (the statement API for
//! proofs) and print.

pub mod args;
pub mod model;
pub mod proofs;
pub mod serve;
pub mod setup;
pub mod solc;

use std::path::Path;
use std::time::Instant;
use zkmnist::files::{self, Access};
use zkmnist::preprocess;
use zkmnist::proof_file::MAX_FILE_BYTES;

/// What a command returns: its error is printed as `error: ...` with exit status 1.
pub type CliResult = Result<(), Box<dyn std::error::Error>>;

/// Printed wherever the dev setup is used.
pub const DEV_WARNING: &str = "WARNING: dev-insecure setup: the KZG parameters come from a public seed, so anyone can forge proofs with them. Use a real ceremony's parameters for anything that matters.";

/// `println!` that returns write errors (a closed pipe) instead of panicking.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// Reads a proof, opening or record file: all are a few KB, so larger files are refused unread.
pub fn read_text(path: &Path) -> Result<String, String> {
    files::read_text_capped(
        path,
        MAX_FILE_BYTES as u64,
        "zkmnist proof, opening or record file",
    )
    .map_err(|e| e.to_string())
}

/// Reads a picture, refusing files larger than any picture worth decoding.
pub fn read_image(path: &Path) -> Result<Vec<u8>, String> {
    files::read_capped(path, preprocess::MAX_FILE_BYTES, "picture").map_err(|e| e.to_string())
}

/// Replaces a file atomically (never half-written; see `zkmnist::files`).
pub fn write_file(path: &Path, bytes: &[u8], access: Access) -> Result<(), String> {
    files::write_atomic(path, bytes, access)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn write_text(path: &Path, text: &str) -> Result<(), String> {
    write_file(path, text.as_bytes(), Access::Public)
}

/// Runs a step, printing its name, then "done" (with its time when it took more than a
/// second) or "failed".
pub fn step<T, E>(name: &str, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
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
