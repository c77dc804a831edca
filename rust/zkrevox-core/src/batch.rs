//! Featurize and quantize a batch of prompts into one matrix: the circuit
//! inputs of a batched witness (docs/FEATURIZER.md section 5: feature `x`
//! becomes `x · 2^scale`).

use crate::error::CoreError;
use crate::featurize::{featurize_into, FeatureSpec};
use crate::field::{Felt, MAX_SCALE};
use crate::parallel;

/// A `rows × cols` row-major matrix of quantized features, one row per prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantizedBatch {
    rows: usize,
    cols: usize,
    scale: u32,
    data: Vec<i64>,
}

impl QuantizedBatch {
    /// Number of prompts.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Features per prompt.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// The fixed-point scale the features were multiplied by (`2^scale`).
    pub fn scale(&self) -> u32 {
        self.scale
    }
    /// All values, row after row.
    pub fn data(&self) -> &[i64] {
        &self.data
    }
    /// The values, row after row, by value.
    pub fn into_data(self) -> Vec<i64> {
        self.data
    }
    /// The quantized features of prompt `i`.
    pub fn row(&self, i: usize) -> &[i64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
    /// The rows in order.
    pub fn iter_rows(&self) -> impl ExactSizeIterator<Item = &[i64]> + '_ {
        (0..self.rows).map(|i| self.row(i))
    }
    /// The values as field elements (all non-negative), row after row.
    pub fn to_felts(&self) -> Vec<Felt> {
        self.data.iter().map(|&v| Felt::from_i128(v.into())).collect()
    }
}

/// A `rows × cols` row-major matrix of feature counts, one row per prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureMatrix {
    rows: usize,
    cols: usize,
    data: Vec<u32>,
}

impl FeatureMatrix {
    /// Number of prompts.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Features per prompt.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// All counts, row after row.
    pub fn data(&self) -> &[u32] {
        &self.data
    }
    /// The features of prompt `i`.
    pub fn row(&self, i: usize) -> &[u32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
    /// The rows in order.
    pub fn iter_rows(&self) -> impl ExactSizeIterator<Item = &[u32]> + '_ {
        (0..self.rows).map(|i| self.row(i))
    }
    /// All counts, one byte each, row after row (`clip <= 255`).
    pub fn to_bytes(&self) -> Result<Vec<u8>, CoreError> {
        crate::featurize::counts_to_bytes(&self.data)
    }
}

/// Featurize every prompt into one matrix (one allocation, several threads
/// for large batches). Fails on the first bad prompt; the error names its index.
pub fn featurize_matrix<P: AsRef<[u8]> + Sync>(
    prompts: &[P],
    spec: &FeatureSpec,
) -> Result<FeatureMatrix, CoreError> {
    let cols = spec.num_features();
    let mut data = vec![0u32; prompts.len() * cols];
    parallel::fill_rows(prompts, &mut data, cols, |i, prompt, row| {
        featurize_into(prompt.as_ref(), spec, row).map_err(|e| e.in_batch(i))
    })?;
    log::debug!("featurized {} prompts ({cols} features)", prompts.len());
    Ok(FeatureMatrix { rows: prompts.len(), cols, data })
}

/// `2^scale`, the fixed-point unit; checks that `clip · 2^scale` fits in 64 bits.
pub fn quantum(spec: &FeatureSpec, scale: u32) -> Result<i64, CoreError> {
    if scale > MAX_SCALE {
        return Err(CoreError::ScaleTooLarge { scale, max: MAX_SCALE });
    }
    let unit = 1i64 << scale;
    match i64::from(spec.clip()).checked_mul(unit) {
        Some(_) => Ok(unit),
        None => Err(CoreError::QuantizedOverflow { value: spec.clip(), scale }),
    }
}

/// Featurize every prompt and multiply by `2^scale`. Fails on the first bad
/// prompt (the error names its index) or if `clip · 2^scale` overflows 64 bits.
pub fn featurize_quantized_batch<P: AsRef<[u8]> + Sync>(
    prompts: &[P],
    spec: &FeatureSpec,
    scale: u32,
) -> Result<QuantizedBatch, CoreError> {
    let unit = quantum(spec, scale)?;
    let counts = featurize_matrix(prompts, spec)?;
    let data = counts.data.iter().map(|&c| i64::from(c) * unit).collect();
    Ok(QuantizedBatch { rows: counts.rows, cols: counts.cols, scale, data })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::featurize::featurize;

    fn make_spec(clip: u32) -> FeatureSpec {
        let vocab = ["swap", "bnb", "cake", "for"].map(str::to_owned).to_vec();
        FeatureSpec::new(vocab, 192, 32, clip, 5).unwrap()
    }

    #[test]
    fn rows_are_features_times_two_to_the_scale() {
        let spec = make_spec(3);
        let prompts: Vec<String> = (0..2500).map(|i| format!("swap {i} bnb for cake")).collect();
        let batch = featurize_quantized_batch(&prompts, &spec, 7).unwrap();
        assert_eq!((batch.rows(), batch.cols(), batch.scale()), (2500, 36, 7));
        for (p, row) in prompts.iter().zip(batch.iter_rows()) {
            let want: Vec<i64> =
                featurize(p.as_bytes(), &spec).unwrap().into_iter().map(|v| i64::from(v) * 128).collect();
            assert_eq!(row, want);
        }
        assert_eq!(batch.to_felts()[5], Felt::from_i128(batch.data()[5].into()));
        let counts = featurize_matrix(&prompts, &spec).unwrap();
        assert!(counts
            .iter_rows()
            .zip(batch.iter_rows())
            .all(|(c, q)| c.iter().zip(q).all(|(&c, &q)| i64::from(c) * 128 == q)));
    }

    #[test]
    fn errors_name_the_first_bad_prompt() {
        let spec = make_spec(3);
        let mut prompts = vec!["ok"; 3000];
        prompts[2999] = "";
        prompts[2100] = "";
        let err = featurize_quantized_batch(&prompts, &spec, 0).unwrap_err();
        assert_eq!(err, CoreError::EmptyPrompt.in_batch(2100));
        assert_eq!(err.to_string(), "prompt 2100 of the batch: empty prompt; send at least one character");
        assert!(matches!(featurize_quantized_batch(&["a"], &spec, 63), Err(CoreError::ScaleTooLarge { .. })));
        let big = make_spec(u32::MAX);
        assert!(matches!(
            featurize_quantized_batch(&["a"], &big, 32),
            Err(CoreError::QuantizedOverflow { .. })
        ));
        assert!(featurize_quantized_batch(&["a"], &big, 31).is_ok());
        assert_eq!(featurize_quantized_batch::<&str>(&[], &spec, 0).unwrap().rows(), 0);
    }
}
