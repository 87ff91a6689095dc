//! The Merkle tree a host builds over one batch's call records; its root goes
//! on chain with `record_inference`, so any single call can later be proven
//! against the root in the `InferenceRecorded` event.
//!
//! Leaves and inner nodes are hashed with different domain prefixes, so a
//! leaf can never be passed off as an inner node or the other way round. An
//! odd node at the end of a level is promoted unchanged to the next level.

use model_ledger::state::AttributionEntry;
use sha2::{Digest, Sha256};

const LEAF_DOMAIN: &[u8] = b"model-ledger/call-leaf/v1";
const NODE_DOMAIN: &[u8] = b"model-ledger/call-node/v1";

/// One inference call as the host recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    pub request_hash: [u8; 32],
    pub output_hash: [u8; 32],
    /// Which contributions this call used, by weight.
    pub attribution: Vec<AttributionEntry>,
}

impl CallRecord {
    /// The record's leaf hash.
    ///
    /// ```
    /// use model_ledger_sdk::merkle::CallRecord;
    /// let call = CallRecord { request_hash: [1; 32], output_hash: [2; 32], attribution: vec![] };
    /// let mut other = call.clone();
    /// other.output_hash[0] ^= 1;
    /// assert_ne!(call.leaf(), other.leaf());
    /// ```
    pub fn leaf(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(LEAF_DOMAIN);
        hasher.update(self.request_hash);
        hasher.update(self.output_hash);
        hasher.update((self.attribution.len() as u32).to_le_bytes());
        for entry in &self.attribution {
            hasher.update(entry.index.to_le_bytes());
            hasher.update(entry.weight.to_le_bytes());
        }
        hasher.finalize().into()
    }
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(NODE_DOMAIN);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// One step of a proof: the sibling hash and on which side it sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofStep {
    pub sibling: [u8; 32],
    pub sibling_is_left: bool,
}

/// All levels of the tree, leaves first.
#[derive(Clone, Debug)]
pub struct CallTree {
    levels: Vec<Vec<[u8; 32]>>,
}

impl CallTree {
    /// Builds the tree over `calls` (at least one).
    ///
    /// ```
    /// use model_ledger_sdk::merkle::{verify, CallRecord, CallTree};
    /// let calls: Vec<CallRecord> = (0u8..5)
    ///     .map(|i| CallRecord { request_hash: [i; 32], output_hash: [i + 1; 32], attribution: vec![] })
    ///     .collect();
    /// let tree = CallTree::new(&calls);
    /// let proof = tree.proof(3);
    /// assert!(verify(&tree.root(), &calls[3], &proof));
    /// assert!(!verify(&tree.root(), &calls[2], &proof));
    /// ```
    pub fn new(calls: &[CallRecord]) -> Self {
        assert!(!calls.is_empty(), "a batch has at least one call");
        let mut levels = vec![calls.iter().map(CallRecord::leaf).collect::<Vec<_>>()];
        while levels.last().is_some_and(|level| level.len() > 1) {
            let below = levels.last().expect("non-empty");
            let above = below
                .chunks(2)
                .map(|pair| match pair {
                    [left, right] => node(left, right),
                    [single] => *single,
                    _ => unreachable!("chunks(2)"),
                })
                .collect();
            levels.push(above);
        }
        Self { levels }
    }

    pub fn root(&self) -> [u8; 32] {
        self.levels.last().expect("non-empty")[0]
    }

    /// The proof that call `index` is in the tree.
    pub fn proof(&self, mut index: usize) -> Vec<ProofStep> {
        let mut steps = Vec::new();
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = index ^ 1;
            if let Some(hash) = level.get(sibling) {
                steps.push(ProofStep {
                    sibling: *hash,
                    sibling_is_left: sibling < index,
                });
            }
            index /= 2;
        }
        steps
    }
}

/// Whether `call` with `proof` hashes up to `root`.
pub fn verify(root: &[u8; 32], call: &CallRecord, proof: &[ProofStep]) -> bool {
    let mut hash = call.leaf();
    for step in proof {
        hash = if step.sibling_is_left {
            node(&step.sibling, &hash)
        } else {
            node(&hash, &step.sibling)
        };
    }
    hash == *root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(count: u8) -> Vec<CallRecord> {
        (0..count)
            .map(|i| CallRecord {
                request_hash: [i; 32],
                output_hash: [i.wrapping_mul(7); 32],
                attribution: vec![AttributionEntry {
                    index: u32::from(i % 3),
                    weight: 1,
                }],
            })
            .collect()
    }

    #[test]
    fn every_call_of_every_tree_size_proves_and_no_other_does() {
        for size in 1..=17u8 {
            let calls = calls(size);
            let tree = CallTree::new(&calls);
            for (index, call) in calls.iter().enumerate() {
                let proof = tree.proof(index);
                assert!(
                    verify(&tree.root(), call, &proof),
                    "size {size} index {index}"
                );
                let mut forged = call.clone();
                forged.attribution[0].weight += 1;
                assert!(!verify(&tree.root(), &forged, &proof));
            }
        }
    }

    #[test]
    fn a_leaf_cannot_pose_as_an_inner_node() {
        let calls = calls(2);
        let tree = CallTree::new(&calls);
        assert_ne!(tree.root(), calls[0].leaf());
        assert_ne!(
            node(&calls[0].leaf(), &calls[1].leaf()),
            CallTree::new(&calls[..1]).root()
        );
    }
}
