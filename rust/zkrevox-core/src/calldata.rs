//! EVM ABI calldata: `selector ‖ head ‖ tail` for the few types a verifier call needs.
//!
//! Matches `eth_abi.encode` (Solidity ABI v2). Supported types: `uint256`,
//! `address`, `bytes` and `uint256[]`. The encoding itself is alloy's: the
//! typed `sol!` call for ezkl's `verifyProof`, `alloy-dyn-abi` for any other
//! signature; this module checks a signature names only the supported types
//! and keeps this crate's error messages.

use alloy_dyn_abi::{DynSolType, DynSolValue};
use alloy_primitives::{Address, U256};
use alloy_sol_types::abi::{self, token::DynSeqToken, token::PackedSeqToken, token::WordToken};
use alloy_sol_types::{sol, SolCall};

use crate::error::CoreError;
use crate::field::Felt;

pub use alloy_primitives::keccak256;

sol! {
    /// ezkl's EVM verifier entry point.
    function verifyProof(bytes proof, uint256[] instances) external returns (bool);
}

/// The signature of ezkl's EVM verifier entry point.
pub const VERIFY_PROOF: &str = verifyProofCall::SIGNATURE;

/// An ABI type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbiType {
    /// `uint256`.
    Uint256,
    /// `address` (a `uint256` below 2^160).
    Address,
    /// `bytes`, dynamic.
    Bytes,
    /// `uint256[]`, dynamic.
    Uint256Array,
}

impl AbiType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "uint256" => Self::Uint256,
            "address" => Self::Address,
            "bytes" => Self::Bytes,
            "uint256[]" => Self::Uint256Array,
            _ => return None,
        })
    }

    /// The type alloy decodes: an `address` is read as its whole word, so that
    /// non-zero high bytes are an error here rather than silently dropped.
    fn decoded_as(self) -> DynSolType {
        match self {
            Self::Uint256 | Self::Address => DynSolType::Uint(256),
            Self::Bytes => DynSolType::Bytes,
            Self::Uint256Array => DynSolType::Array(Box::new(DynSolType::Uint(256))),
        }
    }
}

/// An ABI value; integers are 32 big-endian bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbiValue {
    /// A `uint256` or an `address`.
    Uint([u8; 32]),
    /// `bytes`.
    Bytes(Vec<u8>),
    /// `uint256[]`.
    UintArray(Vec<[u8; 32]>),
}

/// A parsed function signature such as `verifyProof(bytes,uint256[])`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    text: String,
    params: Vec<AbiType>,
}

impl Signature {
    /// Parse a canonical signature: `name(type,type,…)` with no spaces.
    pub fn parse(signature: &str) -> Result<Self, CoreError> {
        let bad = |reason: &str| CoreError::AbiSignature {
            signature: signature.to_owned(),
            reason: reason.to_owned(),
        };
        let (name, rest) = signature.split_once('(').ok_or_else(|| bad("expected name(type,…)"))?;
        let inner = rest.strip_suffix(')').ok_or_else(|| bad("expected name(type,…)"))?;
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) || !name.chars().all(ident) {
            return Err(bad("the function name is not an identifier"));
        }
        let params = if inner.is_empty() {
            vec![]
        } else {
            inner
                .split(',')
                .map(|t| {
                    AbiType::parse(t).ok_or_else(|| {
                        bad(&format!(
                            "type {t:?} is not supported (use uint256, address, bytes or uint256[]; no spaces)"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?
        };
        Ok(Self { text: signature.to_owned(), params })
    }

    /// The parameter types.
    pub fn params(&self) -> &[AbiType] {
        &self.params
    }

    /// The 4-byte selector: the first bytes of `keccak256(signature)`.
    pub fn selector(&self) -> [u8; 4] {
        keccak256(self.text.as_bytes())[..4].try_into().expect("4 bytes")
    }

    fn arg_error(&self, index: usize, reason: impl Into<String>) -> CoreError {
        CoreError::AbiArgument { signature: self.text.clone(), index, reason: reason.into() }
    }

    fn decode_error(&self, reason: impl Into<String>) -> CoreError {
        CoreError::AbiDecode { signature: self.text.clone(), reason: reason.into() }
    }

    /// The arguments after a selector that must be this signature's.
    fn body<'a>(&self, data: &'a [u8]) -> Result<&'a [u8], CoreError> {
        match data.split_first_chunk::<4>() {
            Some((selector, body)) if *selector == self.selector() => Ok(body),
            _ => Err(self.decode_error("the selector does not match")),
        }
    }

    fn alloy_decode_error(&self, e: &alloy_sol_types::Error, len: usize) -> CoreError {
        self.decode_error(match e {
            alloy_sol_types::Error::Overrun => {
                format!("an offset or length points past the end of the arguments ({len} bytes)")
            }
            e => e.to_string(),
        })
    }
}

/// Encode a call: selector, then the arguments' heads and tails.
pub fn encode_call(signature: &str, args: &[AbiValue]) -> Result<Vec<u8>, CoreError> {
    let sig = Signature::parse(signature)?;
    if args.len() != sig.params.len() {
        return Err(
            sig.arg_error(args.len(), format!("expected {} arguments, got {}", sig.params.len(), args.len()))
        );
    }
    let values = sig
        .params
        .iter()
        .zip(args)
        .enumerate()
        .map(|(i, (ty, value))| match (ty, value) {
            (AbiType::Uint256, AbiValue::Uint(v)) => Ok(DynSolValue::Uint(U256::from_be_bytes(*v), 256)),
            (AbiType::Address, AbiValue::Uint(v)) => match v.split_at(12) {
                (high, low) if high.iter().all(|&b| b == 0) => {
                    Ok(DynSolValue::Address(Address::from_slice(low)))
                }
                _ => Err(sig.arg_error(i, "an address is below 2^160")),
            },
            (AbiType::Bytes, AbiValue::Bytes(b)) => Ok(DynSolValue::Bytes(b.clone())),
            (AbiType::Uint256Array, AbiValue::UintArray(items)) => Ok(DynSolValue::Array(
                items.iter().map(|v| DynSolValue::Uint(U256::from_be_bytes(*v), 256)).collect(),
            )),
            (ty, value) => Err(sig.arg_error(i, format!("a {ty:?} cannot take {value:?}"))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let params = DynSolValue::Tuple(values).abi_encode_params();
    let mut out = Vec::with_capacity(4 + params.len());
    out.extend_from_slice(&sig.selector());
    out.extend_from_slice(&params);
    Ok(out)
}

/// Decode calldata of `signature` (checks the selector and every offset and length).
pub fn decode_call(signature: &str, data: &[u8]) -> Result<Vec<AbiValue>, CoreError> {
    let sig = Signature::parse(signature)?;
    let body = sig.body(data)?;
    let ty = DynSolType::Tuple(sig.params.iter().map(|t| t.decoded_as()).collect());
    let DynSolValue::Tuple(values) = ty.abi_decode_params(body).map_err(|e| match e {
        alloy_dyn_abi::Error::SolTypes(e) => sig.alloy_decode_error(&e, body.len()),
        e => sig.decode_error(e.to_string()),
    })?
    else {
        unreachable!("a tuple type decodes to a tuple")
    };
    let word = |v: &DynSolValue| match v {
        DynSolValue::Uint(u, 256) => u.to_be_bytes::<32>(),
        v => unreachable!("a uint256 decodes to a uint256, not {v:?}"),
    };
    sig.params
        .iter()
        .zip(values)
        .enumerate()
        .map(|(i, (ty, v))| match (ty, v) {
            (AbiType::Uint256, v) => Ok(AbiValue::Uint(word(&v))),
            (AbiType::Address, v) => match word(&v) {
                w if w[..12].iter().all(|&b| b == 0) => Ok(AbiValue::Uint(w)),
                _ => Err(sig.decode_error(format!("argument {i} is not an address"))),
            },
            (AbiType::Bytes, DynSolValue::Bytes(b)) => Ok(AbiValue::Bytes(b)),
            (AbiType::Uint256Array, DynSolValue::Array(items)) => {
                Ok(AbiValue::UintArray(items.iter().map(word).collect()))
            }
            (ty, v) => unreachable!("a {ty:?} decodes to its own type, not {v:?}"),
        })
        .collect()
}

/// Calldata for ezkl's verifier: `verifyProof(bytes proof, uint256[] instances)`.
pub fn encode_verify_proof(proof: &[u8], instances: &[Felt]) -> Vec<u8> {
    // The tokens `verifyProofCall::abi_encode` would build, made straight from the
    // borrowed proof and the field elements: building the call's owned `Bytes` and
    // `Vec<U256>` first measured 1.2× (180 instances) to 3× (2,880) slower.
    let instances = instances.iter().map(|f| WordToken(f.to_be_bytes().into())).collect();
    let params = abi::encode_params(&(PackedSeqToken(proof), DynSeqToken(instances)));
    let mut out = Vec::with_capacity(4 + params.len());
    out.extend_from_slice(&verifyProofCall::SELECTOR);
    out.extend_from_slice(&params);
    out
}

/// The proof and the instances (big-endian `uint256`s) of `verifyProof` calldata.
pub fn decode_verify_proof(data: &[u8]) -> Result<(Vec<u8>, Vec<[u8; 32]>), CoreError> {
    let sig = Signature::parse(VERIFY_PROOF)?;
    let body = sig.body(data)?;
    let call = verifyProofCall::abi_decode_raw(body).map_err(|e| sig.alloy_decode_error(&e, body.len()))?;
    Ok((call.proof.into(), call.instances.iter().map(U256::to_be_bytes).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uint(n: u64) -> [u8; 32] {
        U256::from(n).to_be_bytes()
    }

    #[test]
    fn selectors() {
        // well-known: transfer(address,uint256) = a9059cbb
        assert_eq!(
            Signature::parse("transfer(address,uint256)").unwrap().selector(),
            [0xa9, 0x05, 0x9c, 0xbb]
        );
        assert_eq!(
            keccak256(b"")[..4],
            [0xc5, 0xd2, 0x46, 0x01],
            "keccak256 of nothing starts c5d24601 (not SHA3-256's a7ffc6f8)"
        );
    }

    #[test]
    fn encodes_head_and_tail() {
        let data = encode_call(
            "f(bytes,uint256[],uint256)",
            &[
                AbiValue::Bytes(vec![0xab; 33]),
                AbiValue::UintArray(vec![uint(1), uint(2)]),
                AbiValue::Uint(uint(7)),
            ],
        )
        .unwrap();
        let body = &data[4..];
        assert_eq!(body.len(), 32 * 3 + 32 + 64 + 32 + 64);
        assert_eq!(body[..32], uint(96));
        assert_eq!(body[32..64], uint(96 + 96));
        assert_eq!(body[64..96], uint(7));
        assert_eq!(body[96..128], uint(33));
        assert_eq!(body[128 + 33..192], [0; 31]);
        assert_eq!(body[192..224], uint(2));
    }

    #[test]
    fn verify_proof_round_trips() {
        for (plen, n) in [(0usize, 0), (1, 1), (32, 3), (1000, 17)] {
            let proof: Vec<u8> = (0..plen).map(|i| (i * 7) as u8).collect();
            let instances: Vec<Felt> = (0..n).map(|i| Felt::from_i128(i128::from(i) - 5)).collect();
            let data = encode_verify_proof(&proof, &instances);
            let call = verifyProofCall {
                proof: proof.clone().into(),
                instances: instances.iter().map(|&f| f.into()).collect(),
            };
            assert_eq!(data, call.abi_encode(), "the token shortcut is the call's own encoding");
            let args = [
                AbiValue::Bytes(proof.clone()),
                AbiValue::UintArray(instances.iter().map(Felt::to_be_bytes).collect()),
            ];
            assert_eq!(data, encode_call(VERIFY_PROOF, &args).unwrap());
            let (p, inst) = decode_verify_proof(&data).unwrap();
            assert_eq!(p, proof);
            assert_eq!(inst, instances.iter().map(Felt::to_be_bytes).collect::<Vec<_>>());
        }
    }

    #[test]
    fn rejects_bad_signatures_arguments_and_calldata() {
        assert!(matches!(Signature::parse("f(uint)"), Err(CoreError::AbiSignature { .. })));
        assert!(matches!(Signature::parse("f(bytes, uint256[])"), Err(CoreError::AbiSignature { .. })));
        assert!(matches!(Signature::parse("1f()"), Err(CoreError::AbiSignature { .. })));
        assert!(matches!(Signature::parse("f"), Err(CoreError::AbiSignature { .. })));
        assert_eq!(Signature::parse("f()").unwrap().params(), &[]);
        assert!(matches!(encode_call("f(uint256)", &[]), Err(CoreError::AbiArgument { .. })));
        assert!(matches!(
            encode_call("f(bytes)", &[AbiValue::Uint(uint(1))]),
            Err(CoreError::AbiArgument { .. })
        ));
        assert!(matches!(
            encode_call("f(address)", &[AbiValue::Uint([1; 32])]),
            Err(CoreError::AbiArgument { .. })
        ));
        let data = encode_verify_proof(&[1, 2, 3], &[Felt::from_i128(1)]);
        assert!(matches!(decode_verify_proof(&data[..data.len() - 1]), Err(CoreError::AbiDecode { .. })));
        assert!(matches!(decode_verify_proof(&data[..3]), Err(CoreError::AbiDecode { .. })));
        let mut wrong = data.clone();
        wrong[0] ^= 1;
        assert!(matches!(decode_verify_proof(&wrong), Err(CoreError::AbiDecode { .. })));
        let mut huge = data;
        huge[4 + 31] = 0xff; // offset of the proof past the end
        assert!(matches!(decode_verify_proof(&huge), Err(CoreError::AbiDecode { .. })));
    }
}
