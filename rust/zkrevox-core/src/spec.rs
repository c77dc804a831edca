//! The featurizer's parameters (docs/FEATURIZER.md, "Parameters") and the prompt rules.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::error::CoreError;
use crate::vocab::{is_normalized, Tables};

/// Largest `num_features` the Rust featurizer accepts (a guard against specs
/// that would allocate gigabytes; real specs have a few hundred features).
pub const MAX_FEATURES: u64 = 1 << 24;

/// The featurizer version this crate implements (`"version"` in an input spec).
pub const FEATURIZER_VERSION: u32 = 1;

/// Featurizer parameters; part of a model's input spec.
///
/// Always valid: the constructors check the rules of `FeatureSpec.validate`
/// in `python/zkrevox/featurize.py`, and build the vocabulary tables once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeatureSpec {
    vocab: Vec<String>,
    max_bytes: u32,
    trigram_buckets: u32,
    clip: u32,
    fuzzy_min_len: u32,
    tables: Tables,
}

/// Python's `repr` of a simple string (quotes and escapes), for error messages.
fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                write!(out, "\\x{:02x}", c as u32).expect("writing to a String cannot fail");
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

impl FeatureSpec {
    /// Build and validate a spec.
    pub fn new(
        vocab: Vec<String>,
        max_bytes: u32,
        trigram_buckets: u32,
        clip: u32,
        fuzzy_min_len: u32,
    ) -> Result<Self, CoreError> {
        Self::from_ints(vocab, max_bytes.into(), trigram_buckets.into(), clip.into(), fuzzy_min_len.into())
    }

    /// Build a spec from possibly out-of-range integers (as a Python caller
    /// passes them), checking the rules in the same order as the Python reference.
    pub fn from_ints(
        vocab: Vec<String>,
        max_bytes: i64,
        trigram_buckets: i64,
        clip: i64,
        fuzzy_min_len: i64,
    ) -> Result<Self, CoreError> {
        if trigram_buckets < 1 || clip < 1 || max_bytes < 1 || fuzzy_min_len < 0 {
            return Err(CoreError::SpecNumbers);
        }
        if let Some(bad) = vocab.iter().find(|w| !is_normalized(w.as_bytes())) {
            return Err(CoreError::SpecVocabWord { word_repr: py_repr(bad) });
        }
        if vocab.iter().collect::<HashSet<_>>().len() != vocab.len() {
            return Err(CoreError::SpecVocabDuplicate);
        }
        let narrow = |field: &'static str, got: i64| {
            u32::try_from(got).map_err(|_| CoreError::SpecTooLarge { field, got, max: u32::MAX.into() })
        };
        let (max_bytes, trigram_buckets, clip, fuzzy_min_len) = (
            narrow("max_bytes", max_bytes)?,
            narrow("trigram_buckets", trigram_buckets)?,
            narrow("clip", clip)?,
            narrow("fuzzy_min_len", fuzzy_min_len)?,
        );
        let features = vocab.len() as u64 + u64::from(trigram_buckets);
        if features > MAX_FEATURES {
            let got = i64::try_from(features).unwrap_or(i64::MAX);
            return Err(CoreError::SpecTooLarge { field: "num_features", got, max: MAX_FEATURES });
        }
        let tables = Tables::new(&vocab, fuzzy_min_len);
        Ok(Self { vocab, max_bytes, trigram_buckets, clip, fuzzy_min_len, tables })
    }

    /// The vocabulary; word `i` owns feature `i`.
    pub fn vocab(&self) -> &[String] {
        &self.vocab
    }
    /// Longest prompt accepted, in bytes.
    pub fn max_bytes(&self) -> u32 {
        self.max_bytes
    }
    /// Size of the hashed-trigram region (T) for out-of-vocabulary words.
    pub fn trigram_buckets(&self) -> u32 {
        self.trigram_buckets
    }
    /// Largest value of one feature (C).
    pub fn clip(&self) -> u32 {
        self.clip
    }
    /// Words at least this long match the vocabulary within one edit; 0 disables.
    pub fn fuzzy_min_len(&self) -> u32 {
        self.fuzzy_min_len
    }
    pub(crate) fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Length of the feature vector, `len(vocab) + T` (at most [`MAX_FEATURES`]).
    pub fn num_features(&self) -> usize {
        self.vocab.len() + self.trigram_buckets as usize
    }

    /// Reject an empty prompt or one longer than `max_bytes` (never truncate).
    pub fn check_prompt(&self, prompt: &[u8]) -> Result<(), CoreError> {
        if prompt.is_empty() {
            return Err(CoreError::EmptyPrompt);
        }
        if prompt.len() > self.max_bytes as usize {
            return Err(CoreError::PromptTooLong { len: prompt.len(), limit: self.max_bytes });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn builds_valid_specs() {
        let s = FeatureSpec::new(v(&["eth", "0inch"]), 192, 32, 3, 5).unwrap();
        assert_eq!(s.num_features(), 34);
        assert_eq!(s.vocab(), &v(&["eth", "0inch"])[..]);
        assert_eq!(FeatureSpec::new(vec![], 1, 1, 1, 0).unwrap().num_features(), 1);
    }

    #[test]
    fn rules_in_python_order() {
        assert_eq!(FeatureSpec::from_ints(v(&["A"]), 1, 0, 1, 0), Err(CoreError::SpecNumbers));
        assert_eq!(FeatureSpec::from_ints(v(&["a"]), 0, 1, 1, 0), Err(CoreError::SpecNumbers));
        assert_eq!(FeatureSpec::from_ints(v(&["a"]), 1, 1, 0, 0), Err(CoreError::SpecNumbers));
        assert_eq!(FeatureSpec::from_ints(v(&["a"]), 1, 1, 1, -1), Err(CoreError::SpecNumbers));
        assert_eq!(
            FeatureSpec::from_ints(v(&["a", "a", "1inch"]), 1, 1, 1, 0),
            Err(CoreError::SpecVocabWord { word_repr: "'1inch'".into() })
        );
        assert_eq!(
            FeatureSpec::from_ints(v(&["a", "b", "a"]), 1, 1, 1, 0),
            Err(CoreError::SpecVocabDuplicate)
        );
        assert!(matches!(
            FeatureSpec::from_ints(vec![], 1 << 40, 1, 1, 0),
            Err(CoreError::SpecTooLarge { field: "max_bytes", .. })
        ));
        assert!(matches!(
            FeatureSpec::from_ints(vec![], 1, (1 << 24) + 1, 1, 0),
            Err(CoreError::SpecTooLarge { field: "num_features", .. })
        ));
        assert_eq!(
            CoreError::SpecVocabWord { word_repr: py_repr("it's") }.to_string(),
            "vocabulary entry \"it's\" is not a normalized word (see FEATURIZER.md §2)"
        );
        assert_eq!(py_repr("a\\b\n"), "'a\\\\b\\n'");
    }

    #[test]
    fn prompt_rules() {
        let s = FeatureSpec::new(vec![], 3, 1, 1, 0).unwrap();
        assert_eq!(s.check_prompt(b""), Err(CoreError::EmptyPrompt));
        assert_eq!(s.check_prompt(b"abc"), Ok(()));
        assert_eq!(s.check_prompt(b"abcd"), Err(CoreError::PromptTooLong { len: 4, limit: 3 }));
        assert_eq!(
            CoreError::PromptTooLong { len: 4, limit: 3 }.to_string(),
            "prompt is 4 bytes, limit is 3; shorten it (prompts are rejected, never truncated, on-chain too)"
        );
    }

    #[test]
    fn any_bytes_are_a_prompt() {
        // the contract's rule: 1..=max_bytes bytes, whatever they are (UTF-8 or not)
        let s = FeatureSpec::new(vec![], 192, 1, 1, 0).unwrap();
        for p in [&b"a\xffb"[..], b"a\xe2\x82", b"\xed\xa0\x80", b"\x00", b"swap 2 \xff\xfe for cake"] {
            assert_eq!(s.check_prompt(p), Ok(()));
        }
    }
}
