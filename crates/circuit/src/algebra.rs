//! Phase-2 arithmetic on copied cells, in the algebra rows: the sums and products that turn
//! the chains' results into the Freivalds identities.
//!
//! | gate                 | row t                                      |
//! |----------------------|--------------------------------------------|
//! | algebra              | `h[t] = h[t+1] + q[t] g[t]`                |
//! | public (row 0)       | `q = z`, `g = 1`, `h = 0`                  |
//!
//! Operands are copied into `q` and `g`; a chain of `n` rows ends with a gap row whose `h` is
//! copy-constrained to the zero cell, so the chain's top `h` is exactly `sum q g`. Row 0
//! provides the cells `z`, 1 and 0 every other part copies from.

use super::Wire;
use super::rows::{Columns, RowKinds};
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::plonk::{Advice, Column, Error};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use std::collections::BTreeMap;
use std::ops::Range;

/// The cells `z`, 1 and 0.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Constants {
    /// The challenge.
    pub z: Wire,
    /// One.
    pub one: Wire,
    /// Zero.
    pub zero: Wire,
}

/// Allocates rows of the algebra region and fills them.
pub(crate) struct Algebra<'a> {
    cols: Columns,
    kinds: &'a RowKinds,
    rows: Range<usize>,
    constants: Option<Constants>,
    powers: BTreeMap<usize, Wire>,
}

impl<'a> Algebra<'a> {
    /// An allocator over `rows`.
    pub fn new(cols: Columns, kinds: &'a RowKinds, rows: Range<usize>) -> Self {
        Algebra {
            cols,
            kinds,
            rows,
            constants: None,
            powers: BTreeMap::new(),
        }
    }

    /// Takes `n` consecutive rows.
    pub fn take(&mut self, n: usize) -> Result<usize, Error> {
        let start = self.rows.start;
        if start + n > self.rows.end {
            return Err(Error::NotEnoughRowsAvailable { current_k: 12 });
        }
        self.rows.start += n;
        Ok(start)
    }

    fn copy_in(&self, region: &mut Region<Fr>, col: Column<Advice>, row: usize, w: &Wire) {
        let cell = region.assign_advice(col, row, w.value).cell();
        region.constrain_equal(cell, w.cell);
    }

    /// Phase 2: the constants on the public rows (their gate constrains them).
    pub(crate) fn assign_constants(
        &mut self,
        region: &mut Region<Fr>,
        z: Value<Fr>,
    ) -> Result<Constants, Error> {
        for row in 1..super::plan::PUBLIC_ROWS {
            region.assign_advice(self.cols.q, row, z);
            region.assign_advice(self.cols.g, row, Value::known(Fr::ONE));
            region.assign_advice(self.cols.h, row, Value::known(Fr::ZERO));
        }
        let row = 0;
        let c = Constants {
            z: Wire::assign(region, self.cols.q, row, z),
            one: Wire::assign(region, self.cols.g, row, Value::known(Fr::ONE)),
            zero: Wire::assign(region, self.cols.h, row, Value::known(Fr::ZERO)),
        };
        self.powers.insert(0, c.one);
        self.powers.insert(1, c.z);
        self.constants = Some(c);
        Ok(c)
    }

    /// The constants (after [`Algebra::assign_constants`]).
    pub fn constants(&self) -> Result<Constants, Error> {
        self.constants.ok_or(Error::Synthesis)
    }

    /// Constrains `cells` to zero.
    pub(crate) fn zero_all(&self, region: &mut Region<Fr>, cells: &[Cell]) -> Result<(), Error> {
        let zero = self.constants()?.zero.cell;
        for c in cells {
            region.constrain_equal(*c, zero);
        }
        Ok(())
    }

    /// `sum_i xs[i] * ys[i]`.
    pub fn dot(
        &mut self,
        region: &mut Region<Fr>,
        xs: &[Wire],
        ys: &[Wire],
    ) -> Result<Wire, Error> {
        let n = xs.len();
        let zero = self.constants()?.zero;
        let start = self.take(n + 1)?;
        let mut below = Value::known(Fr::ZERO);
        let mut top = None;
        for i in (0..n).rev() {
            let row = start + i;
            self.kinds.algebra.enable(region, row)?;
            self.copy_in(region, self.cols.q, row, &xs[i]);
            self.copy_in(region, self.cols.g, row, &ys[i]);
            let v = below + xs[i].value * ys[i].value;
            top = Some(Wire::assign(region, self.cols.h, row, v));
            below = v;
        }
        let gap = region
            .assign_advice(self.cols.h, start + n, Value::known(Fr::ZERO))
            .cell();
        region.constrain_equal(gap, zero.cell);
        top.ok_or(Error::Synthesis)
    }

    /// `x * y`.
    pub fn mul(&mut self, region: &mut Region<Fr>, x: Wire, y: Wire) -> Result<Wire, Error> {
        self.dot(region, &[x], &[y])
    }

    /// `sum_{i<n} r^i = (rn - 1) / (r - 1)` for `rn = r^n`, as a cell `e` with
    /// `r e + 1 = e + rn` (which determines `e` whenever `r != 1`).
    pub(crate) fn geometric(
        &mut self,
        region: &mut Region<Fr>,
        r: Wire,
        rn: Wire,
    ) -> Result<Wire, Error> {
        let one = self.constants()?.one;
        let row = self.take(1)?;
        let v = r.value.zip(rn.value).map(|(r, rn)| {
            (rn - Fr::ONE) * Option::<Fr>::from((r - Fr::ONE).invert()).unwrap_or(Fr::ZERO)
        });
        let e = Wire::assign(region, self.cols.g, row, v);
        let left = self.dot(region, &[r, one], &[e, one])?;
        let right = self.dot(region, &[e, rn], &[one, one])?;
        region.constrain_equal(left.cell, right.cell);
        Ok(e)
    }

    /// Makes `w`, a cell equal to `z^e`, available to [`Algebra::power`].
    pub(crate) fn add_power(&mut self, e: usize, w: Wire) {
        self.powers.entry(e).or_insert(w);
    }

    /// `z^e` (results reused): one product of two known powers if there are two that add up
    /// to `e`, else a square or a product with the largest known power that leaves an even
    /// rest.
    pub fn power(&mut self, region: &mut Region<Fr>, e: usize) -> Result<Wire, Error> {
        if let Some(w) = self.powers.get(&e) {
            return Ok(*w);
        }
        let pair = self
            .powers
            .range(1..e)
            .rev()
            .map(|(&k, _)| k)
            .find(|k| self.powers.contains_key(&(e - k)));
        let (x, y) = match pair {
            Some(k) => (k, e - k),
            None if e.is_multiple_of(2) => (e / 2, e / 2),
            None => {
                let k = self
                    .powers
                    .range(1..e)
                    .rev()
                    .map(|(&k, _)| k)
                    .find(|k| (e - k).is_multiple_of(2))
                    .ok_or(Error::Synthesis)?;
                (k, e - k)
            }
        };
        let x = self.power(region, x)?;
        let y = self.power(region, y)?;
        let w = self.mul(region, x, y)?;
        self.powers.insert(e, w);
        Ok(w)
    }
}
