"""zkrevox: prove small agent models' answers with ezkl, and settle them on-chain.

Users import from here, never from ``zkrevox._native``.
"""

from zkrevox.errors import (
    ArtifactError,
    ChainError,
    DeploymentError,
    InputError,
    ProofError,
    WitnessError,
    ZkrevoxError,
)
from zkrevox.featurize import FeatureSpec
from zkrevox.proof import Proof
from zkrevox.prover import Prediction, Prover

__version__ = "0.1.0"

__all__ = [
    "ArtifactError",
    "ChainError",
    "DeploymentError",
    "FeatureSpec",
    "InputError",
    "Prediction",
    "Proof",
    "ProofError",
    "Prover",
    "WitnessError",
    "ZkrevoxError",
    "__version__",
]
