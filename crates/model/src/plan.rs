//! What a model asks of the proof, computed from the spec alone (no halo2 here): the range of
//! requantization quotients the circuit's activation table must hold, and the convolution
//! geometry its Freivalds checks are laid out for. The trainer uses the same numbers to keep
//! quantized models inside the circuit's budget.

use super::spec::{Conv2d, Layer, ModelError, ModelSpec, Unsupported};
use super::{LayerBounds, bounds};

/// Rows of the circuit's domain (`2^12`).
pub const CIRCUIT_ROWS: usize = 1 << 12;
/// Rows of the circuit the activation table may fill (those before halo2's blinding rows).
pub const MAX_TABLE_ROWS: usize = CIRCUIT_ROWS - 13;
/// Largest requantization shift the circuit supports: remainders are checked as two bytes.
pub const MAX_SHIFT: u32 = 16;

/// The smallest and largest requantization quotient any hidden layer can produce, over every
/// input in range, and `[0, 255]` (the byte range checks share the table). The circuit's table
/// holds `(q, clamp(q, 0, 255))` for every `q` in this range.
pub fn quotient_range(spec: &ModelSpec) -> (i64, i64) {
    spec.layers
        .iter()
        .zip(bounds(spec))
        .filter_map(|(layer, b)| layer.parts().2.map(|r| (r, b)))
        .fold((0, 255), |(lo, hi), (r, b): (_, LayerBounds)| {
            (
                lo.min(r.round_shift(b.acc_min)),
                hi.max(r.round_shift(b.acc_max)),
            )
        })
}

/// Rows of the activation table for this model.
pub fn table_rows(spec: &ModelSpec) -> usize {
    let (lo, hi) = quotient_range(spec);
    (hi - lo + 1) as usize
}

/// The geometry of a convolution as the circuit's Freivalds check sees it.
///
/// The input (`c_in` channels of `h x h`) is split into `s x s` parity classes `(p, q)`, each an
/// `hp x hp` grid `X[u][v] = x[s u + p][s v + q]`. Tap `(ky, kx) = (s a + p, s b + q)` of the
/// kernel then reads class `(p, q)` at `(i + a, j + b)`, so the stride-`s` convolution is a sum of
/// stride-1 correlations, one per class. The "full" correlation has `f x f` outputs per channel,
/// `f = hp + extra` with `extra = ceil(k / s) - 1`; the valid outputs are the `oh x oh` block at
/// offset `extra`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    /// Input channels.
    pub c_in: usize,
    /// Input side.
    pub h: usize,
    /// Kernel side.
    pub k: usize,
    /// Stride (1 or 2).
    pub s: usize,
    /// Output channels.
    pub c_out: usize,
    /// Output side.
    pub oh: usize,
    /// Side of one parity class grid (`h / s`).
    pub hp: usize,
    /// `ceil(k / s) - 1`: how far a class tap reaches.
    pub extra: usize,
    /// Side of the full correlation (`hp + extra`).
    pub f: usize,
}

impl ConvGeometry {
    /// The geometry of a convolution over a `h x h` input.
    pub fn new(c: &Conv2d, h: usize) -> Result<Self, ModelError> {
        if !(1..=2).contains(&c.stride) || !h.is_multiple_of(c.stride) || c.kernel > h {
            return Err(Unsupported::Stride {
                stride: c.stride,
                h,
            }
            .into());
        }
        let hp = h / c.stride;
        let extra = c.kernel.div_ceil(c.stride) - 1;
        Ok(ConvGeometry {
            c_in: c.in_channels,
            h,
            k: c.kernel,
            s: c.stride,
            c_out: c.out_channels,
            oh: (h - c.kernel) / c.stride + 1,
            hp,
            extra,
            f: hp + extra,
        })
    }

    /// Number of valid outputs (`c_out * oh * oh`).
    pub fn outputs(&self) -> usize {
        self.c_out * self.oh * self.oh
    }

    /// Number of full-correlation outputs (`c_out * f * f`).
    pub fn full_outputs(&self) -> usize {
        self.c_out * self.f * self.f
    }

    /// The parity classes `(c, p, q)` of the input, in the order the circuit streams them.
    pub fn classes(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..self.c_in)
            .flat_map(move |c| (0..self.s).flat_map(move |p| (0..self.s).map(move |q| (c, p, q))))
    }

    /// The class taps `(a', b')` present for parity `(p, q)`, with `a' = extra - a` (the shift
    /// of the class polynomial) and the kernel position `(ky, kx)` they stand for.
    pub fn taps(&self, p: usize, q: usize) -> Vec<(usize, usize, usize, usize)> {
        let mut out = Vec::new();
        for a2 in 0..=self.extra {
            for b2 in 0..=self.extra {
                let (ky, kx) = (
                    self.s * (self.extra - a2) + p,
                    self.s * (self.extra - b2) + q,
                );
                if ky < self.k && kx < self.k {
                    out.push((a2, b2, ky, kx));
                }
            }
        }
        out
    }

    /// Index of input `(c, y, x)` in CHW order.
    pub fn input_index(&self, c: usize, y: usize, x: usize) -> usize {
        (c * self.h + y) * self.h + x
    }
}

/// The convolutions of a model, in order, with their geometry; the remaining layers must be a
/// single dense layer producing the logits (the shape the circuit proves).
pub fn conv_geometries(spec: &ModelSpec) -> Result<Vec<ConvGeometry>, ModelError> {
    let shapes = spec.shapes()?;
    let mut out = Vec::new();
    for (i, (layer, shape)) in spec.layers.iter().zip(&shapes).enumerate() {
        match layer {
            Layer::Conv2d(c) => {
                if shape.h != shape.w {
                    return Err(Unsupported::NotSquare.into());
                }
                out.push(ConvGeometry::new(c, shape.h)?);
            }
            Layer::Dense(d) if i + 1 == spec.layers.len() && d.requant.is_none() => {}
            Layer::Dense(_) => {
                return Err(Unsupported::HiddenDense.into());
            }
        }
    }
    if out.is_empty() {
        return Err(Unsupported::NoConvolution.into());
    }
    Ok(out)
}
