//! Releasing the GIL for long work, in one place.

use pyo3::Python;

/// Run `work` with the GIL released. Inputs must already be copied or
/// borrowed out of immutable Python objects (`str`, `bytes`) that the caller
/// keeps alive; `work` must not touch Python.
pub fn without_gil<T: Send>(py: Python<'_>, work: impl FnOnce() -> T + Send) -> T {
    py.detach(work)
}
