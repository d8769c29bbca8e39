//! The integer forward pass: the single source of truth for what the model computes.
//!
//! No halo2 here. The circuit takes its witness from [`Trace`] and fills its lookup tables with
//! [`Requant::apply`](super::spec::Requant::apply), so the two cannot drift apart.
//!
//! Semantics, exactly:
//! - the input is 784 pixels, each an integer in `0..=255` (row-major, ink = 255);
//! - each layer computes `acc = bias + sum(weight * input)` over integers (conv: no padding,
//!   inputs in CHW order, weights in `[out][in][ky][kx]`; dense: flattened CHW input);
//! - hidden layers then apply `clamp(floor((acc + 2^(s-1)) / 2^s), 0, max)`;
//! - the last layer's accumulators are the logits; the digit is the index of the largest logit,
//!   the lowest index on a tie.
//!
//! Every value is bounded by [`bounds`], computed from the weights alone for *any* input in range,
//! so the circuit's range checks are sized from these numbers, not from observed data.

use super::spec::{IMAGE_PIXELS, Layer, ModelError, ModelSpec, PIXEL_MAX, Shape};

/// Every intermediate tensor of one evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// The 784 input pixels.
    pub input: Vec<i64>,
    /// One entry per layer, in order.
    pub layers: Vec<LayerTrace>,
    /// Index of the largest logit (lowest index on ties).
    pub digit: usize,
}

/// The tensors of one layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerTrace {
    /// Accumulators `bias + sum(w * x)`, in CHW order.
    pub acc: Vec<i64>,
    /// Outputs: requantized activations, or the accumulators themselves for the logits layer.
    pub output: Vec<i64>,
}

impl Trace {
    /// The logits (the last layer's output).
    pub fn logits(&self) -> &[i64] {
        self.layers
            .last()
            .map(|l| l.output.as_slice())
            .unwrap_or(&[])
    }

    /// How sure the model is of each digit: the softmax of the logits at their real scale (the
    /// logits layer's `output_scale`, one logit unit in the float network's units). For display
    /// only; the proof is about [`Trace::digit`], the integer argmax.
    pub fn confidences(&self, spec: &ModelSpec) -> Vec<f64> {
        let scale = match spec.layers.last() {
            Some(Layer::Dense(d)) => d.output_scale,
            Some(Layer::Conv2d(c)) => c.output_scale,
            None => 1.0,
        };
        let logits = self.logits();
        let max = logits.iter().copied().max().unwrap_or(0);
        let exp: Vec<f64> = logits
            .iter()
            .map(|&l| ((l - max) as f64 * scale).exp())
            .collect();
        let sum: f64 = exp.iter().sum();
        exp.iter().map(|e| e / sum).collect()
    }
}

/// Worst-case ranges of one layer's tensors over every input in range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerBounds {
    /// Largest value of the layer's inputs.
    pub input_max: i64,
    /// Smallest possible accumulator.
    pub acc_min: i64,
    /// Largest possible accumulator.
    pub acc_max: i64,
    /// Largest output (the requant clamp, or `acc_max` for logits); outputs of hidden layers are
    /// never negative.
    pub output_max: i64,
}

impl LayerBounds {
    /// Largest absolute accumulator value.
    pub fn acc_abs_max(&self) -> i64 {
        self.acc_min.abs().max(self.acc_max.abs())
    }
}

/// Index of the largest value, the lowest index among equals. `None` for an empty slice.
pub fn argmax(values: &[i64]) -> Option<usize> {
    let mut best: Option<(usize, i64)> = None;
    for (i, &v) in values.iter().enumerate() {
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// Runs the integer model on one image and returns every intermediate tensor.
pub fn forward(spec: &ModelSpec, pixels: &[u8; IMAGE_PIXELS]) -> Result<Trace, ModelError> {
    let shapes = spec.shapes()?;
    let input: Vec<i64> = pixels.iter().map(|&p| i64::from(p)).collect();
    let mut layers = Vec::with_capacity(spec.layers.len());
    let mut current = input.clone();
    for (layer, shape) in spec.layers.iter().zip(&shapes) {
        let acc = accumulate(layer, *shape, &current);
        let output = match layer.parts().2 {
            Some(r) => acc.iter().map(|&a| r.apply(a)).collect(),
            None => acc.clone(),
        };
        current = output.clone();
        layers.push(LayerTrace { acc, output });
    }
    // A validated spec has layers and ten logits: the argmax exists.
    let digit = argmax(&current).ok_or(ModelError::Invalid(super::spec::Invalid::NoLayers))?;
    Ok(Trace {
        input,
        layers,
        digit,
    })
}

/// `bias + sum(weight * input)` for every output of a layer.
fn accumulate(layer: &Layer, input_shape: Shape, input: &[i64]) -> Vec<i64> {
    match layer {
        Layer::Conv2d(c) => {
            let (oh, ow) = (
                (input_shape.h - c.kernel) / c.stride + 1,
                (input_shape.w - c.kernel) / c.stride + 1,
            );
            let mut out = Vec::with_capacity(c.out_channels * oh * ow);
            for o in 0..c.out_channels {
                for y in 0..oh {
                    for x in 0..ow {
                        let mut acc = c.bias[o];
                        for (i, ky, kx) in conv_taps(c.in_channels, c.kernel) {
                            let w = c.weights
                                [((o * c.in_channels + i) * c.kernel + ky) * c.kernel + kx];
                            let pix = (i * input_shape.h + y * c.stride + ky) * input_shape.w
                                + x * c.stride
                                + kx;
                            acc += w * input[pix];
                        }
                        out.push(acc);
                    }
                }
            }
            out
        }
        Layer::Dense(d) => (0..d.outputs)
            .map(|o| {
                d.bias[o]
                    + d.weights[o * d.inputs..(o + 1) * d.inputs]
                        .iter()
                        .zip(input)
                        .map(|(w, x)| w * x)
                        .sum::<i64>()
            })
            .collect(),
    }
}

/// The (input channel, ky, kx) taps of a convolution kernel, in weight order.
pub(crate) fn conv_taps(
    in_channels: usize,
    kernel: usize,
) -> impl Iterator<Item = (usize, usize, usize)> {
    (0..in_channels)
        .flat_map(move |i| (0..kernel).flat_map(move |ky| (0..kernel).map(move |kx| (i, ky, kx))))
}

/// Worst-case bounds of every layer, over all inputs with pixels in `0..=255`.
///
/// Inputs of every layer are non-negative (pixels, or clamped ReLU outputs), so the largest
/// accumulator of a channel is `bias + sum(positive weights) * input_max`, the smallest
/// `bias + sum(negative weights) * input_max`.
pub fn bounds(spec: &ModelSpec) -> Vec<LayerBounds> {
    let mut input_max = PIXEL_MAX;
    let mut out = Vec::with_capacity(spec.layers.len());
    for layer in &spec.layers {
        let (weights, bias, requant) = layer.parts();
        let fan_in = weights.len() / bias.len().max(1);
        let (mut acc_min, mut acc_max) = (i64::MAX, i64::MIN);
        for (o, b) in bias.iter().enumerate() {
            let row = &weights[o * fan_in..(o + 1) * fan_in];
            let pos: i64 = row.iter().filter(|w| **w > 0).sum();
            let neg: i64 = row.iter().filter(|w| **w < 0).sum();
            acc_max = acc_max.max(b + pos * input_max);
            acc_min = acc_min.min(b + neg * input_max);
        }
        let output_max = requant.map_or(acc_max, |r| r.max);
        out.push(LayerBounds {
            input_max,
            acc_min,
            acc_max,
            output_max,
        });
        input_max = output_max;
    }
    out
}
