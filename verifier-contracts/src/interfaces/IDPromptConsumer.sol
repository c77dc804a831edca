// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title IDPromptConsumer
/// @notice What a contract implements to receive answers it asked DPrompt for with
/// `requestWithCallback`. Inherit {DPromptConsumerBase} rather than implementing this directly.
interface IDPromptConsumer {
    /// @notice Called by DPrompt once request `requestId`'s answer is final (its proof verified):
    /// `answer` has bit i set iff output i of model `modelId` is positive (for the ticker model, bit
    /// i is label i of its labels.json). Runs with exactly the gas the request asked for; a revert
    /// or an out-of-gas here is recorded (`DPromptCallback(requestId, consumer, false)`) and
    /// changes nothing else: the request stays fulfilled and its provider paid.
    function onDPromptAnswer(uint256 requestId, uint32 modelId, uint256 answer) external;
}
