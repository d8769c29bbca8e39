//! The float network used for training: the same layer graph as [`ModelSpec`](zkmnist_model::ModelSpec)
//! (strided convolutions with ReLU, then one dense layer to logits), with hand-written forward and
//! backward passes. Small enough that plain loops train it in seconds.

use super::rng::Rng;
use zkmnist_model::spec::{CLASSES, IMAGE_SIDE, Shape};

/// One convolution of the architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvArch {
    /// Filters.
    pub out_channels: usize,
    /// Square kernel side.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
}

/// The layer graph: convolutions and hidden dense layers (each followed by ReLU), then a dense
/// layer to the 10 logits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Architecture {
    /// The convolutions in order.
    pub convs: Vec<ConvArch>,
    /// Widths of the hidden dense layers after the convolutions.
    pub hidden: Vec<usize>,
}

/// Kind and geometry of one float layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatKind {
    /// A convolution from `input` to `output`.
    Conv {
        /// Geometry.
        arch: ConvArch,
        /// Input shape.
        input: Shape,
        /// Output shape.
        output: Shape,
    },
    /// A dense layer.
    Dense {
        /// Inputs.
        inputs: usize,
        /// Outputs.
        outputs: usize,
    },
}

/// Parameters of one float layer.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatLayer {
    /// Geometry.
    pub kind: FloatKind,
    /// Weights, same order as the integer spec.
    pub w: Vec<f32>,
    /// Biases.
    pub b: Vec<f32>,
}

/// The float network.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatNet {
    /// Layers in order; all but the last are followed by ReLU.
    pub layers: Vec<FloatLayer>,
}

/// Pre-activations of every layer for one sample (kept for the backward pass).
pub struct Activations {
    /// `inputs[l]` is the input of layer `l` (after the previous ReLU).
    pub inputs: Vec<Vec<f32>>,
    /// `pre[l]` is the output of layer `l` before its ReLU (the logits for the last).
    pub pre: Vec<Vec<f32>>,
}

impl Activations {
    /// The logits.
    pub fn logits(&self) -> &[f32] {
        self.pre.last().map(|v| v.as_slice()).unwrap_or(&[])
    }
}

impl FloatKind {
    fn fan_in(&self) -> usize {
        match *self {
            FloatKind::Conv { arch, input, .. } => input.c * arch.kernel * arch.kernel,
            FloatKind::Dense { inputs, .. } => inputs,
        }
    }

    fn outputs(&self) -> usize {
        match *self {
            FloatKind::Conv { output, .. } => output.c,
            FloatKind::Dense { outputs, .. } => outputs,
        }
    }
}

impl FloatNet {
    /// A freshly initialised network (He-uniform weights, zero biases).
    pub fn new(arch: &Architecture, rng: &mut Rng) -> Self {
        let mut shape = Shape {
            c: 1,
            h: IMAGE_SIDE,
            w: IMAGE_SIDE,
        };
        let mut kinds = Vec::new();
        for &conv in &arch.convs {
            let output = Shape {
                c: conv.out_channels,
                h: (shape.h - conv.kernel) / conv.stride + 1,
                w: (shape.w - conv.kernel) / conv.stride + 1,
            };
            kinds.push(FloatKind::Conv {
                arch: conv,
                input: shape,
                output,
            });
            shape = output;
        }
        let mut width = shape.len();
        for &outputs in arch.hidden.iter().chain(&[CLASSES]) {
            kinds.push(FloatKind::Dense {
                inputs: width,
                outputs,
            });
            width = outputs;
        }
        let layers = kinds
            .into_iter()
            .map(|kind| {
                let fan_in = kind.fan_in();
                let limit = (6.0 / fan_in as f32).sqrt();
                let w = (0..fan_in * kind.outputs())
                    .map(|_| rng.uniform(-limit, limit))
                    .collect();
                FloatLayer {
                    kind,
                    w,
                    b: vec![0.0; kind.outputs()],
                }
            })
            .collect();
        FloatNet { layers }
    }

    /// Forward pass on one image given as 784 floats in `[0, 1]`.
    pub fn forward(&self, x: &[f32]) -> Activations {
        let mut inputs = Vec::with_capacity(self.layers.len());
        let mut pre = Vec::with_capacity(self.layers.len());
        let mut current = x.to_vec();
        for (l, layer) in self.layers.iter().enumerate() {
            let z = layer.forward(&current);
            let last = l + 1 == self.layers.len();
            let next = if last {
                Vec::new()
            } else {
                z.iter().map(|v| v.max(0.0)).collect()
            };
            inputs.push(std::mem::replace(&mut current, next));
            pre.push(z);
        }
        Activations { inputs, pre }
    }

    /// Softmax cross-entropy loss of one sample and its gradient, accumulated into `grads`
    /// (shaped like `self`). Returns the loss.
    pub(crate) fn backward(&self, acts: &Activations, label: usize, grads: &mut FloatNet) -> f32 {
        let logits = acts.logits();
        let max = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f32> = logits.iter().map(|v| (v - max).exp()).collect();
        let sum: f32 = exps.iter().sum();
        let mut dz: Vec<f32> = exps.iter().map(|e| e / sum).collect();
        let loss = -(dz[label].max(1e-12)).ln();
        dz[label] -= 1.0;
        for l in (0..self.layers.len()).rev() {
            let din = self.layers[l].backward(&acts.inputs[l], &dz, &mut grads.layers[l], l > 0);
            if l > 0 {
                dz = din
                    .iter()
                    .zip(&acts.pre[l - 1])
                    .map(|(g, z)| if *z > 0.0 { *g } else { 0.0 })
                    .collect();
            }
        }
        loss
    }

    /// A network of the same shape with every parameter zero (a gradient accumulator).
    pub(crate) fn zeros_like(&self) -> FloatNet {
        FloatNet {
            layers: self
                .layers
                .iter()
                .map(|l| FloatLayer {
                    kind: l.kind,
                    w: vec![0.0; l.w.len()],
                    b: vec![0.0; l.b.len()],
                })
                .collect(),
        }
    }

    /// All parameters as mutable slices, in a fixed order (for the optimiser).
    pub(crate) fn params_mut(&mut self) -> Vec<&mut [f32]> {
        self.layers
            .iter_mut()
            .flat_map(|l| [l.w.as_mut_slice(), l.b.as_mut_slice()])
            .collect()
    }

    /// Adds `other` into `self`, parameter by parameter.
    pub(crate) fn add_assign(&mut self, other: &FloatNet) {
        for (a, b) in self.layers.iter_mut().zip(&other.layers) {
            a.w.iter_mut().zip(&b.w).for_each(|(x, y)| *x += y);
            a.b.iter_mut().zip(&b.b).for_each(|(x, y)| *x += y);
        }
    }

    /// Predicted class of one image.
    pub fn predict(&self, x: &[f32]) -> usize {
        let acts = self.forward(x);
        let logits = acts.logits();
        let mut best = 0;
        for (i, v) in logits.iter().enumerate() {
            if *v > logits[best] {
                best = i;
            }
        }
        best
    }
}

impl FloatLayer {
    fn forward(&self, x: &[f32]) -> Vec<f32> {
        match self.kind {
            FloatKind::Conv {
                arch,
                input,
                output,
            } => {
                let k = arch.kernel;
                let mut out = vec![0.0f32; output.len()];
                for o in 0..output.c {
                    let wo = &self.w[o * input.c * k * k..(o + 1) * input.c * k * k];
                    for y in 0..output.h {
                        for xx in 0..output.w {
                            let mut acc = self.b[o];
                            for i in 0..input.c {
                                for ky in 0..k {
                                    let row = (i * input.h + y * arch.stride + ky) * input.w
                                        + xx * arch.stride;
                                    let wrow = &wo[(i * k + ky) * k..(i * k + ky + 1) * k];
                                    for kx in 0..k {
                                        acc += wrow[kx] * x[row + kx];
                                    }
                                }
                            }
                            out[(o * output.h + y) * output.w + xx] = acc;
                        }
                    }
                }
                out
            }
            FloatKind::Dense { inputs, outputs } => (0..outputs)
                .map(|o| {
                    self.b[o]
                        + self.w[o * inputs..(o + 1) * inputs]
                            .iter()
                            .zip(x)
                            .map(|(w, v)| w * v)
                            .sum::<f32>()
                })
                .collect(),
        }
    }

    /// Accumulates parameter gradients into `grad` and returns the gradient w.r.t. the input
    /// (skipped, empty, when `want_input` is false).
    fn backward(&self, x: &[f32], dz: &[f32], grad: &mut FloatLayer, want_input: bool) -> Vec<f32> {
        let mut dx = if want_input {
            vec![0.0f32; x.len()]
        } else {
            Vec::new()
        };
        match self.kind {
            FloatKind::Conv {
                arch,
                input,
                output,
            } => {
                let k = arch.kernel;
                let per_out = input.c * k * k;
                for o in 0..output.c {
                    for y in 0..output.h {
                        for xx in 0..output.w {
                            let g = dz[(o * output.h + y) * output.w + xx];
                            if g == 0.0 {
                                continue;
                            }
                            grad.b[o] += g;
                            for i in 0..input.c {
                                for ky in 0..k {
                                    let row = (i * input.h + y * arch.stride + ky) * input.w
                                        + xx * arch.stride;
                                    let widx = o * per_out + (i * k + ky) * k;
                                    for kx in 0..k {
                                        grad.w[widx + kx] += g * x[row + kx];
                                        if want_input {
                                            dx[row + kx] += g * self.w[widx + kx];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            FloatKind::Dense { inputs, outputs } => {
                for (o, &g) in dz.iter().enumerate().take(outputs) {
                    grad.b[o] += g;
                    let row = o * inputs..(o + 1) * inputs;
                    for (gw, v) in grad.w[row.clone()].iter_mut().zip(x) {
                        *gw += g * v;
                    }
                    if want_input {
                        for (d, w) in dx.iter_mut().zip(&self.w[row]) {
                            *d += g * w;
                        }
                    }
                }
            }
        }
        dx
    }
}
