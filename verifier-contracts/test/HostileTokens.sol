// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";

/// @dev Test only: a stake token whose admin (anyone, here) can pause every transfer and blocklist
/// accounts (USDC/USDT-style): a transfer from or to a blocklisted account reverts.
contract PausableBlocklistToken is ERC20Pausable {
    mapping(address => bool) public blocked;

    error BlocklistedAccount(address account);

    constructor() ERC20("Pausable Blocklist", "PBL") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function pause() external {
        _pause();
    }

    function unpause() external {
        _unpause();
    }

    function setBlocked(address account, bool value) external {
        blocked[account] = value;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert BlocklistedAccount(from);
        if (blocked[to]) revert BlocklistedAccount(to);
        super._update(from, to, value);
    }
}

/// @dev Test only: a stake token whose balances shrink in a holder's hands (an admin burn, a negative
/// rebase): `shrink(holder, amount)` takes `amount` from `holder` without its consent.
contract ShrinkingToken is ERC20 {
    constructor() ERC20("Shrinking", "SHR") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function shrink(address holder, uint256 amount) external {
        _burn(holder, amount);
    }
}
