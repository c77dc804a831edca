//! EVM calldata: Python values to and from `AbiValue`s.

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyInt, PyList, PyTuple};
use zkrevox_core::{AbiValue, CoreError, Felt};

use crate::error::OrRaise;

/// A non-negative Python `int` below 2^256 as 32 big-endian bytes.
fn uint_of(v: &Bound<'_, PyAny>) -> PyResult<Result<[u8; 32], &'static str>> {
    if v.is_instance_of::<PyBool>() || !v.is_instance_of::<PyInt>() {
        return Ok(Err("expected an int"));
    }
    if v.lt(0)? {
        return Ok(Err("a uint256 cannot be negative"));
    }
    if let Ok(small) = v.extract::<u128>() {
        let mut w = [0; 32];
        w[16..].copy_from_slice(&small.to_be_bytes());
        return Ok(Ok(w));
    }
    match v.call_method1("to_bytes", (32, "big")) {
        Ok(b) => Ok(Ok(b.extract::<[u8; 32]>()?)),
        Err(e) if e.is_instance_of::<PyOverflowError>(v.py()) => {
            Ok(Err("it does not fit in a uint256 (>= 2^256)"))
        }
        Err(e) => Err(e),
    }
}

/// `int` → `uint256`/`address`, `bytes` → `bytes`, list/tuple of `int` → `uint256[]`.
fn abi_value(v: &Bound<'_, PyAny>) -> PyResult<Result<AbiValue, String>> {
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(Ok(AbiValue::Bytes(b.as_bytes().to_vec())));
    }
    if let Ok(b) = v.cast::<PyByteArray>() {
        return Ok(Ok(AbiValue::Bytes(b.to_vec())));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (k, item) in v.try_iter()?.enumerate() {
            match uint_of(&item?)? {
                Ok(w) => items.push(w),
                Err(reason) => return Ok(Err(format!("item {k}: {reason}"))),
            }
        }
        return Ok(Ok(AbiValue::UintArray(items)));
    }
    Ok(uint_of(v)?.map(AbiValue::Uint).map_err(str::to_owned))
}

fn py_uint<'py>(py: Python<'py>, w: &[u8; 32]) -> PyResult<Bound<'py, PyAny>> {
    if w[..16].iter().all(|&b| b == 0) {
        let small = u128::from_be_bytes(w[16..].try_into().expect("16 bytes"));
        return Ok(small.into_pyobject(py)?.into_any());
    }
    py.get_type::<PyInt>().call_method1("from_bytes", (PyBytes::new(py, w), "big"))
}

fn py_value<'py>(py: Python<'py>, v: &AbiValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        AbiValue::Uint(w) => py_uint(py, w)?,
        AbiValue::Bytes(b) => PyBytes::new(py, b).into_any(),
        AbiValue::UintArray(items) => {
            PyList::new(py, items.iter().map(|w| py_uint(py, w)).collect::<PyResult<Vec<_>>>()?)?.into_any()
        }
    })
}

/// ABI-encode a call: `int` → uint256 (or address), `bytes` → bytes, `list[int]` → uint256[].
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts arguments by value
pub fn encode_call<'py>(
    py: Python<'py>,
    signature: &str,
    args: Vec<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut values = Vec::with_capacity(args.len());
    for (index, arg) in args.iter().enumerate() {
        match abi_value(arg)? {
            Ok(v) => values.push(v),
            Err(reason) => {
                let err = CoreError::AbiArgument { signature: signature.to_owned(), index, reason };
                return Err(err).or_raise();
            }
        }
    }
    let data = zkrevox_core::encode_call(signature, &values).or_raise()?;
    Ok(PyBytes::new(py, &data))
}

/// Decode calldata of `signature` into Python values (the inverse of `encode_call`).
#[pyfunction]
pub fn decode_call<'py>(py: Python<'py>, signature: &str, data: &[u8]) -> PyResult<Bound<'py, PyList>> {
    let values = zkrevox_core::decode_call(signature, data).or_raise()?;
    PyList::new(py, values.iter().map(|v| py_value(py, v)).collect::<PyResult<Vec<_>>>()?)
}

/// Calldata of ezkl's verifier `verifyProof(bytes,uint256[])` from the proof
/// bytes and the instances in ezkl's little-endian hex.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts arguments by value
pub fn encode_verify_calldata<'py>(
    py: Python<'py>,
    proof: &[u8],
    instances_le_hex: Vec<String>,
) -> PyResult<Bound<'py, PyBytes>> {
    let instances = instances_le_hex
        .iter()
        .enumerate()
        .map(|(i, h)| {
            Felt::from_ezkl_hex(h).map_err(|e| CoreError::AbiArgument {
                signature: zkrevox_core::calldata::VERIFY_PROOF.to_owned(),
                index: 1,
                reason: format!("instance {i}: {e}"),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .or_raise()?;
    Ok(PyBytes::new(py, &zkrevox_core::encode_verify_proof(proof, &instances)))
}

/// The proof bytes and the instances (as ints) of `verifyProof(bytes,uint256[])` calldata.
#[pyfunction]
pub fn decode_verify_calldata<'py>(
    py: Python<'py>,
    data: &[u8],
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyList>)> {
    let (proof, instances) = zkrevox_core::decode_verify_proof(data).or_raise()?;
    let ints = instances.iter().map(|w| py_uint(py, w)).collect::<PyResult<Vec<_>>>()?;
    Ok((PyBytes::new(py, &proof), PyList::new(py, ints)?))
}
