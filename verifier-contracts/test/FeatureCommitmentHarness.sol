// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {FeatureCommitment} from "../src/libraries/FeatureCommitment.sol";

/// @notice Test-only: exposes the FeatureCommitment library for eth_call checks against
/// `ezkl.kzg_commit` and for gas measurement (tests/chain/test_feature_commitment.py,
/// benchmarks/polycommit.py).
contract FeatureCommitmentHarness {
    event PointsDeployed(address points);
    event Measured(uint256 gasUsed);

    function deployPoints(bytes calldata points) external returns (address addr) {
        addr = FeatureCommitment.deployPoints(points);
        emit PointsDeployed(addr);
    }

    function pointCount(address points) external view returns (uint256) {
        return FeatureCommitment.pointCount(points);
    }

    function commit(address points, uint256[] calldata counts) external view returns (uint256 x, uint256 y) {
        return FeatureCommitment.commit(points, counts);
    }

    function check(address points, uint256[] calldata counts, bytes calldata proof) external view {
        FeatureCommitment.check(points, counts, proof);
    }

    function commitPacked(address points, uint256[] calldata packed, uint256 bits)
        external
        view
        returns (uint256 x, uint256 y)
    {
        return FeatureCommitment.commitPacked(points, packed, bits);
    }

    /// @notice Gas of `checkPacked` alone (the packed counts in memory, as `featurizePacked` leaves them).
    function measureCheckPacked(address points, uint256[] calldata packed, uint256 bits, bytes calldata proof)
        external
    {
        uint256[] memory p = packed;
        uint256 before = gasleft();
        FeatureCommitment.checkPacked(points, p, bits, proof);
        emit Measured(before - gasleft());
    }

    /// @notice Gas of `check` alone (the counts already in memory, as DPrompt's featurizer leaves them).
    function measureCheck(address points, uint256[] calldata counts, bytes calldata proof) external {
        uint256[] memory c = counts;
        uint256 before = gasleft();
        FeatureCommitment.check(points, c, proof);
        emit Measured(before - gasleft());
    }
}
