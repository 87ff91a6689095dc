//! Reading a compressed shard's lines: the wavelet tree's digits and the
//! marks' bits, each with its rank, one cache line a read.

use super::Compressed;

/// A line of marks is one cache line: the ones before it, then 448 bits.
const LINE_BITS: u64 = 448;
pub(super) const LINE_BYTES: usize = 64;
/// A line of the tree is one cache line: how many of digits 1, 2 and 3
/// came since its superblock began (21 bits each), then 224 digits.
pub(super) const LINE_DIGITS: u64 = 224;
/// Lines a superblock, whose counts are kept whole: 1 835 008 digits,
/// under the 2^21 a line's counts hold. The superblocks' counts are a
/// few KiB and stay in cache, where a line's counts in 64 bits each
/// would leave it 160 digits, not 224.
pub(super) const SUPER_LINES: u64 = 8192;
pub(super) const LINE_COUNT_BITS: u64 = 21;
/// Each two-bit slot's low bit.
const LOW_BITS: u64 = 0x5555_5555_5555_5555;

pub(super) fn lines(bits: u64) -> usize {
    bits.div_ceil(LINE_BITS) as usize
}

pub(super) fn tree_lines(digits: u64) -> usize {
    digits.div_ceil(LINE_DIGITS) as usize
}

pub(super) fn superblocks(digits: u64) -> usize {
    (tree_lines(digits) as u64).div_ceil(SUPER_LINES) as usize
}

/// The low bit of each of `word`'s 32 two-bit slots that holds `digit`.
pub(super) fn slots_equal(word: u64, digit: u64) -> u64 {
    let differ = word ^ digit.wrapping_mul(LOW_BITS);
    !(differ | differ >> 1) & LOW_BITS
}

/// The little-endian word at `byte` of `map`, 0 past its end.
pub(super) fn word_at(map: &[u8], byte: usize) -> u64 {
    map.get(byte..byte.saturating_add(8)).map_or(0, |word| {
        u64::from_le_bytes(word.try_into().expect("8 bytes"))
    })
}

impl Compressed {
    /// The word at `byte` (0 past the end: a damaged file reads wrong
    /// but never out of bounds).
    fn word(&self, byte: usize) -> u64 {
        word_at(&self.map, byte)
    }

    /// How many of the tree's digits [0, i) equal `digit`.
    pub(super) fn rank(&self, i: u64, digit: u64) -> u64 {
        let (line, within) = self.tree_line(i);
        self.rank_in_line(line, i / LINE_DIGITS, within, digit)
    }

    /// The byte where the line holding digit `i` starts, and where in the
    /// line the digit is.
    fn tree_line(&self, i: u64) -> (usize, u64) {
        let line = (i / LINE_DIGITS)
            .saturating_mul(LINE_BYTES as u64)
            .saturating_add(self.layout.tree as u64) as usize;
        (line, i % LINE_DIGITS)
    }

    /// Digit `i` of the tree, and how many digits before it equal it: one
    /// line read.
    pub(super) fn digit_and_rank(&self, i: u64) -> (u64, u64) {
        let (line, within) = self.tree_line(i);
        let word = self.word(line.saturating_add(8 + 8 * (within / 32) as usize));
        let digit = word >> (2 * (within % 32)) & 3;
        (
            digit,
            self.rank_in_line(line, i / LINE_DIGITS, within, digit),
        )
    }

    /// How many of the digits before the `within`-th of line `number`
    /// (at byte `line`) equal `digit`: its superblock's count, the line's,
    /// and those in the line before it.
    ///
    /// A forged file's counts may be anything: they wrap and saturate,
    /// and read wrong rather than panic.
    fn rank_in_line(&self, line: usize, number: u64, within: u64, digit: u64) -> u64 {
        let superblock = (number / SUPER_LINES) as usize;
        let mut count = self
            .supers
            .get(superblock)
            .map_or(0, |counts| counts[digit as usize]);
        let counts = self.word(line);
        let field =
            |digit: u64| counts >> (LINE_COUNT_BITS * (digit - 1)) & ((1 << LINE_COUNT_BITS) - 1);
        count = count.wrapping_add(match digit {
            0 => ((number % SUPER_LINES) * LINE_DIGITS)
                .wrapping_sub(field(1))
                .wrapping_sub(field(2))
                .wrapping_sub(field(3)),
            digit => field(digit),
        });
        let full = (within / 32) as usize;
        // Matches sit on even bits: two words' share one count (the
        // baseline x86-64 target counts bits in a dozen instructions).
        let mut pair = 0u64;
        for k in 0..=full {
            let mut equal = slots_equal(self.word(line.saturating_add(8 + 8 * k)), digit);
            if k == full {
                equal &= (1u64 << (2 * (within % 32))).wrapping_sub(1);
            }
            match k % 2 {
                0 => pair = equal,
                _ => {
                    count = count.wrapping_add(u64::from((pair | equal << 1).count_ones()));
                    pair = 0;
                }
            }
        }
        count.wrapping_add(u64::from(pair.count_ones()))
    }

    /// Bit `i` of the bits at `base`, and the ones before it: one line read.
    ///
    /// A forged file's counts and positions may be anything: they wrap
    /// and saturate, and read wrong rather than panic.
    pub(super) fn bit_and_rank1(&self, base: usize, i: u64) -> (bool, u64) {
        let line = (i / LINE_BITS)
            .saturating_mul(LINE_BYTES as u64)
            .saturating_add(base as u64) as usize;
        let within = i % LINE_BITS;
        let mut ones = self.word(line);
        let full = (within / 64) as usize;
        for k in 0..full {
            ones = ones.wrapping_add(u64::from(
                self.word(line.saturating_add(8 + 8 * k)).count_ones(),
            ));
        }
        let word = self.word(line.saturating_add(8 + 8 * full));
        let rest = within % 64;
        ones = ones.wrapping_add(u64::from((word & ((1u64 << rest) - 1)).count_ones()));
        (word >> rest & 1 == 1, ones)
    }

    /// Entry `k` of the table of u32s at `section` (0 past the file's end:
    /// a damaged file reads wrong but never out of bounds).
    pub(super) fn entry(&self, section: usize, k: u64) -> u64 {
        let byte = (k as usize).saturating_mul(4).saturating_add(section);
        self.map
            .get(byte..byte.saturating_add(4))
            .map_or(0, |word| {
                u64::from(u32::from_le_bytes(word.try_into().expect("4 bytes")))
            })
    }
}
