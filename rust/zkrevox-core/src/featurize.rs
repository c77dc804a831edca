//! The prompt featurizer, versions 1 and 2 (docs/FEATURIZER.md).
//!
//! Bit-identical to `python/zkrevox/featurize.py`. One pass over the bytes
//! normalizes each word into one reused stack buffer (no allocation per prompt
//! besides the output); the vocabulary lookups are open-addressing tables built
//! once per spec, deletions are hashed from running FNV prefixes (never built),
//! and trigram keys are rolled: nothing is allocated per word.

use crate::error::CoreError;
use crate::parallel;
pub use crate::spec::FeatureSpec;
use crate::vocab::{Tables, MARKS};

/// FNV-1a offset basis.
pub const FNV_OFFSET: u32 = 0x811C_9DC5;
/// FNV-1a prime.
pub const FNV_PRIME: u32 = 0x0100_0193;
/// Tag or-ed into every trigram key.
pub const TRIGRAM_TAG: u32 = 0x0100_0000;
const SPACE: u32 = 0x20;
const DIGIT: u8 = b'0';

/// FNV-1a over `data`, mod 2^32.
pub fn fnv1a(data: &[u8]) -> u32 {
    data.iter().fold(FNV_OFFSET, |h, &b| (h ^ u32::from(b)).wrapping_mul(FNV_PRIME))
}

/// `MurmurHash3`'s 32-bit finalizer.
pub const fn fmix(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85EB_CA6B);
    h ^= h >> 13;
    h = h.wrapping_mul(0xC2B2_AE35);
    h ^= h >> 16;
    h
}

/// Each byte's word byte (section 2): letters lower-cased, digits `0`, separators 0.
const NORMAL: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = match c as u8 {
            b @ b'A'..=b'Z' => b + 32,
            b @ b'a'..=b'z' => b,
            b'0'..=b'9' => DIGIT,
            _ => 0,
        };
        c += 1;
    }
    t
};

/// `a % d` by multiplication (Lemire, Kaser & Kurz 2019), exact for every
/// 32-bit `a` and `d >= 1`.
#[derive(Clone, Copy)]
struct FastMod {
    m: u64,
    d: u32,
}

impl FastMod {
    fn new(d: u32) -> Self {
        debug_assert!(d > 0);
        Self { m: (u64::MAX / u64::from(d)).wrapping_add(1), d }
    }

    #[inline]
    fn rem(self, a: u32) -> usize {
        let low = self.m.wrapping_mul(u64::from(a));
        ((u128::from(low) * u128::from(self.d)) >> 64) as usize
    }
}

/// Whether each byte is a mark word of version 2 (section 7).
const MARK: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < MARKS.len() {
        t[MARKS[i] as usize] = true;
        i += 1;
    }
    t
};

/// The spec, prepared for the inner loop.
struct Layout<'a> {
    tables: &'a Tables,
    trigram: FastMod,
    trigram_at: usize,
    /// S: the adjacency features start here.
    slots: usize,
    /// N: slots below are names.
    names: usize,
    marks: bool,
}

impl<'a> Layout<'a> {
    fn new(spec: &'a FeatureSpec) -> Self {
        let slots = spec.num_slots() as usize;
        Self {
            tables: spec.tables(),
            trigram: FastMod::new(spec.trigram_buckets()),
            trigram_at: slots + 2 * spec.context_slots() as usize,
            slots,
            names: spec.name_slots() as usize,
            marks: spec.version() >= 2,
        }
    }

    #[inline]
    fn trigram(&self, key24: u32, x: &mut [u32]) {
        bump(x, self.trigram_at + self.trigram.rem(fmix(TRIGRAM_TAG | key24)));
    }

    /// A word's contribution (section 5): its vocabulary slot, else the
    /// trigrams of `" " + word + " "`; in version 2 also the adjacency of a name and a
    /// context word with `prev`, the slot of the previous in-vocabulary word (section 7).
    #[inline]
    fn add_word(&self, word: &[u8], prev: &mut Option<usize>, x: &mut [u32]) {
        if let Some(i) = self.tables.slot(word, fnv1a(word)) {
            bump(x, i);
            match *prev {
                Some(p) if p < self.names && self.names <= i => {
                    bump(x, self.slots + 2 * (i - self.names) + 1)
                }
                Some(p) if i < self.names && self.names <= p => bump(x, self.slots + 2 * (p - self.names)),
                _ => {}
            }
            *prev = Some(i);
            return;
        }
        let mut key24 = SPACE;
        for (k, &b) in word.iter().enumerate() {
            key24 = ((key24 << 8) | u32::from(b)) & 0x00FF_FFFF;
            if k > 0 {
                self.trigram(key24, x);
            }
        }
        self.trigram(((key24 << 8) | SPACE) & 0x00FF_FFFF, x);
    }

    /// Add the unclipped counts of `data` to `x`. Words are normalized into a stack
    /// buffer (a heap one only for prompts over `STACK` bytes).
    fn accumulate(&self, data: &[u8], x: &mut [u32]) {
        const STACK: usize = 256;
        let mut stack = [0u8; STACK];
        let mut heap = Vec::new();
        let word: &mut [u8] = if data.len() <= STACK {
            &mut stack
        } else {
            heap.resize(data.len(), 0);
            &mut heap
        };
        let mut len = 0;
        let mut prev_digit = false;
        let mut prev = None;
        for &c in data {
            let m = NORMAL[c as usize];
            if m == 0 {
                if len > 0 {
                    self.add_word(&word[..len], &mut prev, x);
                    len = 0;
                }
                prev_digit = false;
                if self.marks && MARK[c as usize] {
                    self.add_word(&[c], &mut prev, x);
                }
                continue;
            }
            let digit = m == DIGIT;
            if digit && prev_digit {
                continue; // a run of digits is one `0`
            }
            prev_digit = digit;
            word[len] = m;
            len += 1;
        }
        if len > 0 {
            self.add_word(&word[..len], &mut prev, x);
        }
    }
}

#[inline]
fn bump(x: &mut [u32], i: usize) {
    x[i] = x[i].saturating_add(1);
}

/// Features of `prompt` written into `out` (`out.len()` must be `spec.num_features()`).
pub fn featurize_into(prompt: &[u8], spec: &FeatureSpec, out: &mut [u32]) -> Result<(), CoreError> {
    assert_eq!(out.len(), spec.num_features(), "output slice must hold num_features values");
    spec.check_prompt(prompt)?;
    out.fill(0);
    Layout::new(spec).accumulate(prompt, out);
    let clip = spec.clip();
    for v in out.iter_mut() {
        *v = (*v).min(clip);
    }
    Ok(())
}

/// Validate `prompt` (non-empty, at most `max_bytes`) and return its feature vector.
pub fn featurize(prompt: &[u8], spec: &FeatureSpec) -> Result<Vec<u32>, CoreError> {
    let mut out = vec![0; spec.num_features()];
    featurize_into(prompt, spec, &mut out)?;
    Ok(out)
}

/// Counts as one byte each, for byte-per-feature outputs; fails when a count needs more
/// than a byte, which only a spec with `clip > 255` can produce.
pub fn counts_to_bytes(counts: &[u32]) -> Result<Vec<u8>, CoreError> {
    let mut out = vec![0; counts.len()];
    write_bytes(counts, &mut out)?;
    Ok(out)
}

fn write_bytes(counts: &[u32], out: &mut [u8]) -> Result<(), CoreError> {
    for (byte, &count) in out.iter_mut().zip(counts) {
        *byte = u8::try_from(count).map_err(|_| CoreError::CountOverByte { count })?;
    }
    Ok(())
}

/// [`featurize_into`] with one byte per feature (`clip <= 255`; `out.len()` must be
/// `spec.num_features()`). The counts go through a stack buffer for specs of up to 512
/// features: no heap allocation per prompt.
pub fn featurize_bytes_into(prompt: &[u8], spec: &FeatureSpec, out: &mut [u8]) -> Result<(), CoreError> {
    const STACK: usize = 512;
    let n = spec.num_features();
    let mut stack = [0u32; STACK];
    let mut heap = Vec::new();
    let counts: &mut [u32] = if n <= STACK {
        &mut stack[..n]
    } else {
        heap.resize(n, 0);
        &mut heap
    };
    featurize_into(prompt, spec, counts)?;
    write_bytes(counts, out)
}

/// [`featurize`] each prompt (on several threads for large batches); one result per prompt.
pub fn featurize_batch<P: AsRef<[u8]> + Sync>(
    prompts: &[P],
    spec: &FeatureSpec,
) -> Vec<Result<Vec<u32>, CoreError>> {
    let out = parallel::map(prompts, |p| featurize(p.as_ref(), spec));
    log::debug!("featurized {} prompts ({} features)", prompts.len(), spec.num_features());
    out
}

#[cfg(test)]
mod bytes_tests {
    use super::*;

    #[test]
    fn bytes_equal_counts_and_large_counts_are_refused() {
        let spec = FeatureSpec::new(vec!["cake".into()], 64, 4, 3, 5).unwrap();
        let counts = featurize(b"cake cake cake cake", &spec).unwrap();
        let mut bytes = vec![0u8; spec.num_features()];
        featurize_bytes_into(b"cake cake cake cake", &spec, &mut bytes).unwrap();
        assert_eq!(bytes.iter().map(|&b| u32::from(b)).collect::<Vec<_>>(), counts);
        assert!(matches!(counts_to_bytes(&[1, 256]), Err(CoreError::CountOverByte { count: 256 })));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A literal transcription of the Python reference, allocation and all.
    fn reference(data: &[u8], spec: &FeatureSpec) -> Vec<u32> {
        let mut words: Vec<Vec<u8>> = vec![];
        let mut cur = vec![];
        let mut prev_digit = false;
        for &c in data {
            if spec.version() == 2 && b"$-./".contains(&c) {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                words.push(vec![c]);
                prev_digit = false;
                continue;
            }
            match c {
                b'A'..=b'Z' => (cur.push(c + 32), prev_digit = false).1,
                b'a'..=b'z' => (cur.push(c), prev_digit = false).1,
                b'0'..=b'9' => {
                    if !prev_digit {
                        cur.push(b'0');
                    }
                    prev_digit = true;
                }
                _ => {
                    if !cur.is_empty() {
                        words.push(std::mem::take(&mut cur));
                    }
                    prev_digit = false;
                }
            }
        }
        if !cur.is_empty() {
            words.push(cur);
        }
        let deletions =
            |w: &[u8]| -> Vec<Vec<u8>> { (0..w.len()).map(|j| [&w[..j], &w[j + 1..]].concat()).collect() };
        let min_len = spec.fuzzy_min_len() as usize;
        let (mut exact, mut fuzzy) = (HashMap::new(), HashMap::new());
        let slot_of = |i: usize| spec.slots()[i] as usize;
        let names = spec.name_slots() as usize;
        for (i, w) in spec.vocab().iter().enumerate() {
            exact.entry(fnv1a(w.as_bytes())).or_insert(slot_of(i));
        }
        if min_len > 0 {
            for (i, w) in spec.vocab().iter().enumerate() {
                if w.len() >= min_len && slot_of(i) < names {
                    for d in deletions(w.as_bytes()) {
                        fuzzy.entry(fnv1a(&d)).or_insert(slot_of(i));
                    }
                }
            }
        }
        let slot = |w: &[u8]| -> Option<usize> {
            let h = fnv1a(w);
            if let Some(&i) = exact.get(&h) {
                return Some(i);
            }
            if min_len == 0 || w.len() < min_len {
                return None;
            }
            if let Some(&i) = fuzzy.get(&h) {
                return Some(i);
            }
            deletions(w).iter().find_map(|d| exact.get(&fnv1a(d)).or_else(|| fuzzy.get(&fnv1a(d))).copied())
        };
        let (sn, tn) = (spec.num_slots() as usize, spec.trigram_buckets());
        let vn = sn + 2 * spec.context_slots() as usize;
        let mut x = vec![0u32; spec.num_features()];
        let mut prev: Option<usize> = None;
        for word in words {
            if let Some(i) = slot(&word) {
                x[i] += 1;
                if let Some(p) = prev {
                    if p < names && names <= i {
                        x[sn + 2 * (i - names) + 1] += 1;
                    } else if i < names && names <= p {
                        x[sn + 2 * (p - names)] += 1;
                    }
                }
                prev = Some(i);
                continue;
            }
            let padded: Vec<u8> = [&b" "[..], &word, b" "].concat();
            for p in padded.windows(3) {
                let key = TRIGRAM_TAG | u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]);
                x[vn + (fmix(key) % tn) as usize] += 1;
            }
        }
        x.into_iter().map(|v| v.min(spec.clip())).collect()
    }

    /// xorshift32: deterministic pseudo-random numbers without a dependency.
    fn rng(state: &mut u32) -> u32 {
        *state ^= *state << 13;
        *state ^= *state >> 17;
        *state ^= *state << 5;
        *state
    }

    fn spec(words: &[&str], trigram_buckets: u32, clip: u32, fuzzy_min_len: u32) -> FeatureSpec {
        let vocab = words.iter().map(|w| (*w).to_owned()).collect();
        FeatureSpec::new(vocab, 192, trigram_buckets, clip, fuzzy_min_len).unwrap()
    }

    /// A version-2 spec over `words` plus the four marks: `groups` name slots (words dealt
    /// round-robin), then `context` context slots holding the rest and the marks.
    fn spec_v2(
        words: &[&str],
        names: usize,
        context: u32,
        trigram_buckets: u32,
        clip: u32,
        fuzzy: u32,
    ) -> FeatureSpec {
        let mut vocab: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        vocab.extend(["$", "-", ".", "/"].map(String::from));
        let k = context as usize;
        let slots = (0..vocab.len()).map(|i| {
            if i < names {
                (i % names.max(1)) as u32
            } else {
                (names.min(vocab.len()) + (i % k)) as u32
            }
        });
        let mut slots: Vec<u32> = slots.collect();
        // make the slots dense: renumber in order of first use
        let mut seen = HashMap::new();
        let mut order = vec![];
        for s in &slots {
            let n = seen.len();
            seen.entry(*s).or_insert_with(|| (order.push(*s), n).1);
        }
        let names_used = order.iter().filter(|&&s| (s as usize) < names).count() as u32;
        order.sort_unstable();
        for s in &mut slots {
            *s = order.iter().position(|o| o == s).unwrap() as u32;
        }
        let total = order.len() as u32;
        FeatureSpec::new_v2(vocab, slots, total - names_used, 192, trigram_buckets, clip, fuzzy).unwrap()
    }

    const VOCAB: [&str; 12] = [
        "eth", "ethereum", "bnb", "cake", "swap", "for", "0inch", "tether", "usdt", "doge", "dogecoin",
        "sell",
    ];

    #[test]
    fn hashes_match_spec_constants() {
        assert_eq!(fnv1a(b""), FNV_OFFSET);
        assert_eq!(fnv1a(b"a"), 0xE40C_292C);
        assert_eq!(fmix(0), 0);
    }

    #[test]
    fn fastmod_is_exact() {
        let mut s = 0x1234_5678;
        for d in [1, 2, 3, 5, 7, 64, 96, 100, 128, 1000, 65_537, u32::MAX - 1, u32::MAX] {
            for a in [0, 1, d - 1, d, d.wrapping_add(1), u32::MAX, u32::MAX - 1] {
                assert_eq!(FastMod::new(d).rem(a), (a % d) as usize, "{a} % {d}");
            }
            for _ in 0..10_000 {
                let a = rng(&mut s);
                assert_eq!(FastMod::new(d).rem(a), (a % d) as usize, "{a} % {d}");
            }
        }
        for _ in 0..100_000 {
            let (a, d) = (rng(&mut s), rng(&mut s).max(1));
            assert_eq!(FastMod::new(d).rem(a), (a % d) as usize, "{a} % {d}");
        }
    }

    #[test]
    fn vocabulary_and_trigram_examples() {
        let s = spec(&VOCAB, 1, 1000, 5);
        let f = |p: &str| featurize(p.as_bytes(), &s).unwrap();
        // "2" → "0" is not in the vocabulary: 1 trigram; the rest are vocabulary words
        assert_eq!(f("swap 2 bnb for cake"), vec![0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1]);
        // 1inch → 0inch (vocab), 100 → 0, 2.5 → 0, 0 (3 words of 1 trigram each)
        assert_eq!(f("1inch 100 2.5")[6], 1);
        assert_eq!(f("1inch 100 2.5")[12], 3);
        // one edit: etherium, tehter; sell half my dogecoin for tether
        assert_eq!(f("etherium")[1], 1);
        assert_eq!(f("tehter")[7], 1);
        assert_eq!(f("\u{1f680}!? .."), vec![0; 13]);
    }

    #[test]
    fn version_2_slots_marks_and_adjacency() {
        // names: eth|ethereum (0), cake (1); context: swap (2), $ (3), dinner (4)
        let vocab = ["eth", "ethereum", "cake", "swap", "$", "dinner"].map(String::from).to_vec();
        let s = FeatureSpec::new_v2(vocab, vec![0, 0, 1, 2, 3, 4], 3, 192, 2, 3, 5).unwrap();
        assert_eq!(s.num_features(), 5 + 6 + 2);
        let f = |p: &str| featurize(p.as_bytes(), &s).unwrap();
        // swap before eth (adjacency 2*0), $ after eth (2*1+1) and before cake (2*1); words out
        // of the vocabulary are transparent
        assert_eq!(f("swap the ethereum for $cake")[..11], [1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0]);
        // dinner after cake: adjacency 2*2+1
        assert_eq!(f("cake for dinner")[..11], [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
        // a mark ends a word: "eth$" is eth then $
        assert_eq!(f("eth$")[..11], [1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
        // context next to context, name next to name: no adjacency
        assert_eq!(f("swap $ eth cake")[5..11], [0, 0, 1, 0, 0, 0]);
    }

    #[test]
    fn matches_literal_reference_on_random_input() {
        let mut s = 0x9E37_79B9;
        let alphabet = b"aeiouthrmnbcdgswx 0123456789.$-/\xc3\xa9\xff\x00ETH";
        for round in 0..4000 {
            let vocab: Vec<&str> = VOCAB.iter().copied().filter(|_| rng(&mut s) % 3 != 0).collect();
            let sp = if round % 2 == 0 {
                spec(&vocab, rng(&mut s) % 70 + 1, rng(&mut s) % 4 + 1, rng(&mut s) % 7)
            } else {
                let names = rng(&mut s) as usize % (vocab.len() + 1);
                spec_v2(
                    &vocab,
                    names,
                    rng(&mut s) % 4 + 1,
                    rng(&mut s) % 70 + 1,
                    rng(&mut s) % 4 + 1,
                    rng(&mut s) % 7,
                )
            };
            let len = (rng(&mut s) % 120 + 1) as usize;
            let data: Vec<u8> = if round % 3 == 0 {
                (0..len).map(|_| rng(&mut s) as u8).collect()
            } else if round % 3 == 1 {
                (0..len).map(|_| alphabet[rng(&mut s) as usize % alphabet.len()]).collect()
            } else {
                // vocabulary words with one random edit each
                let mut out = vec![];
                while out.len() < len {
                    let mut w = VOCAB[rng(&mut s) as usize % VOCAB.len()].as_bytes().to_vec();
                    let at = rng(&mut s) as usize % w.len();
                    match rng(&mut s) % 4 {
                        0 => drop(w.remove(at)),
                        1 => w.insert(at, b'a' + (rng(&mut s) % 26) as u8),
                        2 => w[at] = b'a' + (rng(&mut s) % 26) as u8,
                        _ => {
                            let next = (at + 1).min(w.len() - 1);
                            w.swap(at, next);
                        }
                    }
                    out.extend_from_slice(&w);
                    out.push(b' ');
                }
                out.truncate(len);
                out
            };
            assert_eq!(featurize(&data, &sp).unwrap(), reference(&data, &sp), "{data:?} {sp:?}");
        }
    }

    #[test]
    fn rejects_like_python() {
        let s = spec(&VOCAB, 32, 3, 5);
        assert_eq!(featurize(b"", &s), Err(CoreError::EmptyPrompt));
        assert_eq!(featurize(&[b'a'; 192], &s).map(|v| v.len()), Ok(44));
        assert_eq!(featurize(&[b'a'; 193], &s), Err(CoreError::PromptTooLong { len: 193, limit: 192 }));
    }

    #[test]
    fn batch_gives_one_result_per_prompt() {
        let s = spec(&VOCAB, 32, 3, 5);
        let mut prompts: Vec<Vec<u8>> =
            (0..3000).map(|i| format!("swap {i} eth for usdc").into_bytes()).collect();
        prompts[1234].clear();
        let out = featurize_batch(&prompts, &s);
        assert_eq!(out.len(), prompts.len());
        for (p, r) in prompts.iter().zip(&out) {
            assert_eq!(r, &featurize(p, &s));
        }
        assert_eq!(out[1234], Err(CoreError::EmptyPrompt));
    }
}
