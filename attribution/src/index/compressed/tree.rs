//! The Huffman tree of a compressed shard's wavelet tree.

use std::collections::BinaryHeap;

use super::LEAF;
use crate::tokenizer::SEPARATOR;

/// The Huffman tree of a shard's tokens, derived from its counts alone, so
/// a build and an open derive the same one.
pub(crate) struct Tree {
    pub(super) nodes: Vec<Node>,
    /// Per token: its code (bit k is the branch taken at depth k) and its
    /// length; length 0 for a token the shard does not hold.
    pub(super) codes: Vec<(u64, u8)>,
    /// Bits in all the nodes.
    pub(super) bits: u64,
}

pub(super) struct Node {
    /// Where its bits start among all the nodes' bits.
    pub(super) start: u64,
    /// Ones before `start` (set when the file is opened).
    pub(super) ones_before: u64,
    pub(super) children: [u32; 2],
}

impl Tree {
    /// Huffman over `weights` (one per token; ties by the lower token, then
    /// by the earlier node): deterministic. `None` if the code would be
    /// longer than 64 bits or there are fewer than two tokens.
    pub(crate) fn new(weights: &[u64]) -> Option<Self> {
        let mut heap: BinaryHeap<std::cmp::Reverse<(u64, u32, u32)>> = weights
            .iter()
            .enumerate()
            .filter(|(_, weight)| **weight > 0)
            .map(|(token, weight)| std::cmp::Reverse((*weight, token as u32, token as u32 | LEAF)))
            .collect();
        if heap.len() < 2 {
            return None;
        }
        let mut nodes = Vec::with_capacity(heap.len());
        let mut bits = 0u64;
        while let (Some(std::cmp::Reverse(a)), Some(std::cmp::Reverse(b))) =
            (heap.pop(), heap.pop())
        {
            let weight = a.0 + b.0;
            let id = nodes.len() as u32;
            nodes.push(Node {
                start: bits,
                ones_before: 0,
                children: [a.2, b.2],
            });
            bits += weight;
            if heap.is_empty() {
                break;
            }
            heap.push(std::cmp::Reverse((weight, weights.len() as u32 + id, id)));
        }
        let mut codes = vec![(0u64, 0u8); weights.len()];
        let mut stack = vec![(nodes.len() as u32 - 1, 0u64, 0u8)];
        while let Some((node, code, length)) = stack.pop() {
            if length >= 64 {
                return None;
            }
            for (branch, child) in nodes[node as usize].children.iter().enumerate() {
                let code = code | (branch as u64) << length;
                match child & LEAF {
                    0 => stack.push((*child, code, length + 1)),
                    _ => codes[(child & !LEAF) as usize] = (code, length + 1),
                }
            }
        }
        Some(Self { nodes, codes, bits })
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
