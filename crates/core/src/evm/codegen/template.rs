//! The contract's text: the transcript as Yul, the memory map, and `templates/Halo2Verifier.sol`
//! (askama) filled with the numbers and code the other modules computed.

use super::dag::Code;
use super::layout::{Layout, Step};
use askama::Template;

/// Values the template lays out.
#[derive(Template)]
#[template(path = "Halo2Verifier.sol", escape = "none")]
pub(super) struct Halo2VerifierTemplate {
    pub(super) calldata_len: usize,
    pub(super) num_instances: usize,
    pub(super) vk_digest: String,
    pub(super) constants: Vec<(String, String)>,
    pub(super) memory: Vec<(String, usize)>,
    pub(super) buffer_size: usize,
    pub(super) points: Vec<usize>,
    pub(super) scalars: Vec<usize>,
    pub(super) transcript: Vec<String>,
    pub(super) denominators: Vec<String>,
    pub(super) inversion: Vec<String>,
    pub(super) arithmetic: Vec<String>,
    pub(super) msm: Vec<String>,
    pub(super) w_prime: usize,
    pub(super) g2: [String; 4],
    pub(super) neg_s_g2: [String; 4],
}

/// The transcript as Yul (the buffer holds the last hash at 0x00, then what is absorbed) and
/// the buffer's size.
pub(super) fn transcript(layout: &Layout) -> (Vec<String>, usize) {
    let mut transcript = Vec::new();
    let mut len = 0x20; // the verifying key's digest at 0x00
    let mut buffer_size = 0x20;
    for step in &layout.steps {
        match step {
            Step::Absorb { offset, len: l } => {
                transcript.push(format!("calldatacopy({len:#x}, {offset:#x}, {l:#x})"));
                len += l;
                buffer_size = buffer_size.max(len);
            }
            Step::Squeeze(slot) if len == 0x20 => {
                // Only the previous hash: a 0x01 byte keeps consecutive challenges apart.
                transcript.push(format!("mstore8(0x20, 1) mstore({slot}, squeeze(0x21))"));
            }
            Step::Squeeze(slot) => {
                transcript.push(format!("mstore({slot}, squeeze({len:#x}))"));
                len = 0x20;
            }
        }
    }
    // The buffer also serves the elliptic-curve and pairing inputs (0x180 bytes).
    let buffer_size = (buffer_size + 0x20).max(0x1a0).next_multiple_of(0x20);
    (transcript, buffer_size)
}

/// The memory map: the transcript buffer, then the named slots, the temporaries and the
/// inversion's scratch.
pub(super) fn memory(code: &Code, buffer_size: usize) -> Vec<(String, usize)> {
    let mut memory: Vec<(String, usize)> = code
        .slots
        .iter()
        .enumerate()
        .map(|(i, name)| (name.clone(), buffer_size + 0x20 * i))
        .collect();
    let temps_at = buffer_size + 0x20 * code.slots.len();
    memory.extend((0..code.temps).map(|t| (format!("T{t}"), temps_at + 0x20 * t)));
    // Scratch for the inversion (six words, then the batch's running products).
    memory.push(("SCRATCH".into(), temps_at + 0x20 * code.temps));
    memory
}
