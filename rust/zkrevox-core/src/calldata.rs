//! EVM ABI calldata: `selector ‖ head ‖ tail` for the few types a verifier call needs.
//!
//! Matches `eth_abi.encode` (Solidity ABI v2). Supported types: `uint256`,
//! `address`, `bytes` and `uint256[]`.

use tiny_keccak::{Hasher, Keccak};

use crate::error::CoreError;
use crate::field::Felt;

/// The signature of ezkl's EVM verifier entry point.
pub const VERIFY_PROOF: &str = "verifyProof(bytes,uint256[])";

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
        let h = keccak256(self.text.as_bytes());
        [h[0], h[1], h[2], h[3]]
    }

    fn arg_error(&self, index: usize, reason: impl Into<String>) -> CoreError {
        CoreError::AbiArgument { signature: self.text.clone(), index, reason: reason.into() }
    }

    fn decode_error(&self, reason: impl Into<String>) -> CoreError {
        CoreError::AbiDecode { signature: self.text.clone(), reason: reason.into() }
    }
}

/// Keccak-256 (Ethereum's, not NIST SHA3-256).
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut k = Keccak::v256();
    k.update(data);
    let mut out = [0; 32];
    k.finalize(&mut out);
    out
}

fn word(n: usize) -> [u8; 32] {
    let mut w = [0; 32];
    w[24..].copy_from_slice(&(n as u64).to_be_bytes());
    w
}

/// Encode a call: selector, then the arguments' heads and tails.
pub fn encode_call(signature: &str, args: &[AbiValue]) -> Result<Vec<u8>, CoreError> {
    let sig = Signature::parse(signature)?;
    if args.len() != sig.params.len() {
        return Err(
            sig.arg_error(args.len(), format!("expected {} arguments, got {}", sig.params.len(), args.len()))
        );
    }
    let mut head = Vec::with_capacity(32 * args.len());
    let mut tail = Vec::new();
    for (i, (ty, value)) in sig.params.iter().zip(args).enumerate() {
        match (ty, value) {
            (AbiType::Uint256, AbiValue::Uint(v)) => head.extend_from_slice(v),
            (AbiType::Address, AbiValue::Uint(v)) if v[..12].iter().all(|&b| b == 0) => {
                head.extend_from_slice(v);
            }
            (AbiType::Address, AbiValue::Uint(_)) => {
                return Err(sig.arg_error(i, "an address is below 2^160"))
            }
            (AbiType::Bytes, AbiValue::Bytes(b)) => {
                head.extend_from_slice(&word(32 * args.len() + tail.len()));
                tail.extend_from_slice(&word(b.len()));
                tail.extend_from_slice(b);
                tail.resize(tail.len().next_multiple_of(32), 0);
            }
            (AbiType::Uint256Array, AbiValue::UintArray(items)) => {
                head.extend_from_slice(&word(32 * args.len() + tail.len()));
                tail.extend_from_slice(&word(items.len()));
                for v in items {
                    tail.extend_from_slice(v);
                }
            }
            (ty, value) => return Err(sig.arg_error(i, format!("a {ty:?} cannot take {value:?}"))),
        }
    }
    let mut out = Vec::with_capacity(4 + head.len() + tail.len());
    out.extend_from_slice(&sig.selector());
    out.extend_from_slice(&head);
    out.extend_from_slice(&tail);
    Ok(out)
}

/// Decode calldata of `signature` (checks the selector and every offset and length).
pub fn decode_call(signature: &str, data: &[u8]) -> Result<Vec<AbiValue>, CoreError> {
    let sig = Signature::parse(signature)?;
    if data.len() < 4 || data[..4] != sig.selector() {
        return Err(sig.decode_error("the selector does not match"));
    }
    let body = &data[4..];
    let read = |at: usize| -> Result<[u8; 32], CoreError> {
        at.checked_add(32)
            .and_then(|end| body.get(at..end))
            .map(|w| w.try_into().expect("32 bytes"))
            .ok_or_else(|| {
                sig.decode_error(format!("word at byte {at} is past the end ({} bytes)", body.len()))
            })
    };
    let read_len = |at: usize| -> Result<usize, CoreError> {
        let w = read(at)?;
        if w[..24].iter().any(|&b| b != 0) {
            return Err(sig.decode_error(format!("offset or length at byte {at} is too large")));
        }
        usize::try_from(u64::from_be_bytes(w[24..].try_into().expect("8 bytes")))
            .map_err(|_| sig.decode_error(format!("offset or length at byte {at} is too large")))
    };
    let too_long = || sig.decode_error("a length runs past the end of the calldata");
    sig.params
        .iter()
        .enumerate()
        .map(|(i, ty)| match ty {
            AbiType::Uint256 => read(32 * i).map(AbiValue::Uint),
            AbiType::Address => {
                let w = read(32 * i)?;
                if w[..12].iter().any(|&b| b != 0) {
                    return Err(sig.decode_error(format!("argument {i} is not an address")));
                }
                Ok(AbiValue::Uint(w))
            }
            AbiType::Bytes => {
                let at = read_len(32 * i)?;
                let len = read_len(at)?;
                let start = at.checked_add(32).ok_or_else(too_long)?;
                let end = start.checked_add(len).ok_or_else(too_long)?;
                body.get(start..end).map(|b| AbiValue::Bytes(b.to_vec())).ok_or_else(too_long)
            }
            AbiType::Uint256Array => {
                let at = read_len(32 * i)?;
                let len = read_len(at)?;
                let start = at.checked_add(32).ok_or_else(too_long)?;
                if len > body.len() / 32 {
                    return Err(too_long());
                }
                (0..len)
                    .map(|k| read(start.saturating_add(32 * k)))
                    .collect::<Result<_, _>>()
                    .map(AbiValue::UintArray)
            }
        })
        .collect()
}

/// Calldata for ezkl's verifier: `verifyProof(bytes proof, uint256[] instances)`.
pub fn encode_verify_proof(proof: &[u8], instances: &[Felt]) -> Vec<u8> {
    let args = [
        AbiValue::Bytes(proof.to_vec()),
        AbiValue::UintArray(instances.iter().map(Felt::to_be_bytes).collect()),
    ];
    encode_call(VERIFY_PROOF, &args).expect("verifyProof arguments match its signature")
}

/// The proof and the instances (big-endian `uint256`s) of `verifyProof` calldata.
pub fn decode_verify_proof(data: &[u8]) -> Result<(Vec<u8>, Vec<[u8; 32]>), CoreError> {
    match decode_call(VERIFY_PROOF, data)?.as_slice() {
        [AbiValue::Bytes(proof), AbiValue::UintArray(instances)] => Ok((proof.clone(), instances.clone())),
        _ => unreachable!("decode_call returns values of the signature's types"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uint(n: u64) -> [u8; 32] {
        word(n as usize)
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
