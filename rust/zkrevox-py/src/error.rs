//! The one conversion from core errors to Python exceptions (`zkrevox.errors`).

use pyo3::PyErr;
use zkrevox_core::CoreError;

pyo3::import_exception!(zkrevox.errors, InputError);

/// A [`CoreError`] on its way to Python (a newtype: both `From` sides are foreign).
pub struct PyCoreError(pub CoreError);

impl From<CoreError> for PyCoreError {
    fn from(e: CoreError) -> Self {
        Self(e)
    }
}

impl From<PyCoreError> for PyErr {
    fn from(PyCoreError(e): PyCoreError) -> Self {
        match e {
            // Everything the core can reject is a malformed prompt, spec or
            // argument; a new variant must choose its class here.
            CoreError::EmptyPrompt
            | CoreError::PromptTooLong { .. }
            | CoreError::PromptSurrogate
            | CoreError::PromptType { .. }
            | CoreError::NotABatch { .. }
            | CoreError::InBatch { .. }
            | CoreError::SpecNumbers
            | CoreError::SpecVocabWord { .. }
            | CoreError::SpecVocabDuplicate
            | CoreError::SpecVersion { .. }
            | CoreError::SpecContextV1
            | CoreError::SpecSlotsLength { .. }
            | CoreError::SpecSlotsCover
            | CoreError::SpecContextSlots { .. }
            | CoreError::SpecTooLarge { .. }
            | CoreError::CountOverByte { .. }
            | CoreError::Quantize { .. }
            | CoreError::ScaleTooLarge { .. }
            | CoreError::QuantizedOverflow { .. }
            | CoreError::NotInField { .. }
            | CoreError::FeltHex { .. }
            | CoreError::FeltLength { .. }
            | CoreError::FeltNotSmall { .. }
            | CoreError::AbiSignature { .. }
            | CoreError::AbiArgument { .. }
            | CoreError::AbiDecode { .. } => InputError::new_err(e.to_string()),
        }
    }
}

/// `?`-friendly conversion of core results: `core_call().or_raise()?`.
pub trait OrRaise<T> {
    /// The result, with a core error turned into its Python exception.
    fn or_raise(self) -> Result<T, PyErr>;
}

impl<T> OrRaise<T> for Result<T, CoreError> {
    fn or_raise(self) -> Result<T, PyErr> {
        self.map_err(|e| PyCoreError(e).into())
    }
}
