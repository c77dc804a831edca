// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {CommandAgent} from "../src/examples/CommandAgent.sol";

/// @dev Test only: a contract that asks CommandAgent and, when paid back, refuses the coin
/// (`REFUSE`) or tries to ask again from its `receive` (`REENTER`); `ACCEPT` takes it.
contract TestCommandAsker {
    uint8 public constant ACCEPT = 0;
    uint8 public constant REFUSE = 1;
    uint8 public constant REENTER = 2;

    CommandAgent public immutable agent;
    uint8 public mode;

    constructor(CommandAgent agent_) {
        agent = agent_;
    }

    function setMode(uint8 mode_) external {
        mode = mode_;
    }

    function ask(bytes calldata prompt) external payable returns (uint256) {
        return agent.ask{value: msg.value}(prompt);
    }

    function reclaim(uint256 askId) external {
        agent.reclaim(askId);
    }

    receive() external payable {
        if (mode == REFUSE) revert("no thanks");
        if (mode == REENTER) agent.ask{value: msg.value}("eth");
    }
}
