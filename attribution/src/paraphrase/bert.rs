//! A sentence encoder: all-MiniLM-L6-v2 (a 6-layer BERT, 384 wide), mean
//! pooled and normalized as sentence-transformers does, from its
//! `model.safetensors`.
//!
//! Written out rather than taken from a tensor library for one reason:
//! the same text must give the same embedding bits on every machine, since
//! embeddings decide which passages are paid. Every sum runs in one fixed
//! order (a matrix product accumulates each output over its inputs first to
//! last, so vector units change nothing), Rust never fuses a multiply and
//! an add, and `exp` and `erf` are computed here from IEEE operations
//! alone rather than by the platform's maths library, whose last bits
//! differ between systems.

use std::{collections::HashMap, path::Path};

use super::ParaphraseError;

const HIDDEN: usize = 384;
const HEADS: usize = 12;
const HEAD: usize = HIDDEN / HEADS;
const INTERMEDIATE: usize = 1536;
const LAYERS: usize = 6;
const POSITIONS: usize = 512;
const LAYER_NORM_EPSILON: f32 = 1e-12;
/// Dimension of an embedding.
pub const DIMENSION: usize = HIDDEN;

/// Outputs a dense layer computes together, held in registers.
const COLUMNS: usize = 16;

/// A dense layer. Its weight is stored in blocks of [`COLUMNS`] outputs,
/// each block's weights input by input (so a block streams from memory in
/// order), and the outputs left over input-major.
struct Dense {
    blocks: Vec<f32>,
    rest: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

struct LayerNorm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

struct Layer {
    query: Dense,
    key: Dense,
    value: Dense,
    attention_output: Dense,
    attention_norm: LayerNorm,
    intermediate: Dense,
    output: Dense,
    output_norm: LayerNorm,
}

pub struct Encoder {
    words: Vec<f32>,
    vocabulary: usize,
    positions: Vec<f32>,
    token_type: Vec<f32>,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
}

/// The tensors of a safetensors file: an 8-byte little-endian header
/// length, a JSON header naming each tensor's type, shape and byte range,
/// then the data.
struct Tensors {
    data: Vec<u8>,
    header_end: usize,
    entries: HashMap<String, TensorEntry>,
    path: std::path::PathBuf,
}

/// A tensor's type, shape and byte range after the header.
struct TensorEntry {
    dtype: String,
    shape: Vec<usize>,
    bytes: (usize, usize),
}

impl Tensors {
    fn read(path: &Path) -> Result<Self, ParaphraseError> {
        let bad = |reason: String| ParaphraseError::BadModel {
            path: path.to_path_buf(),
            reason,
        };
        let data = std::fs::read(path).map_err(|error| bad(error.to_string()))?;
        let length = data
            .get(..8)
            .map(|bytes| u64::from_le_bytes(bytes.try_into().expect("8 bytes")) as usize)
            .ok_or_else(|| bad("shorter than a safetensors header".into()))?;
        let header_end = 8usize
            .checked_add(length)
            .filter(|end| *end <= data.len())
            .ok_or_else(|| bad(format!("header of {length} bytes runs past the file")))?;
        let header: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&data[8..header_end])
                .map_err(|error| bad(format!("header: {error}")))?;
        let mut entries = HashMap::new();
        for (name, entry) in header {
            if name == "__metadata__" {
                continue;
            }
            let dtype = entry["dtype"].as_str().unwrap_or_default().to_string();
            let shape = entry["shape"]
                .as_array()
                .map(|dims| {
                    dims.iter()
                        .filter_map(|d| d.as_u64())
                        .map(|d| d as usize)
                        .collect()
                })
                .unwrap_or_default();
            let offsets = entry["data_offsets"]
                .as_array()
                .and_then(|o| Some((o.first()?.as_u64()? as usize, o.get(1)?.as_u64()? as usize)))
                .ok_or_else(|| bad(format!("tensor {name} has no data_offsets")))?;
            entries.insert(
                name,
                TensorEntry {
                    dtype,
                    shape,
                    bytes: offsets,
                },
            );
        }
        Ok(Self {
            data,
            header_end,
            entries,
            path: path.to_path_buf(),
        })
    }

    fn f32s(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, ParaphraseError> {
        let bad = |reason: String| ParaphraseError::BadModel {
            path: self.path.clone(),
            reason: format!("tensor {name}: {reason}"),
        };
        let TensorEntry {
            dtype,
            shape: found,
            bytes: (start, end),
        } = self
            .entries
            .get(name)
            .ok_or_else(|| bad("missing (is this all-MiniLM-L6-v2?)".into()))?;
        if dtype != "F32" || found.as_slice() != shape {
            return Err(bad(format!("{dtype} {found:?}, expected F32 {shape:?}")));
        }
        let elements: usize = shape.iter().product();
        let bytes = self
            .data
            .get(self.header_end + start..self.header_end + end)
            .filter(|bytes| bytes.len() == elements * 4)
            .ok_or_else(|| {
                bad(format!(
                    "bytes {start}..{end} are not {elements} floats in the file"
                ))
            })?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    fn dense(&self, prefix: &str, inputs: usize, outputs: usize) -> Result<Dense, ParaphraseError> {
        // PyTorch stores a linear layer's weight output by output.
        let torch = self.f32s(&format!("{prefix}.weight"), &[outputs, inputs])?;
        let bias = self.f32s(&format!("{prefix}.bias"), &[outputs])?;
        Ok(Dense::new(
            |input, output| torch[output * inputs + input],
            bias,
            inputs,
        ))
    }

    fn norm(&self, prefix: &str) -> Result<LayerNorm, ParaphraseError> {
        Ok(LayerNorm {
            weight: self.f32s(&format!("{prefix}.weight"), &[HIDDEN])?,
            bias: self.f32s(&format!("{prefix}.bias"), &[HIDDEN])?,
        })
    }
}

impl Encoder {
    pub fn load(path: &Path, vocabulary: usize) -> Result<Self, ParaphraseError> {
        let tensors = Tensors::read(path)?;
        let layers = (0..LAYERS)
            .map(|layer| {
                let at = |part: &str| format!("encoder.layer.{layer}.{part}");
                Ok(Layer {
                    query: tensors.dense(&at("attention.self.query"), HIDDEN, HIDDEN)?,
                    key: tensors.dense(&at("attention.self.key"), HIDDEN, HIDDEN)?,
                    value: tensors.dense(&at("attention.self.value"), HIDDEN, HIDDEN)?,
                    attention_output: tensors.dense(
                        &at("attention.output.dense"),
                        HIDDEN,
                        HIDDEN,
                    )?,
                    attention_norm: tensors.norm(&at("attention.output.LayerNorm"))?,
                    intermediate: tensors.dense(&at("intermediate.dense"), HIDDEN, INTERMEDIATE)?,
                    output: tensors.dense(&at("output.dense"), INTERMEDIATE, HIDDEN)?,
                    output_norm: tensors.norm(&at("output.LayerNorm"))?,
                })
            })
            .collect::<Result<_, ParaphraseError>>()?;
        Ok(Self {
            words: tensors.f32s("embeddings.word_embeddings.weight", &[vocabulary, HIDDEN])?,
            vocabulary,
            positions: tensors.f32s(
                "embeddings.position_embeddings.weight",
                &[POSITIONS, HIDDEN],
            )?,
            token_type: tensors.f32s("embeddings.token_type_embeddings.weight", &[2, HIDDEN])?,
            embedding_norm: tensors.norm("embeddings.LayerNorm")?,
            layers,
        })
    }

    /// Longest input, in word pieces with `[CLS]` and `[SEP]`.
    pub const MAX_PIECES: usize = POSITIONS;

    /// The unit-length embedding of one sequence of word-piece ids
    /// (`[CLS]` … `[SEP]`, at most [`Self::MAX_PIECES`]).
    pub fn embed(&self, ids: &[u32]) -> [f32; DIMENSION] {
        let length = ids.len().min(POSITIONS);
        let mut hidden = vec![0.0f32; length * HIDDEN];
        for (position, id) in ids[..length].iter().enumerate() {
            let id = (*id as usize).min(self.vocabulary - 1);
            let row = &mut hidden[position * HIDDEN..(position + 1) * HIDDEN];
            let word = &self.words[id * HIDDEN..(id + 1) * HIDDEN];
            let place = &self.positions[position * HIDDEN..(position + 1) * HIDDEN];
            for (i, value) in row.iter_mut().enumerate() {
                *value = word[i] + place[i] + self.token_type[i];
            }
            self.embedding_norm.apply(row);
        }
        for layer in &self.layers {
            hidden = layer.forward(&hidden, length);
        }
        // Mean over every position, [CLS] and [SEP] included, as
        // sentence-transformers pools an unpadded sequence; then unit length.
        let mut pooled = [0.0f32; DIMENSION];
        for row in hidden.chunks_exact(HIDDEN) {
            for (sum, value) in pooled.iter_mut().zip(row) {
                *sum += value;
            }
        }
        for value in &mut pooled {
            *value /= length as f32;
        }
        let norm = pooled.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        for value in &mut pooled {
            *value /= norm;
        }
        pooled
    }
}

impl Dense {
    /// The layer whose weight from `input` to `output` is `weight(input, output)`.
    fn new(weight: impl Fn(usize, usize) -> f32, bias: Vec<f32>, inputs: usize) -> Self {
        let outputs = bias.len();
        let blocked = outputs - outputs % COLUMNS;
        let mut blocks = Vec::with_capacity(inputs * blocked);
        for column in (0..blocked).step_by(COLUMNS) {
            for input in 0..inputs {
                blocks.extend((column..column + COLUMNS).map(|output| weight(input, output)));
            }
        }
        let rest = (0..inputs)
            .flat_map(|input| (blocked..outputs).map(move |output| (input, output)))
            .map(|(input, output)| weight(input, output))
            .collect();
        Self {
            blocks,
            rest,
            bias,
            inputs,
            outputs,
        }
    }

    /// The layer's outputs for `rows` input rows. Where the CPU has AVX2
    /// the same loops run eight lanes wide instead of four: each output
    /// still sees the same multiplies and adds in the same order, so the
    /// bits are those of the portable path (`wide_and_portable_paths_agree`).
    fn forward(&self, input: &[f32], rows: usize) -> Vec<f32> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { self.forward_avx2(input, rows) };
        }
        self.forward_portable(input, rows)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn forward_avx2(&self, input: &[f32], rows: usize) -> Vec<f32> {
        self.forward_portable(input, rows)
    }

    /// Four rows and 16 outputs at a time, held in registers while the
    /// inputs stream past, so each weight read serves four rows; every
    /// output still starts from its bias and adds its inputs' products
    /// first to last.
    #[inline(always)]
    fn forward_portable(&self, input: &[f32], rows: usize) -> Vec<f32> {
        const ROWS: usize = 4; // as many as the accumulators below
        let (inputs, outputs) = (self.inputs, self.outputs);
        let mut output = Vec::with_capacity(rows * outputs);
        for _ in 0..rows {
            output.extend_from_slice(&self.bias);
        }
        let blocked_rows = rows - rows % ROWS;
        let blocked = outputs - outputs % COLUMNS;
        let block_weights = || self.blocks.chunks_exact(inputs * COLUMNS);
        for row in (0..blocked_rows).step_by(ROWS) {
            let x = |r: usize| &input[(row + r) * inputs..(row + r + 1) * inputs];
            let (x0, x1, x2, x3) = (x(0), x(1), x(2), x(3));
            for (block, weights) in block_weights().enumerate() {
                let column = block * COLUMNS;
                let bias: [f32; COLUMNS] = self.bias[column..column + COLUMNS]
                    .try_into()
                    .expect("a block of biases");
                let (mut s0, mut s1, mut s2, mut s3) = (bias, bias, bias, bias);
                let inputs_by_row = x0.iter().zip(x1).zip(x2.iter().zip(x3));
                for (((a, b), (c, d)), weights) in inputs_by_row.zip(weights.chunks_exact(COLUMNS))
                {
                    for l in 0..COLUMNS {
                        s0[l] += a * weights[l];
                        s1[l] += b * weights[l];
                        s2[l] += c * weights[l];
                        s3[l] += d * weights[l];
                    }
                }
                for (r, sum) in [s0, s1, s2, s3].iter().enumerate() {
                    let at = (row + r) * outputs + column;
                    output[at..at + COLUMNS].copy_from_slice(sum);
                }
            }
        }
        // The rows the blocks of four leave, one at a time…
        for row in blocked_rows..rows {
            let x = &input[row * inputs..(row + 1) * inputs];
            for (block, weights) in block_weights().enumerate() {
                let out = &mut output[row * outputs + block * COLUMNS..][..COLUMNS];
                for (x, weights) in x.iter().zip(weights.chunks_exact(COLUMNS)) {
                    for (sum, weight) in out.iter_mut().zip(weights) {
                        *sum += x * weight;
                    }
                }
            }
        }
        // …and the outputs left over, for every row.
        if blocked < outputs {
            for row in 0..rows {
                let out = &mut output[row * outputs + blocked..(row + 1) * outputs];
                let x = &input[row * inputs..(row + 1) * inputs];
                for (x, weights) in x.iter().zip(self.rest.chunks_exact(outputs - blocked)) {
                    for (sum, weight) in out.iter_mut().zip(weights) {
                        *sum += x * weight;
                    }
                }
            }
        }
        output
    }
}

impl LayerNorm {
    /// Each row of `rows` plus its row of `residual`, then normalized:
    /// how every sub-layer of a BERT layer ends.
    fn add_and_apply(&self, rows: &mut [f32], residual: &[f32]) {
        for (row, residual) in rows
            .chunks_exact_mut(HIDDEN)
            .zip(residual.chunks_exact(HIDDEN))
        {
            for (value, residual) in row.iter_mut().zip(residual) {
                *value += residual;
            }
            self.apply(row);
        }
    }

    fn apply(&self, row: &mut [f32]) {
        let mean = row.iter().sum::<f32>() / HIDDEN as f32;
        let variance = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / HIDDEN as f32;
        let scale = 1.0 / (variance + LAYER_NORM_EPSILON).sqrt();
        for (i, value) in row.iter_mut().enumerate() {
            *value = (*value - mean) * scale * self.weight[i] + self.bias[i];
        }
    }
}

impl Layer {
    fn forward(&self, hidden: &[f32], length: usize) -> Vec<f32> {
        let query = self.query.forward(hidden, length);
        let key = self.key.forward(hidden, length);
        let value = self.value.forward(hidden, length);
        let scale = 1.0 / (HEAD as f32).sqrt();
        let mut context = vec![0.0f32; length * HIDDEN];
        let mut scores = vec![0.0f32; length];
        for head in 0..HEADS {
            let columns = head * HEAD..(head + 1) * HEAD;
            for i in 0..length {
                let q = &query[i * HIDDEN..][columns.clone()];
                for (j, score) in scores.iter_mut().enumerate() {
                    let k = &key[j * HIDDEN..][columns.clone()];
                    *score = q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale;
                }
                softmax(&mut scores);
                let out = &mut context[i * HIDDEN..][columns.clone()];
                for (j, p) in scores.iter().enumerate() {
                    let v = &value[j * HIDDEN..][columns.clone()];
                    for (sum, x) in out.iter_mut().zip(v) {
                        *sum += p * x;
                    }
                }
            }
        }
        let mut attended = self.attention_output.forward(&context, length);
        self.attention_norm.add_and_apply(&mut attended, hidden);
        let mut intermediate = self.intermediate.forward(&attended, length);
        for value in &mut intermediate {
            *value = gelu(*value);
        }
        let mut output = self.output.forward(&intermediate, length);
        self.output_norm.add_and_apply(&mut output, &attended);
        output
    }
}

fn softmax(scores: &mut [f32]) {
    let largest = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut total = 0.0f32;
    for score in scores.iter_mut() {
        *score = exp(f64::from(*score - largest)) as f32;
        total += *score;
    }
    for score in scores.iter_mut() {
        *score /= total;
    }
}

/// BERT's GELU, with the error function: x·(1 + erf(x/√2))/2.
fn gelu(x: f32) -> f32 {
    let x = f64::from(x);
    (0.5 * x * (1.0 + erf(x * std::f64::consts::FRAC_1_SQRT_2))) as f32
}

/// 1/k! for k = 0..=13: e^r's Taylor coefficients, fixed at compile time.
const INVERSE_FACTORIALS: [f64; 14] = {
    let mut coefficients = [1.0; 14];
    let mut k = 1;
    while k < 14 {
        coefficients[k] = coefficients[k - 1] / k as f64;
        k += 1;
    }
    coefficients
};

/// e^x, to about 1e-15 where it is not 0 (x < −700), from IEEE operations
/// only: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor polynomial.
fn exp(x: f64) -> f64 {
    if x < -700.0 {
        return 0.0;
    }
    let n = (x * std::f64::consts::LOG2_E).round();
    let r = x - n * std::f64::consts::LN_2;
    let mut sum = 0.0;
    for coefficient in INVERSE_FACTORIALS.iter().rev() {
        sum = sum * r + coefficient;
    }
    sum * f64::from_bits(((n as i64 + 1023) as u64) << 52)
}

/// erf to about 1.2e-7 (Numerical Recipes' erfc by Chebyshev fit:
/// t = 1/(1 + |z|/2), erfc = t·e^(−z² + P(t))), ample for a GELU whose
/// result is an f32; one division and one `exp`.
fn erf(z: f64) -> f64 {
    const P: [f64; 10] = [
        -1.265_512_23,
        1.000_023_68,
        0.374_091_96,
        0.096_784_18,
        -0.186_288_06,
        0.278_868_07,
        -1.135_203_98,
        1.488_515_87,
        -0.822_152_23,
        0.170_872_77,
    ];
    let a = z.abs();
    let t = 1.0 / (1.0 + 0.5 * a);
    let mut polynomial = 0.0;
    for coefficient in P.iter().rev() {
        polynomial = polynomial * t + coefficient;
    }
    let complement = t * exp(-a * a + polynomial);
    (1.0 - complement).copysign(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_and_portable_paths_agree() {
        // A layer and inputs of awkward sizes (rows not a multiple of four),
        // values spread over many magnitudes so rounding differs by order.
        let (inputs, outputs, rows) = (37, 29, 7);
        let value = |i: usize| ((i * 7919 % 1000) as f32 - 500.0) * 10f32.powi((i % 7) as i32 - 3);
        let weight: Vec<f32> = (0..inputs * outputs).map(value).collect();
        let dense = Dense::new(
            |input, output| weight[input * outputs + output],
            (0..outputs).map(|i| value(i + 11)).collect(),
            inputs,
        );
        let input: Vec<f32> = (0..rows * inputs).map(|i| value(i + 101)).collect();
        let portable = dense.forward_portable(&input, rows);
        assert_eq!(
            dense
                .forward(&input, rows)
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>(),
            portable.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        // Each output is its bias, then every input's product added first
        // to last: in a block (output 5), in the rows the blocks of four
        // leave (row 6), and in the outputs left over (20 and after).
        for (row, output) in [(2, 5), (6, 5), (2, 20), (6, 28)] {
            let expected = (0..inputs).fold(dense.bias[output], |sum, k| {
                sum + input[row * inputs + k] * weight[k * outputs + output]
            });
            assert_eq!(
                portable[row * outputs + output].to_bits(),
                expected.to_bits(),
                "row {row}, output {output}"
            );
        }
    }

    #[test]
    fn exp_and_erf_agree_with_the_platform_to_within_rounding() {
        for i in -400..=2000 {
            let x = -f64::from(i) / 20.0;
            let (ours, platform) = (exp(x), x.exp());
            assert!(
                (ours - platform).abs() <= platform * 1e-13,
                "exp({x}): {ours} vs {platform}"
            );
        }
        // erf(0.5), erf(1), erf(2), erf(3) to 16 digits (Abramowitz & Stegun, table 7.1).
        for (z, expected) in [
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.0, 0.999_977_909_503_001_4),
        ] {
            assert!((erf(z) - expected).abs() < 1.2e-7, "erf({z}) = {}", erf(z));
            assert!((erf(-z) + expected).abs() < 1.2e-7);
        }
    }
}
