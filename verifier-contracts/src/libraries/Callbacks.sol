// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDPrompt} from "../interfaces/IDPrompt.sol";
import {IDPromptConsumer} from "../interfaces/IDPromptConsumer.sol";

/// @title Callbacks
/// @notice How DPrompt delivers a final answer to a consumer contract: Chainlink's exact-gas rule,
/// the outcome recorded and never propagated (verifier-contracts/README.md, "Callbacks"). Internal:
/// compiled into DPrompt (fulfilment) and into {OptimisticAnswers} (dispute, finalization), which
/// runs by DELEGATECALL, so the consumer always sees DPrompt as the caller.
library Callbacks {
    /// @dev Gas kept back for the call itself and what follows it (Chainlink's exact-gas check uses 5,000).
    uint256 internal constant RESERVE_GAS = 5_000;

    /// @dev Calls `consumer.onDPromptAnswer(requestId, modelId, answer)` with exactly `gasLimit` gas
    /// and records the outcome. Reverts (the whole fulfilment) only if this transaction cannot give
    /// the callback all of `gasLimit`: the call keeps 1/64 of what is left (EIP-150), so at least
    /// gasLimit * 64 / 63 must remain besides the reserve. Return data is never copied, so a
    /// consumer returning megabytes costs nothing here. A consumer without code counts as failed.
    function deliver(uint256 requestId, address consumer, uint32 modelId, uint256 answer, uint256 gasLimit)
        internal
    {
        bytes memory data = abi.encodeCall(IDPromptConsumer.onDPromptAnswer, (requestId, modelId, answer));
        bytes4 insufficient = IDPrompt.DPromptInsufficientGasForCallback.selector;
        bool success;
        assembly ("memory-safe") {
            let g := gas()
            if lt(g, RESERVE_GAS) {
                mstore(0x00, insufficient)
                mstore(0x04, requestId)
                mstore(0x24, gasLimit)
                revert(0x00, 0x44)
            }
            g := sub(g, RESERVE_GAS)
            if iszero(gt(sub(g, div(g, 64)), gasLimit)) {
                mstore(0x00, insufficient)
                mstore(0x04, requestId)
                mstore(0x24, gasLimit)
                revert(0x00, 0x44)
            }
            if extcodesize(consumer) { success := call(gasLimit, consumer, 0, add(data, 0x20), mload(data), 0, 0) }
        }
        emit IDPrompt.DPromptCallback(requestId, consumer, success);
    }

}
