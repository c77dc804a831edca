//! Fixed point and field elements (ezkl's little-endian hex, the EVM's big-endian bytes).

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use zkrevox_core::Felt;

use crate::error::OrRaise;

/// `x · 2^scale` rounded half away from zero (as ezkl quantizes).
#[pyfunction]
pub fn quantize(x: f64, scale: u32) -> PyResult<i64> {
    zkrevox_core::quantize(x, scale).or_raise()
}

/// `v / 2^scale`.
#[pyfunction]
pub fn dequantize(v: i64, scale: u32) -> PyResult<f64> {
    zkrevox_core::dequantize(v, scale).or_raise()
}

/// A signed integer as ezkl's field-element hex (64 digits, little-endian; negatives are `r − |v|`).
#[pyfunction]
pub fn int_to_felt_hex(v: i128) -> String {
    Felt::from_i128(v).to_ezkl_hex()
}

/// ezkl's field-element hex (optional `0x`) as a signed integer (above `(r−1)/2` is negative).
#[pyfunction]
pub fn felt_hex_to_int(felt: &str) -> PyResult<i128> {
    Felt::from_ezkl_hex(felt).and_then(|f| f.to_i128()).or_raise()
}

/// ezkl's field-element hex as the 32 big-endian bytes of an EVM `uint256`.
#[pyfunction]
pub fn felt_hex_to_be_bytes<'py>(py: Python<'py>, felt: &str) -> PyResult<Bound<'py, PyBytes>> {
    let be = zkrevox_core::field::le_hex_to_be_bytes(felt).or_raise()?;
    Ok(PyBytes::new(py, &be))
}

/// 32 big-endian bytes (an EVM `uint256`, `< r`) as ezkl's field-element hex.
#[pyfunction]
pub fn be_bytes_to_felt_hex(data: &[u8]) -> PyResult<String> {
    zkrevox_core::field::be_bytes_to_le_hex(data).or_raise()
}
