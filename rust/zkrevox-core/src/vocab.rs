//! The vocabulary tables (docs/FEATURIZER.md section 4): `EXACT` and `FUZZY`,
//! maps from a word's 32-bit `fnv1a` to its slot (version 1: its vocabulary index), first
//! writer wins.
//!
//! Membership is by hash, as in the spec: no word is ever compared byte by byte.

use crate::featurize::{fnv1a, FNV_OFFSET, FNV_PRIME};

/// An open-addressing map `u32 → u32` (linear probing, load ≤ 1/2), built once per spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HashIndex {
    /// `key << 32 | (value + 1)`; 0 is an empty slot.
    slots: Vec<u64>,
    shift: u32,
}

impl HashIndex {
    /// An empty map with room for `n` keys.
    fn with_capacity(n: usize) -> Self {
        let bits = (2 * n.max(1)).next_power_of_two().trailing_zeros().max(1);
        Self { slots: vec![0; 1 << bits], shift: 32 - bits }
    }

    #[inline]
    fn home(&self, key: u32) -> usize {
        (key.wrapping_mul(0x9E37_79B1) >> self.shift) as usize
    }

    /// Insert unless `key` is present (the first writer wins).
    fn insert_first(&mut self, key: u32, value: u32) {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                self.slots[i] = (u64::from(key) << 32) | (u64::from(value) + 1);
                return;
            }
            if (slot >> 32) as u32 == key {
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: u32) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return None;
            }
            if (slot >> 32) as u32 == key {
                return Some((slot as u32 - 1) as usize);
            }
            i = (i + 1) & mask;
        }
    }
}

/// Continue an FNV-1a state over `bytes`.
#[inline]
fn fnv_from(h: u32, bytes: &[u8]) -> u32 {
    bytes.iter().fold(h, |h, &b| (h ^ u32::from(b)).wrapping_mul(FNV_PRIME))
}

/// Call `f(fnv1a(del_j(word)))` for `j = 0 … len−1` until it returns `Some`.
#[inline]
fn find_deletion(word: &[u8], mut f: impl FnMut(u32) -> Option<usize>) -> Option<usize> {
    let mut prefix = FNV_OFFSET;
    for (j, &b) in word.iter().enumerate() {
        if let Some(i) = f(fnv_from(prefix, &word[j + 1..])) {
            return Some(i);
        }
        prefix = fnv_from(prefix, &[b]);
    }
    None
}

/// The `EXACT` and `FUZZY` tables of a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tables {
    exact: HashIndex,
    fuzzy: HashIndex,
    fuzzy_min_len: usize,
}

impl Tables {
    /// Build the tables (the vocabulary and `slots` are already validated). Only words of a
    /// name slot (`slots[i] < name_slots`) enter `FUZZY`: context words match exactly.
    pub fn new(vocab: &[String], slots: &[u32], name_slots: u32, fuzzy_min_len: u32) -> Self {
        let fuzzy_min_len = fuzzy_min_len as usize;
        let mut exact = HashIndex::with_capacity(vocab.len());
        for (w, &slot) in vocab.iter().zip(slots) {
            exact.insert_first(fnv1a(w.as_bytes()), slot);
        }
        let fuzzy_words: Vec<(&String, u32)> = vocab
            .iter()
            .zip(slots.iter().copied())
            .filter(|&(w, slot)| fuzzy_min_len > 0 && w.len() >= fuzzy_min_len && slot < name_slots)
            .collect();
        let mut fuzzy = HashIndex::with_capacity(fuzzy_words.iter().map(|(w, _)| w.len()).sum());
        for (w, slot) in fuzzy_words {
            find_deletion(w.as_bytes(), |h| {
                fuzzy.insert_first(h, slot);
                None
            });
        }
        Self { exact, fuzzy, fuzzy_min_len }
    }

    /// The slot of a normalized word, exact or within one edit (section 4).
    #[inline]
    pub fn slot(&self, word: &[u8], h: u32) -> Option<usize> {
        let exact = self.exact.get(h);
        if exact.is_some() || self.fuzzy_min_len == 0 || word.len() < self.fuzzy_min_len {
            return exact;
        }
        self.fuzzy
            .get(h)
            .or_else(|| find_deletion(word, |hd| self.exact.get(hd).or_else(|| self.fuzzy.get(hd))))
    }
}

/// Bytes that are words of their own in version 2 (section 7).
pub const MARKS: &[u8; 4] = b"$-./";

/// Whether `word` is a normalized word of featurizer `version`: its own and only word
/// (section 2; version 2 adds the one-byte mark words, section 7).
pub fn is_normalized(word: &[u8], version: u32) -> bool {
    if version >= 2 && word.len() == 1 && MARKS.contains(&word[0]) {
        return true;
    }
    !word.is_empty()
        && word.iter().all(|&b| b.is_ascii_lowercase() || b == b'0')
        && !word.windows(2).any(|p| p == b"00")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(words: &[&str], fuzzy_min_len: u32) -> Tables {
        let slots: Vec<u32> = (0..words.len() as u32).collect();
        Tables::new(
            &words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>(),
            &slots,
            words.len() as u32,
            fuzzy_min_len,
        )
    }

    fn slot(t: &Tables, w: &str) -> Option<usize> {
        t.slot(w.as_bytes(), fnv1a(w.as_bytes()))
    }

    #[test]
    fn hash_index_first_writer_wins() {
        let mut m = HashIndex::with_capacity(100);
        for k in 0..100u32 {
            m.insert_first(k.wrapping_mul(0x0100_0000), k);
            m.insert_first(k.wrapping_mul(0x0100_0000), 1000);
        }
        for k in 0..100u32 {
            assert_eq!(m.get(k.wrapping_mul(0x0100_0000)), Some(k as usize));
        }
        assert_eq!(m.get(7), None);
        assert_eq!(HashIndex::with_capacity(0).get(0), None);
    }

    #[test]
    fn one_edit_lookup() {
        let t = tables(&["eth", "ethereum", "chainlink", "tether"], 5);
        assert_eq!(slot(&t, "eth"), Some(0));
        assert_eq!(slot(&t, "etherium"), Some(1)); // replaced letter: del_5 of both is "ethereum"→"etherum"
        assert_eq!(slot(&t, "ethereumm"), Some(1)); // added letter
        assert_eq!(slot(&t, "ethreum"), Some(1)); // dropped letter
        assert_eq!(slot(&t, "chainlnk"), Some(2));
        assert_eq!(slot(&t, "tehter"), Some(3)); // swapped letters
        assert_eq!(slot(&t, "ethh"), None); // short words match exactly only
        assert_eq!(slot(&t, "bitcoin"), None);
        let off = tables(&["ethereum"], 0);
        assert_eq!(slot(&off, "etherium"), None);
        assert_eq!(slot(&off, "ethereum"), Some(0));
    }

    #[test]
    fn normalized_words() {
        for w in ["a", "0", "0inch", "a0b0", "eth"] {
            assert!(is_normalized(w.as_bytes(), 1), "{w}");
            assert!(is_normalized(w.as_bytes(), 2), "{w}");
        }
        for w in ["", "A", "1inch", "00", "a00", "e th", "\u{e9}", "a-b", "$$", "$a"] {
            assert!(!is_normalized(w.as_bytes(), 1), "{w}");
            assert!(!is_normalized(w.as_bytes(), 2), "{w}");
        }
        for w in ["$", "-", ".", "/"] {
            assert!(!is_normalized(w.as_bytes(), 1), "{w}");
            assert!(is_normalized(w.as_bytes(), 2), "{w}");
        }
    }
}
