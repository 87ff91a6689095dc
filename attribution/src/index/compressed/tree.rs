//! The Huffman tree of a compressed shard's wavelet tree: four branches a
//! node, so a token's code has half the digits a binary code has bits, and
//! an LF step reads half the lines (one cache miss each).

use std::{cmp::Reverse, collections::BinaryHeap};

use super::{LEAF, NO_CHILD};
use crate::tokenizer::SEPARATOR;

/// Branches a node has at most: a digit is two bits.
pub(super) const BRANCHES: usize = 4;

/// The Huffman tree of a shard's tokens, derived from its counts alone, so
/// a build and an open derive the same one.
pub(crate) struct Tree {
    pub(super) nodes: Vec<Node>,
    /// Per token: its code (digit k, bits 2k and 2k + 1, is the branch
    /// taken at depth k) and its length in digits; length 0 for a token
    /// the shard does not hold.
    pub(super) codes: Vec<(u64, u8)>,
    /// Digits in all the nodes.
    pub(super) digits: u64,
}

pub(super) struct Node {
    /// Where its digits start among all the nodes' digits.
    pub(super) start: u64,
    /// Of each digit, how many come before `start` (set when the file is
    /// opened).
    pub(super) before: [u64; BRANCHES],
    /// [`NO_CHILD`] past the node's branches: only the first node merged
    /// may have fewer than four.
    pub(super) children: [u32; BRANCHES],
}

impl Tree {
    /// Huffman over `weights` (one per token; ties by the lower token, then
    /// by the earlier node): deterministic. `None` if a code would be
    /// longer than 32 digits or there are fewer than two tokens.
    pub(crate) fn new(weights: &[u64]) -> Option<Self> {
        let mut heap: BinaryHeap<Reverse<(u64, u32, u32)>> = weights
            .iter()
            .enumerate()
            .filter(|(_, weight)| **weight > 0)
            .map(|(token, weight)| Reverse((*weight, token as u32, token as u32 | LEAF)))
            .collect();
        if heap.len() < 2 {
            return None;
        }
        // Every merge but the first takes four: the first takes what leaves
        // a number of nodes that fours merge down to one.
        let mut take = 2 + (heap.len() - 2) % 3;
        let mut nodes = Vec::with_capacity(heap.len() / 3 + 1);
        let mut digits = 0u64;
        loop {
            let mut children = [NO_CHILD; BRANCHES];
            let mut weight = 0u64;
            for child in children.iter_mut().take(take) {
                let Some(Reverse((child_weight, _, id))) = heap.pop() else {
                    break;
                };
                weight += child_weight;
                *child = id;
            }
            let id = nodes.len() as u32;
            nodes.push(Node {
                start: digits,
                before: [0; BRANCHES],
                children,
            });
            digits += weight;
            if heap.is_empty() {
                break;
            }
            heap.push(Reverse((weight, weights.len() as u32 + id, id)));
            take = BRANCHES;
        }
        let mut codes = vec![(0u64, 0u8); weights.len()];
        let mut stack = vec![(nodes.len() as u32 - 1, 0u64, 0u8)];
        while let Some((node, code, length)) = stack.pop() {
            if length >= 32 {
                return None;
            }
            for (branch, child) in nodes[node as usize].children.iter().enumerate() {
                let code = code | (branch as u64) << (2 * length);
                match *child {
                    NO_CHILD => {}
                    child if child & LEAF == 0 => stack.push((child, code, length + 1)),
                    child => codes[(child & !LEAF) as usize] = (code, length + 1),
                }
            }
        }
        Some(Self {
            nodes,
            codes,
            digits,
        })
    }

    pub(super) fn root(&self) -> usize {
        self.nodes.len() - 1
    }
}

/// The weights the tree is built on: the shard's counts, with the
/// separator counted once more for the row without a preceding token.
pub(crate) fn tree_weights(counts: &[u64]) -> Vec<u64> {
    let mut weights = counts.to_vec();
    weights[usize::from(SEPARATOR)] += 1;
    weights
}
