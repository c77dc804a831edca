// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title IHalo2Verifier
/// @notice The interface of the Solidity verifier that ezkl 23 generates for a circuit
/// (`contract Halo2Verifier` under `src/generated/`).
/// @dev The generated verifier does not return `false` on a bad proof: it reverts with empty
/// data, on any tampering measured (proof bytes, instances, a value >= the field modulus, a wrong
/// instance count). Callers must treat "reverted" and "returned false" alike. It touches no
/// storage and calls only precompiles, so it can be called with STATICCALL.
interface IHalo2Verifier {
    /// @notice Verifies `proof` against the public `instances` (BN254 scalar field elements,
    /// big-endian `uint256`, in the circuit's order: inputs, then outputs).
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external returns (bool);
}
