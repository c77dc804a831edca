//! `FeatureSpec`: the featurizer parameters, mirroring the Python dataclass
//! `zkrevox.featurize.FeatureSpec` (same fields, defaults, validation, dict form).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyTuple};
use zkrevox_core::{CoreError, FeatureSpec, FEATURIZER_VERSION};

use crate::error::OrRaise;

/// Featurizer parameters; part of a model's input spec (immutable, validated on construction).
#[pyclass(name = "FeatureSpec", module = "zkrevox._native", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyFeatureSpec(pub FeatureSpec);

#[pymethods]
impl PyFeatureSpec {
    /// Defaults are the Python dataclass's.
    #[new]
    #[pyo3(signature = (vocab, max_bytes=192, trigram_buckets=32, clip=3, fuzzy_min_len=5))]
    fn new(
        vocab: Vec<String>,
        max_bytes: i64,
        trigram_buckets: i64,
        clip: i64,
        fuzzy_min_len: i64,
    ) -> PyResult<Self> {
        FeatureSpec::from_ints(vocab, max_bytes, trigram_buckets, clip, fuzzy_min_len).map(Self).or_raise()
    }

    /// Build from an input spec mapping (`models/<name>/input_spec.json`); extra keys are ignored.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let version = data.call_method1("get", ("version", FEATURIZER_VERSION))?;
        if !version.eq(FEATURIZER_VERSION)? {
            return Err(CoreError::SpecVersion { version: version.str()?.to_string() }).or_raise();
        }
        let int = data.py().get_type::<PyInt>();
        let number = |key: &str| -> PyResult<i64> { int.call1((data.get_item(key)?,))?.extract() };
        Self::new(
            data.get_item("vocab")?.extract()?,
            number("max_bytes")?,
            number("trigram_buckets")?,
            number("clip")?,
            number("fuzzy_min_len")?,
        )
    }

    /// The input spec as a dict, as the Python dataclass's `to_dict` gives it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = &self.0;
        let d = PyDict::new(py);
        d.set_item("version", FEATURIZER_VERSION)?;
        d.set_item("max_bytes", s.max_bytes())?;
        d.set_item("trigram_buckets", s.trigram_buckets())?;
        d.set_item("clip", s.clip())?;
        d.set_item("fuzzy_min_len", s.fuzzy_min_len())?;
        d.set_item("vocab", s.vocab())?;
        Ok(d)
    }

    /// The vocabulary; word `i` owns feature `i`.
    #[getter]
    fn vocab<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.0.vocab())
    }
    /// Longest prompt accepted, in bytes.
    #[getter]
    fn max_bytes(&self) -> u32 {
        self.0.max_bytes()
    }
    /// Size of the hashed-trigram region for out-of-vocabulary words.
    #[getter]
    fn trigram_buckets(&self) -> u32 {
        self.0.trigram_buckets()
    }
    /// Largest value of one feature.
    #[getter]
    fn clip(&self) -> u32 {
        self.0.clip()
    }
    /// Words at least this long match the vocabulary within one edit; 0 disables.
    #[getter]
    fn fuzzy_min_len(&self) -> u32 {
        self.0.fuzzy_min_len()
    }
    /// Length of the feature vector, `len(vocab) + trigram_buckets`.
    #[getter]
    fn num_features(&self) -> usize {
        self.0.num_features()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let s = &self.0;
        Ok(format!(
            "FeatureSpec(vocab={}, max_bytes={}, trigram_buckets={}, clip={}, fuzzy_min_len={})",
            self.vocab(py)?.repr()?,
            s.max_bytes(),
            s.trigram_buckets(),
            s.clip(),
            s.fuzzy_min_len()
        ))
    }

    fn __getnewargs__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let s = &self.0;
        (self.vocab(py)?, s.max_bytes(), s.trigram_buckets(), s.clip(), s.fuzzy_min_len()).into_pyobject(py)
    }
}
