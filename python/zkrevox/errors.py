"""The one exception hierarchy of zkrevox.

Every error a user can cause or fix is a ``ZkrevoxError``; its message names
what was wrong and what to do next. The CLI maps these to exit code 1 and any
other exception to exit code 2.
"""

from __future__ import annotations


class ZkrevoxError(Exception):
    """Base class of all zkrevox errors."""


class InputError(ZkrevoxError, ValueError):
    """A prompt, tensor or argument is malformed (empty, too long, wrong shape)."""


class ArtifactError(ZkrevoxError):
    """A model or circuit artifact is missing, corrupted or does not match its manifest."""


class WitnessError(ZkrevoxError):
    """The witness could not be generated from the model and input."""


class ProofError(ZkrevoxError):
    """A proof could not be produced, parsed or verified."""


class ChainError(ZkrevoxError):
    """An RPC, transaction or contract call failed."""


class DeploymentError(ChainError):
    """The deployment record is missing or does not match the chain."""


__all__ = [
    "ArtifactError",
    "ChainError",
    "DeploymentError",
    "InputError",
    "ProofError",
    "WitnessError",
    "ZkrevoxError",
]
