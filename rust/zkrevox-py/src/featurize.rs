//! Featurizer entry points.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use zkrevox_core::{batch, FeatureSpec};

use crate::error::OrRaise;
use crate::gil::without_gil;
use crate::prompt::{batch_bytes, batch_items, prompt_bytes};
use crate::pylist::{counts_list, CountInts};
use crate::spec::PyFeatureSpec;

/// Prompts featurized per GIL release: large enough for the threads, small
/// enough that the counts are still in cache when they become Python lists.
const CHUNK: usize = 4096;

/// Features of one prompt (`str`, encoded as UTF-8, or any `bytes`).
#[pyfunction]
pub fn featurize<'py>(
    py: Python<'py>,
    prompt: &Bound<'py, PyAny>,
    spec: &Bound<'py, PyFeatureSpec>,
) -> PyResult<Bound<'py, PyList>> {
    let spec = &spec.get().0;
    let data = prompt_bytes(prompt, spec).or_raise()?;
    let counts = zkrevox_core::featurize(&data, spec).or_raise()?;
    counts_list(py, &counts)
}

/// One list per prompt of the counts times `unit`, featurized chunk by chunk without the GIL.
fn rows_as_lists<'py>(
    py: Python<'py>,
    prompts: &Bound<'py, PyAny>,
    spec: &FeatureSpec,
    unit: i64,
) -> PyResult<Bound<'py, PyList>> {
    let items = batch_items(prompts)?;
    let data: Vec<Cow<'_, [u8]>> = batch_bytes(&items, spec).or_raise()?;
    let ints = CountInts::new(py, spec.clip(), unit)?;
    let mut lists = Vec::with_capacity(data.len());
    for (k, chunk) in data.chunks(CHUNK).enumerate() {
        let matrix = without_gil(py, || batch::featurize_matrix(chunk, spec)).map_err(|e| match e {
            zkrevox_core::CoreError::InBatch { index, source } => source.in_batch(k * CHUNK + index),
            other => other,
        });
        for row in matrix.or_raise()?.iter_rows() {
            lists.push(match &ints {
                Some(ints) => ints.list(py, row)?,
                None => PyList::new(py, row.iter().map(|&c| i64::from(c) * unit))?,
            });
        }
    }
    PyList::new(py, lists)
}

/// Features of every prompt; the GIL is released while they are computed.
/// Raises `InputError` naming the index of the first bad prompt.
#[pyfunction]
pub fn featurize_batch<'py>(
    py: Python<'py>,
    prompts: &Bound<'py, PyAny>,
    spec: &Bound<'py, PyFeatureSpec>,
) -> PyResult<Bound<'py, PyList>> {
    rows_as_lists(py, prompts, &spec.get().0, 1)
}

/// Features times `2^scale`, one row per prompt: the circuit inputs of a batch.
#[pyfunction]
pub fn featurize_quantized_batch<'py>(
    py: Python<'py>,
    prompts: &Bound<'py, PyAny>,
    spec: &Bound<'py, PyFeatureSpec>,
    scale: u32,
) -> PyResult<Bound<'py, PyList>> {
    let spec = &spec.get().0;
    let unit = batch::quantum(spec, scale).or_raise()?;
    rows_as_lists(py, prompts, spec, unit)
}

/// Features of one prompt as `bytes`, one byte per count (`clip <= 255`): the cheapest
/// Python object to build, ready for `numpy.frombuffer`; written straight into the new object.
#[pyfunction]
pub fn featurize_bytes<'py>(
    py: Python<'py>,
    prompt: &Bound<'py, PyAny>,
    spec: &Bound<'py, PyFeatureSpec>,
) -> PyResult<Bound<'py, PyBytes>> {
    let spec = &spec.get().0;
    let data = prompt_bytes(prompt, spec).or_raise()?;
    PyBytes::new_with(py, spec.num_features(), |buf| {
        zkrevox_core::featurize_bytes_into(&data, spec, buf).or_raise()
    })
}

/// Features of every prompt as one row-major `bytes` matrix, `len(prompts) × num_features`,
/// one byte per count, computed with the GIL released.
#[pyfunction]
pub fn featurize_matrix<'py>(
    py: Python<'py>,
    prompts: &Bound<'py, PyAny>,
    spec: &Bound<'py, PyFeatureSpec>,
) -> PyResult<Bound<'py, PyBytes>> {
    let spec = &spec.get().0;
    let items = batch_items(prompts)?;
    let data: Vec<Cow<'_, [u8]>> = batch_bytes(&items, spec).or_raise()?;
    let bytes =
        without_gil(py, || batch::featurize_matrix(&data, spec).and_then(|m| m.to_bytes())).or_raise()?;
    Ok(PyBytes::new(py, &bytes))
}
