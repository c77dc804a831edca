//! Fixed point and BN254 scalar-field elements, in ezkl's encodings.
//!
//! - quantization: `x · 2^scale`, rounded half away from zero (ezkl's `quantize_float`);
//! - signed integers: `v >= 0` is `v`, `v < 0` is `r − |v|`; elements above `(r − 1)/2` read back negative;
//! - ezkl's JSON (witness, proof instances, `float_to_felt`): 64 hex digits of the
//!   element's 32 bytes in **little-endian** order, no `0x` (a `0x` prefix is accepted on input);
//! - the EVM: a `uint256`, i.e. the same 32 bytes **big-endian**.

use alloy_primitives::{hex, uint, U256};

use crate::error::CoreError;

/// The BN254 scalar field modulus r, big-endian hex.
pub const MODULUS_HEX: &str = "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

/// r.
pub const MODULUS: U256 = uint!(0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001_U256);

/// (r − 1) / 2: the largest element that reads back as non-negative.
const HALF: U256 = MODULUS.wrapping_shr(1);

/// Largest fixed-point scale accepted (`2^scale` must leave room in 64 bits).
pub const MAX_SCALE: u32 = 62;

/// An element of the BN254 scalar field, always reduced (`< r`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Felt(U256);

impl Felt {
    /// Zero.
    pub const ZERO: Self = Self(U256::ZERO);

    /// From an integer; rejects values `>= r`.
    pub fn from_u256(v: U256) -> Result<Self, CoreError> {
        if v < MODULUS {
            Ok(Self(v))
        } else {
            Err(CoreError::NotInField { be_hex: hex::encode(v.to_be_bytes::<32>()) })
        }
    }

    /// The element as an integer in `[0, r)` (an EVM `uint256`).
    pub const fn to_u256(self) -> U256 {
        self.0
    }

    /// From 32 little-endian bytes; rejects values `>= r`.
    pub fn from_le_bytes(bytes: [u8; 32]) -> Result<Self, CoreError> {
        Self::from_u256(U256::from_le_bytes(bytes))
    }

    /// From 32 big-endian bytes (an EVM `uint256`); rejects values `>= r`.
    pub fn from_be_bytes(bytes: [u8; 32]) -> Result<Self, CoreError> {
        Self::from_u256(U256::from_be_bytes(bytes))
    }

    /// From a big-endian slice that must be 32 bytes long.
    pub fn from_be_slice(bytes: &[u8]) -> Result<Self, CoreError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| CoreError::FeltLength { len: bytes.len() })?;
        Self::from_be_bytes(arr)
    }

    /// The 32 little-endian bytes.
    pub fn to_le_bytes(&self) -> [u8; 32] {
        self.0.to_le_bytes()
    }

    /// The 32 big-endian bytes (the EVM `uint256`).
    pub fn to_be_bytes(&self) -> [u8; 32] {
        self.0.to_be_bytes()
    }

    /// A signed integer as a field element: negatives are `r − |v|`.
    pub fn from_i128(v: i128) -> Self {
        let m = U256::from(v.unsigned_abs());
        // |v| <= 2^127 < r: both branches are reduced
        Self(if v < 0 { MODULUS - m } else { m })
    }

    /// The signed integer: elements above `(r − 1)/2` are negative. Errors if it is not an `i128`.
    pub fn to_i128(&self) -> Result<i128, CoreError> {
        // ruint's checked conversions; going through I256 measured 2–3× slower
        let too_big = || CoreError::FeltNotSmall { be_hex: hex::encode(self.to_be_bytes()) };
        if self.0 > HALF {
            let magnitude = u128::try_from(MODULUS - self.0).map_err(|_| too_big())?;
            0i128.checked_sub_unsigned(magnitude).ok_or_else(too_big)
        } else {
            i128::try_from(self.0).map_err(|_| too_big())
        }
    }

    /// Parse ezkl's hex form: 64 hex digits, little-endian, optional `0x`.
    pub fn from_ezkl_hex(s: &str) -> Result<Self, CoreError> {
        let bad = |reason: &str| CoreError::FeltHex { input: s.to_owned(), reason: reason.to_owned() };
        let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
        if digits.len() != 64 {
            return Err(bad(&format!("it has {} hex digits", digits.len())));
        }
        let bytes = hex::decode_to_array(digits).map_err(|_| bad("it has a non-hex character"))?;
        Self::from_le_bytes(bytes)
    }

    /// ezkl's hex form: 64 lower-case hex digits of the little-endian bytes, no `0x`.
    pub fn to_ezkl_hex(&self) -> String {
        hex::encode(self.to_le_bytes())
    }
}

impl From<Felt> for U256 {
    fn from(f: Felt) -> Self {
        f.0
    }
}

/// `2^scale` as a float (exact).
fn multiplier(scale: u32) -> Result<f64, CoreError> {
    if scale > MAX_SCALE {
        return Err(CoreError::ScaleTooLarge { scale, max: MAX_SCALE });
    }
    Ok(2f64.powi(i32::try_from(scale).expect("scale <= MAX_SCALE")))
}

/// `x · 2^scale` rounded half away from zero, as ezkl quantizes.
pub fn quantize(x: f64, scale: u32) -> Result<i64, CoreError> {
    let y = (x * multiplier(scale)?).round();
    if !y.is_finite() {
        return Err(CoreError::Quantize { value: x, scale, reason: "it is not a finite number" });
    }
    // i64's range is [-2^63, 2^63); both bounds are exact floats
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&y) {
        return Err(CoreError::Quantize { value: x, scale, reason: "the result does not fit in 64 bits" });
    }
    Ok(y as i64)
}

/// `v / 2^scale`, the float a fixed-point integer stands for.
#[allow(clippy::cast_precision_loss)] // values beyond 2^53 round, as the float they stand for does
pub fn dequantize(v: i64, scale: u32) -> Result<f64, CoreError> {
    Ok(v as f64 / multiplier(scale)?)
}

/// A signed integer as a field element (see [`Felt::from_i128`]).
pub fn int_to_felt(v: i128) -> Felt {
    Felt::from_i128(v)
}

/// A field element as a signed integer (see [`Felt::to_i128`]).
pub fn felt_to_int(felt: &Felt) -> Result<i128, CoreError> {
    felt.to_i128()
}

/// ezkl's little-endian hex to the EVM's 32 big-endian bytes.
pub fn le_hex_to_be_bytes(s: &str) -> Result<[u8; 32], CoreError> {
    Felt::from_ezkl_hex(s).map(|f| f.to_be_bytes())
}

/// 32 big-endian bytes (an EVM `uint256`) to ezkl's little-endian hex.
pub fn be_bytes_to_le_hex(bytes: &[u8]) -> Result<String, CoreError> {
    Felt::from_be_slice(bytes).map(|f| f.to_ezkl_hex())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_one_matches_ezkl() {
        // ezkl.float_to_felt(-1.0, 0, PyInputType.F64)
        let minus_one = "000000f093f5e1439170b97948e833285d588181b64550b829a031e1724e6430";
        assert_eq!(int_to_felt(-1).to_ezkl_hex(), minus_one);
        assert_eq!(felt_to_int(&Felt::from_ezkl_hex(minus_one).unwrap()), Ok(-1));
        // ezkl.felt_to_big_endian
        assert_eq!(hex::encode(le_hex_to_be_bytes(minus_one).unwrap()), format!("{}0", &MODULUS_HEX[..63]));
        assert_eq!(be_bytes_to_le_hex(&le_hex_to_be_bytes(minus_one).unwrap()).unwrap(), minus_one);
        assert_eq!(Felt::from_ezkl_hex(&format!("0x{minus_one}")), Felt::from_ezkl_hex(minus_one));
    }

    #[test]
    fn integers_round_trip() {
        for v in [0, 1, -1, 5, -5, i128::from(i64::MAX), i128::from(i64::MIN), i128::MAX, i128::MIN, 1 << 100]
        {
            let f = int_to_felt(v);
            assert_eq!(felt_to_int(&f), Ok(v), "{v}");
            assert_eq!(Felt::from_ezkl_hex(&f.to_ezkl_hex()), Ok(f));
            assert_eq!(Felt::from_be_bytes(f.to_be_bytes()), Ok(f));
        }
    }

    #[test]
    fn rejects_non_elements_and_bad_hex() {
        assert_eq!(MODULUS, U256::from_str_radix(MODULUS_HEX, 16).unwrap());
        assert_eq!(HALF * U256::from(2) + U256::from(1), MODULUS);
        assert!(matches!(Felt::from_le_bytes(MODULUS.to_le_bytes()), Err(CoreError::NotInField { .. })));
        assert_eq!(Felt::from_u256(MODULUS - U256::from(1)), Ok(Felt::from_i128(-1)));
        assert!(matches!(Felt::from_le_bytes([0xff; 32]), Err(CoreError::NotInField { .. })));
        assert!(matches!(Felt::from_ezkl_hex("01"), Err(CoreError::FeltHex { .. })));
        assert!(matches!(Felt::from_ezkl_hex(&"zz".repeat(32)), Err(CoreError::FeltHex { .. })));
        assert!(matches!(Felt::from_be_slice(&[1; 31]), Err(CoreError::FeltLength { len: 31 })));
        // (r - 1) / 2 + 1 reads back as a huge negative number, not an i128
        assert!(matches!(Felt(HALF + U256::from(1)).to_i128(), Err(CoreError::FeltNotSmall { .. })));
        assert!(matches!(Felt(HALF).to_i128(), Err(CoreError::FeltNotSmall { .. })));
    }

    #[test]
    fn quantize_rounds_half_away_from_zero() {
        assert_eq!(quantize(1.25, 1), Ok(3));
        assert_eq!(quantize(-1.25, 1), Ok(-3));
        assert_eq!(quantize(0.5, 0), Ok(1));
        assert_eq!(quantize(-0.5, 0), Ok(-1));
        assert_eq!(quantize(3.0, 10), Ok(3072));
        assert_eq!(quantize(1.0, 62), Ok(1 << 62));
        assert_eq!(quantize(-1.0, 63), Err(CoreError::ScaleTooLarge { scale: 63, max: MAX_SCALE }));
        assert_eq!(quantize(-(2f64.powi(63)), 0), Ok(i64::MIN));
        assert!(quantize(2f64.powi(63), 0).is_err());
        assert!(quantize(f64::NAN, 0).is_err());
        assert!(quantize(f64::INFINITY, 0).is_err());
        assert_eq!(dequantize(3072, 10), Ok(3.0));
        for s in 0..=MAX_SCALE {
            assert_eq!(multiplier(s), Ok((0..s).fold(1.0, |m, _| m * 2.0)));
        }
    }
}
