//! `zkmnist train`: a small, exact, deterministic trainer (minibatch Adam with augmentation)
//! followed by post-training quantization.
//!
//! Determinism: every random draw comes from [`rng::Rng`] streams derived from the seed and the
//! (epoch, sample) indices; gradients are summed in a fixed order whatever the thread count.

#![deny(missing_docs)]

pub mod augment;
pub mod net;
pub mod quantize;
pub mod rng;

use augment::Augment;
use net::{Architecture, ConvArch, FloatNet};
use rayon::prelude::*;
use rng::Rng;
use zkmnist_model::data::Dataset;
use zkmnist_model::spec::{ModelError, ModelSpec, TrainingReport};

/// Why training or quantization made no model.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The training or the held-out set is empty.
    #[error("training needs non-empty training and held-out sets")]
    NoData,
    /// No requantization shifts keep the activation table within the circuit's rows.
    #[error("no choice of shifts gives a lookup table of at most {max_table_rows} rows")]
    NoShifts {
        /// The table rows available.
        max_table_rows: usize,
    },
    /// The architecture puts a convolution last, where the logits must come from a dense layer.
    #[error("a convolution cannot be the logits layer")]
    ConvolutionLast,
    /// The quantized model is not a valid spec, or cannot be evaluated.
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Samples per gradient chunk; chunks run in parallel and are summed in order.
const CHUNK: usize = 8;
/// Samples of the training split used to calibrate and choose quantization shifts.
const CALIBRATION_SAMPLES: usize = 3000;

/// Hyper-parameters of a training run.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// PRNG seed.
    pub seed: u64,
    /// Passes over the training data.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Peak learning rate (cosine-decayed to 2% of it).
    pub lr: f32,
    /// Layer graph.
    pub arch: Architecture,
    /// Augmentation ranges.
    pub augment: Augment,
    /// Probability that a training sample is warped in an epoch (1: always).
    pub warp_probability: f32,
    /// The last `clean_epochs` epochs train on the digits as they are, unwarped.
    pub clean_epochs: usize,
    /// Horizon, in steps, of an exponential moving average of the weights (Polyak averaging):
    /// after every step `avg += (w - avg) / horizon`, and the average is what training returns.
    /// 0: off, the last step's weights are returned.
    pub average_horizon: usize,
    /// Largest lookup table the quantized model may need (the circuit's domain budget).
    pub max_table_rows: usize,
}

/// The proof budget: the model must fit a circuit of 2^12 rows, its lookup table included.
pub const CIRCUIT_ROWS: usize = 1 << 12;

impl TrainConfig {
    /// The configuration that produced `circuits/model.json`, for a given seed.
    pub fn standard(seed: u64) -> Self {
        TrainConfig {
            seed,
            epochs: 40,
            batch: 32,
            lr: 3e-3,
            arch: Architecture {
                convs: vec![
                    ConvArch {
                        out_channels: 4,
                        kernel: 5,
                        stride: 2,
                    },
                    ConvArch {
                        out_channels: 13,
                        kernel: 5,
                        stride: 2,
                    },
                ],
                hidden: vec![],
            },
            augment: Augment::default(),
            warp_probability: 1.0,
            clean_epochs: 0,
            average_horizon: 0,
            max_table_rows: zkmnist_model::plan::MAX_TABLE_ROWS,
        }
    }
}

/// What one epoch did, for progress output.
#[derive(Clone, Copy, Debug)]
pub struct EpochReport {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss (on augmented samples).
    pub loss: f32,
    /// Float accuracy on the held-out split.
    pub holdout_accuracy: f64,
}

/// Trains a float network on `train`, then quantizes it; `holdout` is only measured, never
/// trained on. `progress` is called after every epoch.
pub fn train(
    cfg: &TrainConfig,
    train: &Dataset,
    holdout: &Dataset,
    progress: impl FnMut(EpochReport),
) -> Result<ModelSpec, TrainError> {
    let net = train_float(cfg, train, holdout, progress)?;
    let report = TrainingReport {
        seed: cfg.seed,
        epochs: cfg.epochs,
        train_samples: train.len(),
        holdout_samples: holdout.len(),
        float_holdout_accuracy: float_accuracy(&net, holdout),
        quantized_holdout_accuracy: 0.0,
    };
    let calib = subset(train, CALIBRATION_SAMPLES, cfg.seed);
    let spec = quantize::quantize(&net, &calib, report.clone(), cfg.max_table_rows)?;
    let quant_acc = quantize::count_correct(&spec, holdout)? as f64 / holdout.len() as f64;
    ModelSpec::new(
        spec.input,
        spec.layers,
        TrainingReport {
            quantized_holdout_accuracy: quant_acc,
            ..report
        },
    )
    .map_err(TrainError::from)
}

/// Trains the float network only (minibatch Adam, cosine learning rate, augmentation).
pub fn train_float(
    cfg: &TrainConfig,
    train: &Dataset,
    holdout: &Dataset,
    mut progress: impl FnMut(EpochReport),
) -> Result<FloatNet, TrainError> {
    if train.is_empty() || holdout.is_empty() {
        return Err(TrainError::NoData);
    }
    let mut rng = Rng::derived(cfg.seed, &[0]);
    let mut net = FloatNet::new(&cfg.arch, &mut rng);
    let mut adam = Adam::new(&mut net);
    let floats: Vec<Vec<f32>> = train.images.iter().map(|i| quantize::to_float(i)).collect();
    let steps_per_epoch = train.len().div_ceil(cfg.batch);
    let total_steps = (steps_per_epoch * cfg.epochs) as f32;
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut step = 0usize;
    let mut average = (cfg.average_horizon > 0).then(|| net.clone());
    for epoch in 0..cfg.epochs {
        Rng::derived(cfg.seed, &[1, epoch as u64]).shuffle(&mut order);
        let warping = epoch + cfg.clean_epochs < cfg.epochs;
        let mut loss_sum = 0.0f64;
        for batch in order.chunks(cfg.batch) {
            let (grads, loss) = batch
                .par_chunks(CHUNK)
                .map(|chunk| {
                    let mut g = net.zeros_like();
                    let mut loss = 0.0f32;
                    for &i in chunk {
                        // The coin has its own stream, so `warp_probability = 1` leaves the
                        // warps (and the committed model) as they were.
                        let warp = warping
                            && (cfg.warp_probability >= 1.0
                                || Rng::derived(cfg.seed, &[4, epoch as u64, i as u64]).unit()
                                    < cfg.warp_probability);
                        let x = if warp {
                            let mut srng = Rng::derived(cfg.seed, &[2, epoch as u64, i as u64]);
                            cfg.augment.apply(&floats[i], &mut srng)
                        } else {
                            floats[i].clone()
                        };
                        let acts = net.forward(&x);
                        loss += net.backward(&acts, usize::from(train.labels[i]), &mut g);
                    }
                    (g, loss)
                })
                .collect::<Vec<_>>()
                .into_iter()
                .reduce(|(mut ga, la), (gb, lb)| {
                    ga.add_assign(&gb);
                    (ga, la + lb)
                })
                .unwrap_or_else(|| (net.zeros_like(), 0.0));
            loss_sum += f64::from(loss);
            let frac = step as f32 / total_steps;
            let lr = cfg.lr * (0.02 + 0.98 * 0.5 * (1.0 + (std::f32::consts::PI * frac).cos()));
            adam.step(&mut net, &grads, batch.len() as f32, lr);
            step += 1;
            if let Some(avg) = average.as_mut() {
                // Early steps weigh in fully until the horizon is reached (no bias toward the
                // random initial weights).
                let rate = 1.0 / step.min(cfg.average_horizon) as f32;
                for (a, w) in avg.params_mut().into_iter().zip(net.params_mut()) {
                    for (ai, wi) in a.iter_mut().zip(w.iter()) {
                        *ai += (wi - *ai) * rate;
                    }
                }
            }
        }
        progress(EpochReport {
            epoch: epoch + 1,
            loss: (loss_sum / train.len() as f64) as f32,
            holdout_accuracy: float_accuracy(average.as_ref().unwrap_or(&net), holdout),
        });
    }
    Ok(average.unwrap_or(net))
}

/// Fraction of `ds` the float network classifies correctly.
pub(crate) fn float_accuracy(net: &FloatNet, ds: &Dataset) -> f64 {
    let correct: usize = ds
        .images
        .par_iter()
        .zip(ds.labels.par_iter())
        .filter(|(img, label)| net.predict(&quantize::to_float(&img[..])) == usize::from(**label))
        .count();
    correct as f64 / ds.len() as f64
}

/// A deterministic random subset of at most `n` samples.
pub fn subset(ds: &Dataset, n: usize, seed: u64) -> Dataset {
    let mut idx: Vec<usize> = (0..ds.len()).collect();
    Rng::derived(seed, &[3]).shuffle(&mut idx);
    idx.truncate(n);
    Dataset {
        images: idx.iter().map(|&i| ds.images[i]).collect(),
        labels: idx.iter().map(|&i| ds.labels[i]).collect(),
    }
}

/// Adam optimiser state.
struct Adam {
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    t: i32,
}

impl Adam {
    const B1: f32 = 0.9;
    const B2: f32 = 0.999;
    const EPS: f32 = 1e-8;

    fn new(net: &mut FloatNet) -> Self {
        let shapes: Vec<usize> = net.params_mut().iter().map(|p| p.len()).collect();
        Adam {
            m: shapes.iter().map(|&n| vec![0.0; n]).collect(),
            v: shapes.iter().map(|&n| vec![0.0; n]).collect(),
            t: 0,
        }
    }

    fn step(&mut self, net: &mut FloatNet, grads: &FloatNet, batch: f32, lr: f32) {
        self.t += 1;
        let c1 = 1.0 - Self::B1.powi(self.t);
        let c2 = 1.0 - Self::B2.powi(self.t);
        let mut grads = grads.clone();
        for ((p, g), (m, v)) in net
            .params_mut()
            .into_iter()
            .zip(grads.params_mut())
            .zip(self.m.iter_mut().zip(self.v.iter_mut()))
        {
            for i in 0..p.len() {
                let gi = g[i] / batch;
                m[i] = Self::B1 * m[i] + (1.0 - Self::B1) * gi;
                v[i] = Self::B2 * v[i] + (1.0 - Self::B2) * gi * gi;
                p[i] -= lr * (m[i] / c1) / ((v[i] / c2).sqrt() + Self::EPS);
            }
        }
    }
}
