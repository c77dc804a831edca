// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDPrompt} from "../interfaces/IDPrompt.sol";

/// @dev A request as DPrompt stores it: two slots, written by `request`. Shared by DPrompt and
/// the {OptimisticAnswers} library, which reaches the same storage by DELEGATECALL.
struct Request {
    address requester; // the consumer, for a callback request
    uint32 modelId;
    uint32 deadline;
    IDPrompt.RequestStatus status;
    uint24 callbackGasLimit; // 0: no callback
    address provider;
    uint96 fee; // the whole payment, wei
}

/// @dev Reverts unless `status` is `Pending`, with the error that names what the request is instead.
function requirePending(uint256 requestId, IDPrompt.RequestStatus status) pure {
    if (status == IDPrompt.RequestStatus.Pending) return;
    if (status == IDPrompt.RequestStatus.Fulfilled) revert IDPrompt.DPromptAlreadyFulfilled(requestId);
    if (status == IDPrompt.RequestStatus.Reclaimed) revert IDPrompt.DPromptAlreadyReclaimed(requestId);
    if (status == IDPrompt.RequestStatus.Answered) revert IDPrompt.DPromptAlreadyAnswered(requestId);
    if (status == IDPrompt.RequestStatus.Overturned) revert IDPrompt.DPromptAlreadyOverturned(requestId);
    revert IDPrompt.DPromptUnknownRequest(requestId);
}
