//! `FeatureSpec`: the featurizer parameters, mirroring the Python dataclass
//! `zkrevox.featurize.FeatureSpec` (same fields, defaults, validation, dict form).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyTuple};
use zkrevox_core::{CoreError, FeatureSpec};

use crate::error::OrRaise;

/// Featurizer parameters; part of a model's input spec (immutable, validated on construction).
#[pyclass(name = "FeatureSpec", module = "zkrevox._native", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyFeatureSpec(pub FeatureSpec);

#[pymethods]
impl PyFeatureSpec {
    /// Defaults are the Python dataclass's. Version 1 ignores `slots`.
    #[new]
    #[pyo3(signature = (vocab, max_bytes=192, trigram_buckets=32, clip=3, fuzzy_min_len=5, version=1,
                        slots=vec![], context_slots=0))]
    #[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)] // PyO3 extracts owned arguments
    fn new(
        vocab: Vec<String>,
        max_bytes: i64,
        trigram_buckets: i64,
        clip: i64,
        fuzzy_min_len: i64,
        version: i64,
        slots: Vec<i64>,
        context_slots: i64,
    ) -> PyResult<Self> {
        FeatureSpec::from_ints_versioned(
            vocab,
            max_bytes,
            trigram_buckets,
            clip,
            fuzzy_min_len,
            version,
            &slots,
            context_slots,
        )
        .map(Self)
        .or_raise()
    }

    /// Build from an input spec mapping (`models/<name>/input_spec.json`); extra keys are ignored.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        // As the reference's `version not in (1, 2)`: Python equality, so 2.0 is version 2.
        let given = data.call_method1("get", ("version", 1))?;
        let version = if given.eq(1)? {
            1
        } else if given.eq(2)? {
            2
        } else {
            return Err(CoreError::SpecVersion { version: given.str()?.to_string() }).or_raise();
        };
        let int = data.py().get_type::<PyInt>();
        let number = |key: &str| -> PyResult<i64> { int.call1((data.get_item(key)?,))?.extract() };
        let (slots, context_slots) = if version == 2 {
            (data.get_item("slots")?.extract()?, number("context_slots")?)
        } else {
            (vec![], 0)
        };
        Self::new(
            data.get_item("vocab")?.extract()?,
            number("max_bytes")?,
            number("trigram_buckets")?,
            number("clip")?,
            number("fuzzy_min_len")?,
            version,
            slots,
            context_slots,
        )
    }

    /// The input spec as a dict, as the Python dataclass's `to_dict` gives it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = &self.0;
        let d = PyDict::new(py);
        d.set_item("version", s.version())?;
        d.set_item("max_bytes", s.max_bytes())?;
        d.set_item("trigram_buckets", s.trigram_buckets())?;
        d.set_item("clip", s.clip())?;
        d.set_item("fuzzy_min_len", s.fuzzy_min_len())?;
        d.set_item("vocab", s.vocab())?;
        if s.version() == 2 {
            d.set_item("slots", s.slots())?;
            d.set_item("context_slots", s.context_slots())?;
        }
        Ok(d)
    }

    /// The featurizer version, 1 or 2.
    #[getter]
    fn version(&self) -> u32 {
        self.0.version()
    }
    /// Each vocabulary word's slot (version 1: word `i` → slot `i`).
    #[getter]
    fn slots<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.0.slots())
    }
    /// K: context slots, the last K of the S slots (version 1: 0).
    #[getter]
    fn context_slots(&self) -> u32 {
        self.0.context_slots()
    }
    /// S: features `0 .. S-1` count vocabulary words.
    #[getter]
    fn num_slots(&self) -> u32 {
        self.0.num_slots()
    }
    /// N = S - K name slots.
    #[getter]
    fn name_slots(&self) -> u32 {
        self.0.name_slots()
    }

    /// The vocabulary; word `i` counts in slot `slots[i]`.
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
    /// Length of the feature vector, `S + 2K + trigram_buckets`.
    #[getter]
    fn num_features(&self) -> usize {
        self.0.num_features()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let s = &self.0;
        let v2 = if s.version() == 2 {
            format!(", version=2, slots={}, context_slots={}", self.slots(py)?.repr()?, s.context_slots())
        } else {
            String::new()
        };
        Ok(format!(
            "FeatureSpec(vocab={}, max_bytes={}, trigram_buckets={}, clip={}, fuzzy_min_len={}{v2})",
            self.vocab(py)?.repr()?,
            s.max_bytes(),
            s.trigram_buckets(),
            s.clip(),
            s.fuzzy_min_len()
        ))
    }

    fn __getnewargs__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let s = &self.0;
        (
            self.vocab(py)?,
            s.max_bytes(),
            s.trigram_buckets(),
            s.clip(),
            s.fuzzy_min_len(),
            s.version(),
            self.slots(py)?,
            s.context_slots(),
        )
            .into_pyobject(py)
    }
}
