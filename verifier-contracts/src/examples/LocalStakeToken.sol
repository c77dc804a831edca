// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title LocalStakeToken
/// @notice The stake token of a local zkrevox deployment (`make demo`, `zkrevox chain stake-token`):
/// a plain OpenZeppelin ERC-20 whose whole supply goes to the deployer, who hands it to providers.
/// For local chains and testnets only: it stands for whatever token a real deployment chooses.
contract LocalStakeToken is ERC20 {
    constructor(uint256 supply) ERC20("zkrevox Local Stake", "ZKRS") {
        _mint(msg.sender, supply);
    }
}
