// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Featurizer} from "../src/libraries/Featurizer.sol";

/// @notice Test-only: exposes the Featurizer library for eth_call parity tests against
/// `python/zkrevox/featurize.py` and for gas measurement.
contract FeaturizerHarness {
    event TableDeployed(address table);
    event Measured(uint256 gasUsed);

    function deployTable(bytes calldata table) external returns (address addr) {
        addr = Featurizer.deployTable(table);
        emit TableDeployed(addr);
    }

    function checkTable(Featurizer.Spec calldata spec) external view {
        Featurizer.checkTable(spec);
    }

    function featurize(bytes calldata prompt, Featurizer.Spec calldata spec) external view returns (uint256[] memory) {
        return Featurizer.featurize(prompt, spec);
    }

    function featurizePacked(bytes calldata prompt, Featurizer.Spec calldata spec)
        external
        view
        returns (uint256[] memory)
    {
        return Featurizer.featurizePacked(prompt, spec);
    }

    /// @notice Gas of `featurizePacked` alone (a transaction, so a receipt shows it; it changes nothing).
    function measureFeaturize(bytes calldata prompt, Featurizer.Spec calldata spec) external returns (uint256 gasUsed) {
        uint256 before = gasleft();
        Featurizer.featurizePacked(prompt, spec);
        gasUsed = before - gasleft();
        emit Measured(gasUsed);
    }
}
