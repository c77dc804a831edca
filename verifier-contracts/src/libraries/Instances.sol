// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDPrompt} from "../interfaces/IDPrompt.sol";
import {Featurizer} from "./Featurizer.sol";
import {ModelRegistry} from "./ModelRegistry.sol";

/// @title Instances
/// @notice The public instances a verifier is called with, rebuilt from a request's stored feature
/// counts and the submitted outputs: `[features ..., outputs ...]` (or packed words for the
/// features). Internal: compiled into DPrompt (fulfilment, disputes) and into {OptimisticAnswers}
/// (the `publicInstances` reads), so the reads cost DPrompt no bytecode and both see one rule.
library Instances {
    /// @dev BN254 scalar field modulus r; instances and outputs are elements of F_r.
    uint256 internal constant FIELD_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev Largest field element read as a non-negative signed value, (r - 1) / 2.
    uint256 internal constant HALF_FIELD =
        10944121435919637611123202872628637544274182200208017171849102093287904247808;

    /// @dev Writes `[features ..., outputs ...]` at memory `dst`: the features from the stored
    /// counts of `requestId` as model `m`'s verifier takes them (`packing`, the model's own: each
    /// count * 2^inputScale, or packed words), checks every output's range (`writeOutputs`) and
    /// returns the answer bitmap: bit i set iff output i is strictly positive as a signed field
    /// element (0 < v <= (r - 1) / 2). The caller owns `dst` (allocated, large enough).
    function writeInstances(
        uint256 dst,
        mapping(uint256 => uint256) storage words,
        ModelRegistry.Model storage m,
        IDPrompt.FeaturePacking memory packing,
        uint256[] calldata outputs
    ) internal view returns (uint256 answer) {
        uint256 end = writeRequestFeatures(
            dst,
            words,
            ModelRegistry.numFeatures(m),
            Featurizer.bitsPerFeature(m.clip),
            m.inputScale,
            packing
        );
        answer = writeOutputs(end, outputs, 0);
    }

    /// @dev `writeInstances` for a batch: every request's features (request i at instance
    /// i * numFeatures), then all outputs, request by request, as submitted. `outputs` must hold
    /// numOutputs per request; output indices in errors count from the batch's first output.
    function writeBatchInstances(
        uint256 dst,
        mapping(uint256 => mapping(uint256 => uint256)) storage payload,
        uint256[] calldata requestIds,
        ModelRegistry.Model storage m,
        IDPrompt.FeaturePacking storage packing,
        uint256[] calldata outputs
    ) internal view returns (uint256[] memory answers) {
        uint256 n = requestIds.length;
        uint256 numOutputs = m.numOutputs;
        if (outputs.length != n * numOutputs) revert IDPrompt.DPromptWrongOutputCount(outputs.length, n * numOutputs);
        dst = writeBatchFeatures(dst, payload, requestIds, m, packing);
        answers = new uint256[](n);
        // Cannot overflow: every offset stays inside the buffer the caller allocated at `dst`
        // (n <= ModelRegistry.MAX_BATCH_SIZE requests of at most MAX_FEATURES + MAX_OUTPUTS instances).
        unchecked {
            for (uint256 i; i < n; ++i) {
                uint256 first = i * numOutputs;
                answers[i] = writeOutputs(dst + (first << 5), outputs[first:first + numOutputs], first);
            }
        }
    }

    /// @dev Writes each request's features (scaled, or packed) one after the other from `dst`;
    /// returns the end.
    function writeBatchFeatures(
        uint256 dst,
        mapping(uint256 => mapping(uint256 => uint256)) storage payload,
        uint256[] calldata requestIds,
        ModelRegistry.Model storage m,
        IDPrompt.FeaturePacking storage stored
    ) internal view returns (uint256 end) {
        IDPrompt.FeaturePacking memory packing = stored;
        uint256 numFeatures = ModelRegistry.numFeatures(m);
        uint256 bits = Featurizer.bitsPerFeature(m.clip);
        uint256 scale = m.inputScale;
        end = dst;
        for (uint256 i; i < requestIds.length; ++i) {
            end = writeRequestFeatures(end, payload[requestIds[i]], numFeatures, bits, scale, packing);
        }
    }

    /// @dev Writes one request's features from its stored counts `words` as a circuit taking them
    /// as `packing` expects (scaled by 2^`scale`, or packed) from memory `dst`; returns the end.
    function writeRequestFeatures(
        uint256 dst,
        mapping(uint256 => uint256) storage words,
        uint256 numFeatures,
        uint256 bits,
        uint256 scale,
        IDPrompt.FeaturePacking memory packing
    ) internal view returns (uint256) {
        return packing.digits == 0
            ? writeFeatures(dst, words, numFeatures, bits, scale)
            : writePackedFeatures(dst, words, numFeatures, bits, packing);
    }

    /// @dev Writes the packed words of one request's features (see {FeaturePacking}) as
    /// consecutive words from memory `dst`; returns the end of what it wrote. The stored counts
    /// are one bit stream (`countBits` each, from bit 0 of storage word 0 up), so packed word j
    /// spreads the `digits * countBits`-bit chunk at bit j * digits * countBits: count t of the
    /// chunk moves to bit `shift + bits * t`. A chunk may straddle two storage words (each read
    /// once); the spreading stops at the chunk's last non-zero count, so zero counts cost nothing.
    /// Publication checked `digits * countBits <= 253`: chunks advance less than a storage word.
    function writePackedFeatures(
        uint256 dst,
        mapping(uint256 => uint256) storage words,
        uint256 numFeatures,
        uint256 countBits,
        IDPrompt.FeaturePacking memory packing
    ) internal view returns (uint256 end) {
        uint256 chunkBits = uint256(packing.digits) * countBits;
        assembly ("memory-safe") {
            // The counts of one chunk, `width` bits each, moved `step` bits apart from bit `at`.
            function spread(chunk, at, step, width) -> acc {
                let mask := sub(shl(width, 1), 1)
                for {} chunk { at := add(at, step) } {
                    acc := or(acc, shl(at, and(chunk, mask)))
                    chunk := shr(width, chunk)
                }
            }
            let totalBits := mul(numFeatures, countBits)
            mstore(0x20, words.slot)
            mstore(0x00, 0)
            let cur := 0 // index of the storage word in `lo`
            let lo := sload(keccak256(0x00, 0x40))
            let hi := 0 // word cur + 1, once read (hiRead)
            let hiRead := 0
            end := dst
            for { let bit := 0 } lt(bit, totalBits) { bit := add(bit, chunkBits) } {
                if gt(shr(8, bit), cur) {
                    cur := add(cur, 1)
                    switch hiRead
                    case 0 {
                        mstore(0x00, cur)
                        lo := sload(keccak256(0x00, 0x40))
                    }
                    default { lo := hi }
                    hiRead := 0
                }
                let chunk := shr(and(bit, 255), lo)
                // The chunk goes on in the next word, if that word holds features.
                if and(gt(add(and(bit, 255), chunkBits), 256), lt(shl(8, add(cur, 1)), totalBits)) {
                    if iszero(hiRead) {
                        mstore(0x00, add(cur, 1))
                        hi := sload(keccak256(0x00, 0x40))
                        hiRead := 1
                    }
                    chunk := or(chunk, shl(sub(256, and(bit, 255)), hi))
                }
                chunk := and(chunk, sub(shl(chunkBits, 1), 1))
                // The last chunk: only the counts of features that exist.
                if lt(sub(totalBits, bit), chunkBits) { chunk := and(chunk, sub(shl(sub(totalBits, bit), 1), 1)) }
                mstore(end, spread(chunk, mload(add(packing, 0x40)), mload(add(packing, 0x20)), countBits))
                end := add(end, 0x20)
            }
        }
    }

    /// @dev Writes `numFeatures` features, unpacked from the packed words (`bits` each, from bit 0
    /// of word 0 up) and shifted left by `scale`, as consecutive words from memory `dst`; returns
    /// the end of what it wrote. `bits` divides 256, so a feature never straddles two words.
    function writeFeatures(
        uint256 dst,
        mapping(uint256 => uint256) storage words,
        uint256 numFeatures,
        uint256 bits,
        uint256 scale
    ) internal view returns (uint256 end) {
        assembly ("memory-safe") {
            mstore(0x20, words.slot)
            let mask := sub(shl(bits, 1), 1)
            let wordBytes := shl(5, div(256, bits)) // memory taken by one storage word's features
            end := add(dst, shl(5, numFeatures))
            for { let k := 0 } lt(dst, end) { k := add(k, 1) } {
                mstore(0x00, k)
                let word := sload(keccak256(0x00, 0x40)) // the slot of words[k]: keccak256(k . slot)
                let wordEnd := add(dst, wordBytes)
                if gt(wordEnd, end) { wordEnd := end }
                for {} lt(dst, wordEnd) { dst := add(dst, 0x20) } {
                    mstore(dst, shl(scale, and(word, mask)))
                    word := shr(bits, word)
                }
            }
        }
    }

    /// @dev Decodes zigzag-encoded `outputs` (z = 2v for v >= 0, -2v - 1 for v < 0) into field
    /// elements at `dst` (v, or r - |v|) and returns the answer bitmap: bit i set iff output i is
    /// positive. |v| <= (r - 1) / 2 (else {DPromptOutputOutOfRange}), so every field element has
    /// exactly one encoding and its sign is the same as the old rule: 0 < felt <= (r - 1) / 2.
    /// `firstIndex`: the index of `outputs[0]` in the submitted outputs (for the error).
    function writeOutputs(uint256 dst, uint256[] calldata outputs, uint256 firstIndex)
        internal
        pure
        returns (uint256 answer)
    {
        bytes4 outOfRange = IDPrompt.DPromptOutputOutOfRange.selector;
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, outputs.length) { i := add(i, 1) } {
                let z := calldataload(add(outputs.offset, shl(5, i)))
                let magnitude := shr(1, z)
                let negative := and(z, 1)
                // even: |v| = magnitude <= HALF; odd: |v| = magnitude + 1 <= HALF
                if gt(add(magnitude, negative), HALF_FIELD) {
                    mstore(0x00, outOfRange)
                    mstore(0x04, add(firstIndex, i))
                    revert(0x00, 0x24)
                }
                switch negative
                case 0 {
                    mstore(add(dst, shl(5, i)), magnitude)
                    if magnitude { answer := or(answer, shl(i, 1)) }
                }
                default { mstore(add(dst, shl(5, i)), sub(FIELD_MODULUS, add(magnitude, 1))) }
            }
        }
    }
}
