// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title FeatureCommitment
/// @notice Recomputes, from a request's feature counts, the KZG commitment to the input column of
/// an ezkl circuit built with `input_visibility = "polycommit"`, so a proof can be bound to the
/// features DPrompt stored without publishing them as instances (docs/COMMITMENTS.md).
///
/// ezkl (23.0.5, `PolyCommitChip::commit`) commits to the column in Lagrange form over the
/// circuit's domain of 2^k rows: row i holds feature i's value (count << input_scale) for the
/// features, 0 for the other usable rows, and 1 for each of the last `u` rows (the unusable rows:
/// the vk's blinding factors + 1, filled with `Blind::default()`). So
///     C = K + Σ count_i · P_i,   K = Σ_{j=2^k-u}^{2^k-1} [L_j],   P_i = 2^input_scale · [L_i],
/// with [L_i] the SRS's Lagrange-basis points for the circuit's exact domain. A proof carries C as
/// its first commitment (proof bytes 0..64: x ‖ y, 32-byte big-endian each).
///
/// The points are stored as the code of a data contract (`deployPoints`, SSTORE2-style):
///     code = 0x00 (STOP, so it cannot be run) ‖ K ‖ P_0 ‖ … ‖ P_{m-1},  each point x ‖ y big-endian.
/// Only the points of non-zero counts are read (64 bytes each) and added with the ecAdd precompile
/// (150 gas) `count` times, so a typical prompt costs a few thousand gas. Every point read is
/// checked: the point at infinity (0, 0), which ecAdd would take as the identity and so leave a
/// feature unbound, or a point off the curve, reverts `FeatureCommitmentBadPoint`.
library FeatureCommitment {
    uint256 private constant _POINT = 64;
    uint256 private constant _EC_ADD = 0x06;
    uint256 private constant _EC_MUL = 0x07;
    // BN254 base field modulus; the curve is y^2 = x^3 + 3
    uint256 private constant _Q = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47;
    uint256 private constant _ADD_LIMIT = 8; // counts up to this are added point by point, larger ones use ecMul

    /// @notice The points' data contract holds no whole list `0x00 ‖ K ‖ P_0 … P_{m-1}`.
    error FeatureCommitmentInvalidPoints(address points);
    /// @notice More counts than stored points.
    error FeatureCommitmentTooManyFeatures(uint256 features, uint256 points);
    /// @notice Point `slot` (0: K, i + 1: feature i's) is the point at infinity or not on the curve.
    error FeatureCommitmentBadPoint(uint256 slot);
    /// @notice The proof's commitment is not the one the counts give.
    error FeatureCommitmentMismatch(uint256 wantX, uint256 wantY, uint256 proofX, uint256 proofY);

    /// @notice Deploy `points` (K ‖ P_0 … P_{m-1}, 64 bytes each) as a data contract; its address.
    function deployPoints(bytes memory points) internal returns (address addr) {
        if (points.length == 0 || points.length % _POINT != 0) revert FeatureCommitmentInvalidPoints(address(0));
        // Init code: copy the runtime code (0x00 ‖ points) that follows this 12-byte prefix to
        // memory and return it.   PUSH2 len  DUP1  PUSH1 0x0c  PUSH1 0  CODECOPY  PUSH1 0  RETURN
        bytes memory init =
            abi.encodePacked(hex"61", uint16(points.length + 1), hex"80600c6000396000f3", hex"00", points);
        assembly ("memory-safe") {
            addr := create(0, add(init, 0x20), mload(init))
        }
        if (addr == address(0)) revert FeatureCommitmentInvalidPoints(address(0));
    }

    /// @notice Number of feature points `points` holds (K not counted); reverts if it is malformed.
    function pointCount(address points) internal view returns (uint256) {
        uint256 size;
        assembly ("memory-safe") {
            size := extcodesize(points)
        }
        if (size < 1 + _POINT || (size - 1) % _POINT != 0) revert FeatureCommitmentInvalidPoints(points);
        // unchecked: size >= 65, so both subtractions stay positive
        unchecked {
            return (size - 1) / _POINT - 1;
        }
    }

    /// @notice C = K + Σ counts[i] · P_i (affine x, y) from the points in `points`.
    function commit(address points, uint256[] memory counts) internal view returns (uint256 x, uint256 y) {
        uint256 n = pointCount(points);
        if (counts.length > n) revert FeatureCommitmentTooManyFeatures(counts.length, n);
        uint256 buf = _start(points);
        uint256 len = counts.length;
        // unchecked: i < len <= n, so i + 1 cannot overflow; counts are read in place
        unchecked {
            for (uint256 i; i < len; ++i) {
                uint256 c;
                assembly ("memory-safe") {
                    c := mload(add(counts, shl(5, add(i, 1))))
                }
                if (c != 0) _accumulate(buf, points, i + 1, c);
            }
        }
        assembly ("memory-safe") {
            x := mload(buf)
            y := mload(add(buf, 0x20))
        }
    }

    /// @notice `commit` of counts in the Featurizer's packed form (`Featurizer.featurizePacked`:
    /// feature i in `bits` bits at bit (i * bits) % 256 of word (i * bits) / 256), which is what
    /// DPrompt holds after featurizing: zero 64-, 16- and 8-bit chunks are skipped, so the cost follows the
    /// non-zero counts, not the number of features. `bits` is 1, 2, 4 or 8.
    function commitPacked(address points, uint256[] memory packed, uint256 bits)
        internal
        view
        returns (uint256 x, uint256 y)
    {
        uint256 n = pointCount(points);
        uint256 buf = _start(points);
        uint256 mask = (1 << bits) - 1;
        uint256 perChunk = 16 / bits;
        uint256 perWord = 256 / bits;
        // unchecked: indices are bounded by packed.length * 256 / bits, far below 2^256; n is checked
        unchecked {
            for (uint256 w; w < packed.length; ++w) {
                uint256 word;
                assembly ("memory-safe") {
                    word := mload(add(packed, shl(5, add(w, 1))))
                }
                uint256 i = w * perWord;
                while (word != 0) {
                    if (word & 0xffffffffffffffff == 0) {
                        word >>= 64;
                        i += perChunk * 4;
                        continue;
                    }
                    if (word & 0xffff == 0) {
                        word >>= 16;
                        i += perChunk;
                        continue;
                    }
                    if (word & 0xff == 0) {
                        word >>= 8;
                        i += perChunk / 2;
                        continue;
                    }
                    uint256 c = word & mask;
                    word >>= bits;
                    if (c != 0) {
                        if (i >= n) revert FeatureCommitmentTooManyFeatures(i + 1, n);
                        _accumulate(buf, points, i + 1, c);
                    }
                    ++i;
                }
            }
        }
        assembly ("memory-safe") {
            x := mload(buf)
            y := mload(add(buf, 0x20))
        }
    }

    /// @notice `check` with the counts in packed form (`commitPacked`).
    function checkPacked(address points, uint256[] memory packed, uint256 bits, bytes calldata proof) internal view {
        (uint256 x, uint256 y) = commitPacked(points, packed, bits);
        (uint256 px, uint256 py) = proofCommitment(proof);
        if (x != px || y != py) revert FeatureCommitmentMismatch(x, y, px, py);
    }

    /// @notice Reverts `FeatureCommitmentMismatch` unless the first commitment of `proof` (bytes
    /// 0..64) is the commitment of `counts`.
    function check(address points, uint256[] memory counts, bytes calldata proof) internal view {
        (uint256 x, uint256 y) = commit(points, counts);
        (uint256 px, uint256 py) = proofCommitment(proof);
        if (x != px || y != py) revert FeatureCommitmentMismatch(x, y, px, py);
    }

    /// @notice The first commitment a proof carries (x, y); (0, 0) if the proof is shorter.
    function proofCommitment(bytes calldata proof) internal pure returns (uint256 x, uint256 y) {
        if (proof.length < _POINT) return (0, 0);
        assembly ("memory-safe") {
            x := calldataload(proof.offset)
            y := calldataload(add(proof.offset, 0x20))
        }
    }

    /// @dev A scratch buffer of 5 words: the running sum (x, y), the current point (x, y), a
    /// scalar. The sum starts as K (slot 0), checked like every point.
    function _start(address points) private view returns (uint256 buf) {
        assembly ("memory-safe") {
            buf := mload(0x40)
            mstore(0x40, add(buf, 0xa0))
            extcodecopy(points, buf, 1, _POINT)
        }
        _checkPoint(buf, 0);
    }

    /// @dev sum += c · P_slot: the point copied next to the sum, checked, then ecAdd in place
    /// `c` times (ecAdd 150 gas; ecMul, 6,000, once for counts above `_ADD_LIMIT`).
    function _accumulate(uint256 buf, address points, uint256 slot, uint256 c) private view {
        bool ok = true;
        assembly ("memory-safe") {
            extcodecopy(points, add(buf, 0x40), add(1, mul(slot, _POINT)), _POINT)
        }
        // unchecked: buf is a memory pointer, far below 2^256 - 0x40
        unchecked {
            _checkPoint(buf + 0x40, slot);
        }
        assembly ("memory-safe") {
            switch gt(c, _ADD_LIMIT)
            case 0 {
                for { let j := 0 } lt(j, c) { j := add(j, 1) } {
                    ok := and(ok, staticcall(gas(), _EC_ADD, buf, 0x80, buf, 0x40))
                }
            }
            default {
                mstore(add(buf, 0x80), c)
                ok := staticcall(gas(), _EC_MUL, add(buf, 0x40), 0x60, add(buf, 0x40), 0x40)
                ok := and(ok, staticcall(gas(), _EC_ADD, buf, 0x80, buf, 0x40))
            }
        }
        if (!ok) revert FeatureCommitmentBadPoint(slot);
    }

    /// @dev Reverts `FeatureCommitmentBadPoint(slot)` unless the point at memory `ptr` is on the
    /// curve and not the point at infinity (0, 0), which ecAdd would take as the identity.
    function _checkPoint(uint256 ptr, uint256 slot) private pure {
        uint256 x;
        uint256 y;
        assembly ("memory-safe") {
            x := mload(ptr)
            y := mload(add(ptr, 0x20))
        }
        if ((x | y) == 0 || x >= _Q || y >= _Q || mulmod(y, y, _Q) != addmod(mulmod(mulmod(x, x, _Q), x, _Q), 3, _Q))
        {
            revert FeatureCommitmentBadPoint(slot);
        }
    }
}
