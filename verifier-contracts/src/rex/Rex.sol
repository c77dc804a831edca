// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title Rex
/// @notice REX, the platform's token: a fixed supply minted once, to `holder`, at deployment; no
/// one can mint more. Burnable (StakedRex burns half of every redemption deduction) and with
/// EIP-2612 permits. A local deployment hands it to the dev accounts; a real one passes an existing
/// burnable token's address to StakedRex instead.
contract Rex is ERC20, ERC20Burnable, ERC20Permit {
    constructor(uint256 supply, address holder) ERC20("REX", "REX") ERC20Permit("REX") {
        _mint(holder, supply);
    }
}
