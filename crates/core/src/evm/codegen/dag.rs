//! The verifier's arithmetic as a hash-consed graph ([`Dag`]) and the straight-line Yul that
//! computes it into named memory slots ([`Code`]).

use super::hex_u256;
use crate::evm::EvmError;
use halo2_proofs::plonk::{Any, Column, Expression};
use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField};
use std::collections::HashMap;

/// A node of the verifier's arithmetic (an index into [`Dag::ops`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct N(pub(super) usize);

/// An operation mod `R`. Nodes are hash-consed: an expression built twice is one node, so every
/// shared subexpression (a compressed selector, a challenge's power) is computed once.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Op {
    Const([u8; 32]),
    /// A Yul expression read once: `calldataload(..)` or `mload(..)` of a slot written before.
    Leaf(String),
    Add(N, N),
    Mul(N, N),
    Neg(N),
}

/// The arithmetic of one straight-line section, folded as it is built.
#[derive(Default)]
pub(super) struct Dag {
    pub(super) ops: Vec<Op>,
    index: HashMap<Op, N>,
}

impl Dag {
    pub(super) fn intern(&mut self, op: Op) -> N {
        if let Some(n) = self.index.get(&op) {
            return *n;
        }
        let n = N(self.ops.len());
        self.ops.push(op.clone());
        self.index.insert(op, n);
        n
    }

    pub(super) fn konst(&mut self, v: Fr) -> N {
        self.intern(Op::Const(v.to_repr()))
    }

    pub(super) fn int(&mut self, v: u64) -> N {
        self.konst(Fr::from(v))
    }

    pub(super) fn value(&self, n: N) -> Option<Fr> {
        match &self.ops[n.0] {
            Op::Const(b) => Option::from(Fr::from_repr(*b)),
            _ => None,
        }
    }

    pub(super) fn leaf(&mut self, s: impl Into<String>) -> N {
        self.intern(Op::Leaf(s.into()))
    }

    pub(super) fn cd(&mut self, off: usize) -> N {
        self.leaf(format!("calldataload({off:#x})"))
    }

    pub(super) fn mem(&mut self, name: &str) -> N {
        self.leaf(format!("mload({name})"))
    }

    pub(super) fn add(&mut self, a: N, b: N) -> N {
        match (self.value(a), self.value(b)) {
            (Some(x), Some(y)) => self.konst(x + y),
            (Some(x), _) if bool::from(x.is_zero()) => b,
            (_, Some(y)) if bool::from(y.is_zero()) => a,
            _ => self.intern(Op::Add(a.min(b), a.max(b))),
        }
    }

    pub(super) fn mul(&mut self, a: N, b: N) -> N {
        match (self.value(a), self.value(b)) {
            (Some(x), Some(y)) => self.konst(x * y),
            (Some(x), _) | (_, Some(x)) if bool::from(x.is_zero()) => self.int(0),
            (Some(x), _) if x == Fr::ONE => b,
            (_, Some(y)) if y == Fr::ONE => a,
            _ => self.intern(Op::Mul(a.min(b), a.max(b))),
        }
    }

    pub(super) fn neg(&mut self, a: N) -> N {
        if let Some(x) = self.value(a) {
            return self.konst(-x);
        }
        match self.ops[a.0] {
            Op::Neg(inner) => inner,
            _ => self.intern(Op::Neg(a)),
        }
    }

    pub(super) fn sub(&mut self, a: N, b: N) -> N {
        let nb = self.neg(b);
        self.add(a, nb)
    }

    pub(super) fn product(&mut self, items: impl IntoIterator<Item = N>) -> N {
        let one = self.int(1);
        items.into_iter().fold(one, |acc, x| self.mul(acc, x))
    }

    pub(super) fn pow(&mut self, a: N, e: u64) -> N {
        match e {
            0 => self.int(1),
            1 => a,
            _ if e.is_multiple_of(2) => {
                let h = self.pow(a, e / 2);
                self.mul(h, h)
            }
            _ => {
                let p = self.pow(a, e - 1);
                self.mul(p, a)
            }
        }
    }

    /// A halo2 expression at `x`, given the evaluations of the queried columns.
    pub(super) fn expr(&mut self, e: &Expression<Fr>, ev: &Evals) -> Result<N, EvmError> {
        let unknown = |what: &str| EvmError::UnsupportedKey(format!("unknown {what} query"));
        Ok(match e {
            Expression::Constant(c) => self.konst(*c),
            Expression::Selector(_) => {
                return Err(EvmError::UnsupportedKey(
                    "selectors must be compressed into fixed columns".into(),
                ));
            }
            Expression::Fixed(q) => *ev
                .fixed
                .get(&(q.column_index(), q.rotation().0))
                .ok_or_else(|| unknown("fixed"))?,
            Expression::Advice(q) => *ev
                .advice
                .get(&(q.column_index(), q.rotation().0))
                .ok_or_else(|| unknown("advice"))?,
            Expression::Instance(q) => {
                if q.rotation().0 != 0 || q.column_index() != 0 {
                    return Err(EvmError::UnsupportedKey(
                        "only instance column 0 at rotation 0 is supported".into(),
                    ));
                }
                ev.instance
            }
            Expression::Challenge(c) => *ev
                .challenges
                .get(c.index())
                .ok_or_else(|| unknown("challenge"))?,
            Expression::Negated(a) => {
                let a = self.expr(a, ev)?;
                self.neg(a)
            }
            Expression::Sum(a, b) => {
                let (a, b) = (self.expr(a, ev)?, self.expr(b, ev)?);
                self.add(a, b)
            }
            Expression::Product(a, b) => {
                let (a, b) = (self.expr(a, ev)?, self.expr(b, ev)?);
                self.mul(a, b)
            }
            Expression::Scaled(a, k) => {
                let a = self.expr(a, ev)?;
                let k = self.konst(*k);
                self.mul(a, k)
            }
        })
    }
}

/// Nesting beyond this is stored to memory (bounds the stack and keeps statements readable).
pub(super) const MAX_DEPTH: usize = 7;

/// Memory slots and the straight-line code that fills them.
#[derive(Default)]
pub(super) struct Code {
    pub(super) lines: Vec<String>,
    /// Named slots, in memory order.
    pub(super) slots: Vec<String>,
    /// Temporaries: how many exist, and which are free for reuse.
    pub(super) temps: usize,
    free: Vec<usize>,
}

impl Code {
    pub(super) fn slot(&mut self, name: impl Into<String>) -> String {
        let name = name.into();
        self.slots.push(name.clone());
        name
    }

    pub(super) fn line(&mut self, l: impl Into<String>) {
        self.lines.push(l.into());
    }

    pub(super) fn temp(&mut self) -> usize {
        self.free.pop().unwrap_or_else(|| {
            self.temps += 1;
            self.temps - 1
        })
    }

    /// Emits the code computing `outputs` (each stored to its named slot) from `dag`. A node used
    /// twice or nested too deep is stored to a temporary, freed after its last use.
    pub(super) fn emit(&mut self, dag: &Dag, outputs: &[(String, N)]) {
        let len = dag.ops.len();
        let mut uses = vec![0usize; len];
        let mut reached = vec![false; len];
        let mut stack: Vec<N> = outputs.iter().map(|(_, n)| *n).collect();
        for (_, n) in outputs {
            uses[n.0] += 1;
        }
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut reached[n.0], true) {
                continue;
            }
            let kids: Vec<N> = match dag.ops[n.0] {
                Op::Add(a, b) | Op::Mul(a, b) => vec![a, b],
                Op::Neg(a) => vec![a],
                _ => vec![],
            };
            for k in kids {
                uses[k.0] += 1;
                stack.push(k);
            }
        }
        let mut named: HashMap<N, &str> = HashMap::new();
        for (name, n) in outputs {
            named.entry(*n).or_insert(name);
        }
        // Per node: its Yul, its nesting depth, and the temporaries that Yul reads (a
        // temporary is freed once every line reading it is out).
        let mut repr: Vec<(String, usize)> = vec![(String::new(), 0); len];
        let mut refs: Vec<Vec<usize>> = vec![Vec::new(); len];
        let mut remaining: HashMap<usize, usize> = HashMap::new();
        for i in 0..len {
            if !reached[i] {
                continue;
            }
            let (s, depth, kids) = match &dag.ops[i] {
                Op::Const(b) => (hex_u256(b), 0, vec![]),
                Op::Leaf(s) => (s.clone(), 1, vec![]),
                Op::Add(a, b) | Op::Mul(a, b) => {
                    let f = if matches!(dag.ops[i], Op::Add(..)) {
                        "addmod"
                    } else {
                        "mulmod"
                    };
                    let ((sa, da), (sb, db)) = (&repr[a.0], &repr[b.0]);
                    (format!("{f}({sa}, {sb}, r)"), da.max(db) + 1, vec![*a, *b])
                }
                Op::Neg(a) => {
                    let (sa, da) = &repr[a.0];
                    (format!("sub(r, {sa})"), da + 1, vec![*a])
                }
            };
            let read: Vec<usize> = kids.iter().flat_map(|k| refs[k.0].clone()).collect();
            let computed = !kids.is_empty();
            let store = |code: &mut Code, remaining: &mut HashMap<usize, usize>, slot: String| {
                code.line(format!("mstore({slot}, {s})"));
                for t in &read {
                    let r = remaining.get_mut(t).expect("a live temporary");
                    *r -= 1;
                    if *r == 0 {
                        code.free.push(*t);
                    }
                }
            };
            if let Some(name) = named.get(&N(i)) {
                store(self, &mut remaining, (*name).to_string());
                repr[i] = (format!("mload({name})"), 1);
            } else if computed && (uses[i] > 1 || depth > MAX_DEPTH) {
                store(self, &mut remaining, "TMP".into());
                let t = self.temp();
                let l = self.lines.last_mut().expect("just stored");
                *l = l.replacen("mstore(TMP,", &format!("mstore(T{t},"), 1);
                remaining.insert(t, uses[i]);
                refs[i] = vec![t];
                repr[i] = (format!("mload(T{t})"), 1);
            } else {
                refs[i] = read;
                repr[i] = (s, depth);
            }
        }
        for (name, n) in outputs {
            if named.get(n) != Some(&name.as_str()) {
                self.line(format!("mstore({name}, {})", repr[n.0].0));
            }
        }
    }
}

/// Evaluations of the queried columns, the instance column and the challenges, as nodes.
pub(super) struct Evals {
    pub(super) advice: HashMap<(usize, i32), N>,
    pub(super) fixed: HashMap<(usize, i32), N>,
    pub(super) instance: N,
    pub(super) challenges: Vec<N>,
}

impl Evals {
    pub(super) fn column(&self, col: &Column<Any>) -> Result<N, EvmError> {
        let missing = || EvmError::UnsupportedKey(format!("no rotation-0 query of column {col:?}"));
        match col.column_type() {
            Any::Advice(_) => self
                .advice
                .get(&(col.index(), 0))
                .copied()
                .ok_or_else(missing),
            Any::Fixed => self
                .fixed
                .get(&(col.index(), 0))
                .copied()
                .ok_or_else(missing),
            Any::Instance => Ok(self.instance),
        }
    }
}
