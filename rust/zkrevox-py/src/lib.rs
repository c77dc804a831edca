//! `zkrevox._native`: thin Python wrappers over `zkrevox-core`.
//!
//! Users import the re-exports in `zkrevox`, never this module. Every core
//! error reaches Python through the one conversion in [`error`].

mod calldata;
mod error;
mod featurize;
mod field;
mod gil;
mod prompt;
mod pylist;
mod spec;

use pyo3::prelude::*;

#[pymodule(gil_used = false)]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Rust `log` records go to Python `logging` (logger names are the Rust module
    // paths, e.g. `zkrevox_core.batch`). Nothing is cached, so level changes made
    // after import take effect; the core logs once per batch, never per prompt.
    // A second import in another interpreter keeps the first logger.
    let _ = pyo3_log::Logger::new(m.py(), pyo3_log::Caching::Nothing)?.install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<spec::PyFeatureSpec>()?;
    m.add_function(wrap_pyfunction!(featurize::featurize, m)?)?;
    m.add_function(wrap_pyfunction!(featurize::featurize_batch, m)?)?;
    m.add_function(wrap_pyfunction!(featurize::featurize_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(featurize::featurize_matrix, m)?)?;
    m.add_function(wrap_pyfunction!(featurize::featurize_quantized_batch, m)?)?;
    m.add_function(wrap_pyfunction!(field::quantize, m)?)?;
    m.add_function(wrap_pyfunction!(field::dequantize, m)?)?;
    m.add_function(wrap_pyfunction!(field::int_to_felt_hex, m)?)?;
    m.add_function(wrap_pyfunction!(field::felt_hex_to_int, m)?)?;
    m.add_function(wrap_pyfunction!(field::felt_hex_to_be_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(field::be_bytes_to_felt_hex, m)?)?;
    m.add_function(wrap_pyfunction!(calldata::encode_call, m)?)?;
    m.add_function(wrap_pyfunction!(calldata::decode_call, m)?)?;
    m.add_function(wrap_pyfunction!(calldata::encode_verify_calldata, m)?)?;
    m.add_function(wrap_pyfunction!(calldata::decode_verify_calldata, m)?)?;
    Ok(())
}
