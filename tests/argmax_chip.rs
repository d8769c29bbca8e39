//! The argmax chip alone: the first maximum wins, a tied later index or any smaller logit is
//! rejected, also with negative logits and extreme values.

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Instance};
use halo2curves::bn256::Fr;
use zkmnist::circuit::argmax::{ArgmaxChip, ArgmaxConfig, ArgmaxInstructions};
use zkmnist::circuit::table::{TableChip, TableConfig, table_rows};
use zkmnist::circuit::{LANES, Wire};
use zkmnist::field::fe;

#[derive(Clone, Default)]
struct ArgmaxCircuit {
    logits: Vec<i64>,
    claimed: usize,
}

impl Circuit<Fr> for ArgmaxCircuit {
    type Config = (ArgmaxConfig, TableConfig, Column<Advice>, Column<Instance>);
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        Self::default()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> Self::Config {
        let lanes: [Column<Advice>; LANES] = std::array::from_fn(|_| meta.advice_column());
        let acc = meta.advice_column();
        let (a, b) = (meta.advice_column(), meta.advice_column());
        let (index, tag) = (meta.fixed_column(), meta.fixed_column());
        let instance = meta.instance_column();
        for c in lanes.iter().chain([&acc, &a, &b]) {
            meta.enable_equality(*c);
        }
        meta.enable_equality(instance);
        let table = TableChip::configure(meta, a, b, tag);
        (
            ArgmaxChip::configure(meta, lanes, acc, index),
            table,
            lanes[8],
            instance,
        )
    }

    fn synthesize(
        &self,
        (argmax, table, free, instance): Self::Config,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        let table = TableChip::construct(table);
        table.load(&mut layouter, &table_rows(&[]))?;
        let chip = ArgmaxChip::construct(argmax);
        let digit = layouter.assign_region(
            || "argmax",
            |mut region| {
                // Logits in free lane cells below the argmax rows.
                let logits: Vec<Wire> = self
                    .logits
                    .iter()
                    .enumerate()
                    .map(|(i, l)| Wire::assign(&mut region, free, 100 + i, Value::known(fe(*l))))
                    .collect();
                let (mut lane_row, mut lookup_row) = (0, 0);
                chip.argmax(
                    &mut region,
                    &table,
                    &mut lane_row,
                    &mut lookup_row,
                    &logits,
                    Value::known(self.logits.clone()),
                    Value::known(self.claimed),
                )
            },
        )?;
        layouter.constrain_instance(digit.cell, instance, 0);
        Ok(())
    }
}

fn accepts(logits: &[i64], claimed: usize) -> bool {
    let c = ArgmaxCircuit {
        logits: logits.to_vec(),
        claimed,
    };
    MockProver::run(9, &c, vec![vec![Fr::from(claimed as u64)]])
        .unwrap()
        .verify()
        .is_ok()
}

#[test]
fn first_maximum_wins_and_nothing_else_passes() {
    let cases: [[i64; 10]; 4] = [
        [5, 9, 3, 9, 1, 0, -4, 2, 9, 8],
        [-7, -3, -3, -9, -100, -5, -3, -8, -6, -4],
        [0; 10],
        [-777_773, 466_873, -1, 466_873, 0, 1, 2, 3, 4, 5],
    ];
    for logits in cases {
        let first = zkmnist::model::reference::argmax(&logits).unwrap();
        assert!(
            accepts(&logits, first),
            "{logits:?}: the first maximum {first} was rejected"
        );
        for d in (0..10).filter(|d| *d != first) {
            assert!(
                !accepts(&logits, d),
                "{logits:?}: digit {d} accepted instead of {first}"
            );
        }
    }
}
