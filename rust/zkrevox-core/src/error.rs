//! The one error type of the core crate.
//!
//! Every message names what was wrong and what to do next. The binding crate
//! maps each variant onto the Python hierarchy in `zkrevox.errors` in one place.

/// An error from any part of the core: featurizer, field encoding, batching or calldata.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoreError {
    // ---- prompts (messages match python/zkrevox/featurize.py) ----
    /// The prompt has no bytes.
    #[error("empty prompt; send at least one character")]
    EmptyPrompt,
    /// The prompt is longer than the spec's `max_bytes`.
    #[error(
        "prompt is {len} bytes, limit is {limit}; shorten it \
         (prompts are rejected, never truncated, on-chain too)"
    )]
    PromptTooLong { len: usize, limit: u32 },
    /// A text prompt holds a lone surrogate, which has no UTF-8 encoding (bytes prompts are
    /// never refused for their content: the featurizer is defined on bytes).
    #[error("prompt text has a lone surrogate, which UTF-8 cannot encode; send the prompt as bytes")]
    PromptSurrogate,
    /// The prompt is neither text nor bytes (`type_name` is the caller's name for its type).
    #[error("prompt must be str or bytes, not {type_name}")]
    PromptType { type_name: String },
    /// A batch of prompts was given as something other than a sequence of prompts.
    #[error("prompts must be a list of prompts, not {type_name}")]
    NotABatch { type_name: String },
    /// A prompt of a batch failed; `index` is its position in the batch.
    #[error("prompt {index} of the batch: {source}")]
    InBatch {
        index: usize,
        #[source]
        source: Box<CoreError>,
    },

    // ---- feature specs (messages match FeatureSpec.validate / from_dict) ----
    /// A number of the spec is out of range.
    #[error("trigram_buckets, clip and max_bytes must be >= 1, fuzzy_min_len >= 0")]
    SpecNumbers,
    /// A vocabulary entry is not a normalized word (`word_repr` is Python's `repr` of it).
    #[error("vocabulary entry {word_repr} is not a normalized word (see FEATURIZER.md §2)")]
    SpecVocabWord { word_repr: String },
    /// The vocabulary lists a word twice.
    #[error("vocabulary has duplicate words")]
    SpecVocabDuplicate,
    /// An input spec of another featurizer version.
    #[error("featurizer version {version} is not supported (this is versions 1 and 2); upgrade zkrevox")]
    SpecVersion { version: String },
    /// A version-1 spec with context slots.
    #[error("context_slots needs featurizer version 2")]
    SpecContextV1,
    /// Version 2: `slots` does not give one slot per vocabulary word.
    #[error("slots has {got} entries for {words} vocabulary words")]
    SpecSlotsLength { got: usize, words: usize },
    /// Version 2: the slots skip one, or one is negative.
    #[error("slots must use every slot 0 .. max(slots), and only those (FEATURIZER.md §7)")]
    SpecSlotsCover,
    /// Version 2: `context_slots` out of range.
    #[error("context_slots is {got}; version 2 needs 1 .. min(slots, 255)")]
    SpecContextSlots { got: i64 },
    /// A field is too large for the Rust featurizer.
    #[error("{field} is {got}, the largest supported is {max}; use a smaller spec")]
    SpecTooLarge { field: &'static str, got: i64, max: u64 },

    /// A count does not fit the one-byte-per-feature form.
    #[error(
        "a feature count is {count}, more than one byte holds; use the list API or a spec with clip <= 255"
    )]
    CountOverByte { count: u32 },

    // ---- fixed point and field elements ----
    /// A float cannot be quantized into a 64-bit fixed-point integer.
    #[error("cannot quantize {value} at scale {scale}: {reason}")]
    Quantize { value: f64, scale: u32, reason: &'static str },
    /// A fixed-point scale is larger than supported.
    #[error("scale {scale} is too large; the largest supported scale is {max}")]
    ScaleTooLarge { scale: u32, max: u32 },
    /// A quantized feature overflows a 64-bit integer.
    #[error("feature value {value} at scale {scale} does not fit in 64 bits; lower the scale or the clip")]
    QuantizedOverflow { value: u32, scale: u32 },
    /// 32 bytes that encode an integer >= the BN254 scalar modulus.
    #[error("0x{be_hex} is not a BN254 scalar field element (it is >= r); reduce it mod r or check its byte order")]
    NotInField { be_hex: String },
    /// A field element hex string is malformed.
    #[error(
        "bad field element hex {input:?}: {reason}; expected 64 hex digits, little-endian (ezkl's format)"
    )]
    FeltHex { input: String, reason: String },
    /// A big-endian field element is not 32 bytes.
    #[error("a field element is 32 bytes, got {len}")]
    FeltLength { len: usize },
    /// A field element's signed value does not fit in an `i128`.
    #[error("field element 0x{be_hex} is not a signed 128-bit integer (|value| > 2^127)")]
    FeltNotSmall { be_hex: String },

    // ---- ABI calldata ----
    /// A function signature cannot be parsed or uses an unsupported type.
    #[error("bad function signature {signature:?}: {reason}")]
    AbiSignature { signature: String, reason: String },
    /// The arguments do not match the signature.
    #[error("argument {index} of {signature}: {reason}")]
    AbiArgument { signature: String, index: usize, reason: String },
    /// Calldata cannot be decoded.
    #[error("cannot decode calldata for {signature}: {reason}")]
    AbiDecode { signature: String, reason: String },
}

impl CoreError {
    /// Wrap an error of the batch item at `index`.
    #[must_use]
    pub fn in_batch(self, index: usize) -> Self {
        Self::InBatch { index, source: Box::new(self) }
    }
}
