// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDPrompt} from "./interfaces/IDPrompt.sol";
import {IDPromptConsumer} from "./interfaces/IDPromptConsumer.sol";

/// @title DPromptConsumerBase
/// @notice Base of a contract that asks DPrompt and gets the answer by callback: it checks that the
/// caller is DPrompt and hands the answer to `_onDPromptAnswer`, the one function a consumer writes.
/// (After Chainlink's VRFConsumerBaseV2Plus: `rawFulfillRandomWords` checks the coordinator.)
abstract contract DPromptConsumerBase is IDPromptConsumer {
    /// @notice `caller` is not DPrompt: only DPrompt delivers answers.
    error DPromptConsumerOnlyDPrompt(address caller);

    IDPrompt public immutable dprompt;

    constructor(IDPrompt dprompt_) {
        dprompt = dprompt_;
    }

    /// @inheritdoc IDPromptConsumer
    function onDPromptAnswer(uint256 requestId, uint32 modelId, uint256 answer) external {
        if (msg.sender != address(dprompt)) revert DPromptConsumerOnlyDPrompt(msg.sender);
        _onDPromptAnswer(requestId, modelId, answer);
    }

    /// @dev Asks `modelId` about `prompt`; the answer arrives in `_onDPromptAnswer` with
    /// `callbackGasLimit` gas. `payment` must be at least `dprompt.requiredPayment(modelId,
    /// callbackGasLimit, tx.gasprice)`.
    function _ask(uint32 modelId, bytes memory prompt, uint32 callbackGasLimit, uint256 payment)
        internal
        returns (uint256 requestId)
    {
        return dprompt.requestWithCallback{value: payment}(modelId, prompt, callbackGasLimit);
    }

    /// @dev The answer of `requestId` (see {IDPromptConsumer-onDPromptAnswer}); keep it within the
    /// callback gas limit you asked for.
    function _onDPromptAnswer(uint256 requestId, uint32 modelId, uint256 answer) internal virtual;
}
