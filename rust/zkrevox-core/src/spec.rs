//! The featurizer's parameters (docs/FEATURIZER.md, "Parameters") and the prompt rules.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::error::CoreError;
use crate::vocab::{is_normalized, Tables};

/// Largest `num_features` the Rust featurizer accepts (a guard against specs
/// that would allocate gigabytes; real specs have a few hundred features).
pub const MAX_FEATURES: u64 = 1 << 24;

/// The newest featurizer version this crate implements (`"version"` in an input spec); it
/// implements every version from 1 up to it.
pub const FEATURIZER_VERSION: u32 = 2;

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
    version: u32,
    /// Each word's slot (version 1: word `i` → slot `i`).
    slots: Vec<u32>,
    num_slots: u32,
    context_slots: u32,
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
    /// Build and validate a version-1 spec.
    pub fn new(
        vocab: Vec<String>,
        max_bytes: u32,
        trigram_buckets: u32,
        clip: u32,
        fuzzy_min_len: u32,
    ) -> Result<Self, CoreError> {
        Self::from_ints(vocab, max_bytes.into(), trigram_buckets.into(), clip.into(), fuzzy_min_len.into())
    }

    /// Build and validate a version-2 spec (FEATURIZER.md §7): word `i` counts in `slots[i]`,
    /// the last `context_slots` slots are context slots.
    pub fn new_v2(
        vocab: Vec<String>,
        slots: Vec<u32>,
        context_slots: u32,
        max_bytes: u32,
        trigram_buckets: u32,
        clip: u32,
        fuzzy_min_len: u32,
    ) -> Result<Self, CoreError> {
        let slots: Vec<i64> = slots.into_iter().map(i64::from).collect();
        Self::from_ints_versioned(
            vocab,
            max_bytes.into(),
            trigram_buckets.into(),
            clip.into(),
            fuzzy_min_len.into(),
            2,
            &slots,
            context_slots.into(),
        )
    }

    /// Build a version-1 spec from possibly out-of-range integers (as a Python caller passes them).
    pub fn from_ints(
        vocab: Vec<String>,
        max_bytes: i64,
        trigram_buckets: i64,
        clip: i64,
        fuzzy_min_len: i64,
    ) -> Result<Self, CoreError> {
        Self::from_ints_versioned(vocab, max_bytes, trigram_buckets, clip, fuzzy_min_len, 1, &[], 0)
    }

    /// Build a spec of any version from possibly out-of-range integers, checking the rules in
    /// the same order as the Python reference. Version 1 ignores `slots`.
    #[allow(clippy::too_many_arguments)]
    pub fn from_ints_versioned(
        vocab: Vec<String>,
        max_bytes: i64,
        trigram_buckets: i64,
        clip: i64,
        fuzzy_min_len: i64,
        version: i64,
        slots: &[i64],
        context_slots: i64,
    ) -> Result<Self, CoreError> {
        if trigram_buckets < 1 || clip < 1 || max_bytes < 1 || fuzzy_min_len < 0 {
            return Err(CoreError::SpecNumbers);
        }
        let version = match version {
            1 => 1,
            2 => 2,
            v => return Err(CoreError::SpecVersion { version: v.to_string() }),
        };
        if let Some(bad) = vocab.iter().find(|w| !is_normalized(w.as_bytes(), version)) {
            return Err(CoreError::SpecVocabWord { word_repr: py_repr(bad) });
        }
        if vocab.iter().collect::<HashSet<_>>().len() != vocab.len() {
            return Err(CoreError::SpecVocabDuplicate);
        }
        let (slots, num_slots, context_slots) = if version == 1 {
            if context_slots != 0 {
                return Err(CoreError::SpecContextV1);
            }
            let n = u32::try_from(vocab.len()).map_err(|_| CoreError::SpecTooLarge {
                field: "num_features",
                got: i64::MAX,
                max: MAX_FEATURES,
            })?;
            ((0..n).collect::<Vec<u32>>(), n, 0)
        } else {
            check_slots(slots, vocab.len(), context_slots)?
        };
        let narrow = |field: &'static str, got: i64| {
            u32::try_from(got).map_err(|_| CoreError::SpecTooLarge { field, got, max: u32::MAX.into() })
        };
        let (max_bytes, trigram_buckets, clip, fuzzy_min_len) = (
            narrow("max_bytes", max_bytes)?,
            narrow("trigram_buckets", trigram_buckets)?,
            narrow("clip", clip)?,
            narrow("fuzzy_min_len", fuzzy_min_len)?,
        );
        let features = u64::from(num_slots) + 2 * u64::from(context_slots) + u64::from(trigram_buckets);
        if features > MAX_FEATURES {
            let got = i64::try_from(features).unwrap_or(i64::MAX);
            return Err(CoreError::SpecTooLarge { field: "num_features", got, max: MAX_FEATURES });
        }
        let tables = Tables::new(&vocab, &slots, num_slots - context_slots, fuzzy_min_len);
        Ok(Self {
            vocab,
            max_bytes,
            trigram_buckets,
            clip,
            fuzzy_min_len,
            version,
            slots,
            num_slots,
            context_slots,
            tables,
        })
    }

    /// The vocabulary; word `i` counts in slot `slots()[i]`.
    pub fn vocab(&self) -> &[String] {
        &self.vocab
    }
    /// The featurizer version, 1 or 2.
    pub fn version(&self) -> u32 {
        self.version
    }
    /// Each vocabulary word's slot (version 1: `0, 1, …`).
    pub fn slots(&self) -> &[u32] {
        &self.slots
    }
    /// S: features `0 .. S-1` count vocabulary words.
    pub fn num_slots(&self) -> u32 {
        self.num_slots
    }
    /// K: the last K slots are context slots (version 1: 0).
    pub fn context_slots(&self) -> u32 {
        self.context_slots
    }
    /// N = S - K: slots `0 .. N-1` are names.
    pub fn name_slots(&self) -> u32 {
        self.num_slots - self.context_slots
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

    /// Length of the feature vector, `S + 2K + T` (version 1: `len(vocab) + T`; at most
    /// [`MAX_FEATURES`]).
    pub fn num_features(&self) -> usize {
        self.num_slots as usize + 2 * self.context_slots as usize + self.trigram_buckets as usize
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

/// Version 2's slot rules, in the Python reference's order: one slot per word, every slot
/// `0 ..= max` used, `1 <= K <= min(S, 255)`. Returns `(slots, S, K)`.
fn check_slots(slots: &[i64], words: usize, context_slots: i64) -> Result<(Vec<u32>, u32, u32), CoreError> {
    if slots.len() != words {
        return Err(CoreError::SpecSlotsLength { got: slots.len(), words });
    }
    // A slot is an index below the number of words (each slot needs a word of its own).
    let slots: Vec<u32> = slots
        .iter()
        .map(|&s| u32::try_from(s).ok().filter(|&s| (s as usize) < words))
        .collect::<Option<_>>()
        .ok_or(CoreError::SpecSlotsCover)?;
    let num_slots = slots.iter().max().map_or(0, |&m| m + 1);
    let mut used = vec![false; num_slots as usize];
    for &s in &slots {
        used[s as usize] = true;
    }
    if num_slots == 0 || used.contains(&false) {
        return Err(CoreError::SpecSlotsCover);
    }
    match u32::try_from(context_slots) {
        Ok(k) if k >= 1 && k <= num_slots.min(255) => Ok((slots, num_slots, k)),
        _ => Err(CoreError::SpecContextSlots { got: context_slots }),
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
