//! zkrevox core: everything the provider node computes outside the circuit,
//! with no Python in it.
//!
//! - [`featurize`]: the prompt featurizer (docs/FEATURIZER.md), bit-identical
//!   to the Python reference and the Solidity library;
//! - [`field`]: fixed point and BN254 field elements in ezkl's and the EVM's encodings;
//! - [`batch`]: a batch of prompts as one matrix of quantized circuit inputs;
//! - [`calldata`]: EVM ABI calldata for the verifier.
//!
//! 256-bit integers, hex, Keccak and the ABI coders are alloy's
//! (`alloy-primitives`' `U256`, i.e. ruint; `alloy-sol-types`; `alloy-dyn-abi`).

pub mod batch;
pub mod calldata;
pub mod error;
pub mod featurize;
pub mod field;
pub mod parallel;
mod spec;
pub mod vocab;

pub use batch::{featurize_matrix, featurize_quantized_batch, FeatureMatrix, QuantizedBatch};
pub use calldata::{
    decode_call, decode_verify_proof, encode_call, encode_verify_proof, AbiType, AbiValue, Signature,
};
pub use error::CoreError;
pub use featurize::{
    counts_to_bytes, featurize, featurize_batch, featurize_bytes_into, featurize_into, FeatureSpec,
};
pub use field::{dequantize, felt_to_int, int_to_felt, quantize, Felt};
pub use spec::{FEATURIZER_VERSION, MAX_FEATURES};
