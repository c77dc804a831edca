//! Prompts out of Python objects: the `prompt_bytes` rule of
//! `python/zkrevox/featurize.py`, which is the contract's `request` rule: any
//! bytes (str is UTF-8-encoded), non-empty, at most `max_bytes`.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};
use zkrevox_core::{CoreError, FeatureSpec};

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map_or_else(|_| "object".to_owned(), |n| n.to_string())
}

/// The bytes of one prompt, borrowed from immutable `str`/`bytes`, copied from
/// `bytearray`/`memoryview`.
fn bytes_of<'a>(obj: &'a Bound<'_, PyAny>) -> Result<Cow<'a, [u8]>, CoreError> {
    if let Ok(s) = obj.cast::<PyString>() {
        // fails only for lone surrogates, which UTF-8 cannot carry
        return s.to_str().map(|s| Cow::Borrowed(s.as_bytes())).map_err(|_| CoreError::PromptSurrogate);
    }
    let not_a_prompt = || CoreError::PromptType { type_name: type_name(obj) };
    if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(Cow::Borrowed(b.as_bytes()))
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        Ok(Cow::Owned(b.to_vec()))
    } else if obj.is_instance_of::<PyMemoryView>() {
        let copied = obj.call_method0("tobytes").and_then(|b| b.extract::<Vec<u8>>());
        copied.map(Cow::Owned).map_err(|_| not_a_prompt())
    } else {
        Err(not_a_prompt())
    }
}

/// One validated prompt.
pub fn prompt_bytes<'a>(obj: &'a Bound<'_, PyAny>, spec: &FeatureSpec) -> Result<Cow<'a, [u8]>, CoreError> {
    let data = bytes_of(obj)?;
    spec.check_prompt(&data)?;
    Ok(data)
}

/// The items of a batch argument (any iterable but a lone `str` or bytes-like).
pub fn batch_items<'py>(prompts: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let not_a_batch = || CoreError::NotABatch { type_name: type_name(prompts) };
    if prompts.is_instance_of::<PyString>()
        || prompts.is_instance_of::<PyBytes>()
        || prompts.is_instance_of::<PyByteArray>()
    {
        return Err(crate::error::PyCoreError(not_a_batch()).into());
    }
    let Ok(iter) = prompts.try_iter() else {
        return Err(crate::error::PyCoreError(not_a_batch()).into());
    };
    iter.collect()
}

/// Every prompt validated, in order; the error names the first bad index.
pub fn batch_bytes<'a>(
    items: &'a [Bound<'_, PyAny>],
    spec: &FeatureSpec,
) -> Result<Vec<Cow<'a, [u8]>>, CoreError> {
    items.iter().enumerate().map(|(i, obj)| prompt_bytes(obj, spec).map_err(|e| e.in_batch(i))).collect()
}
