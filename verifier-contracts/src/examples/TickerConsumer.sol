// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {DPromptConsumerBase} from "../DPromptConsumerBase.sol";
import {IDPrompt} from "../interfaces/IDPrompt.sol";

/// @title TickerConsumer
/// @notice An example on-chain agent: asks the ticker model which tokens a prompt names, stores the
/// answer and emits it. Anyone may ask, paying the request (see `DPrompt.requiredPayment`).
contract TickerConsumer is DPromptConsumerBase {
    /// @notice Gas the callback asks for: a storage write and an event fit well within it.
    uint32 public constant CALLBACK_GAS = 50_000;

    uint32 public immutable modelId;

    /// @notice The answer bitmap of each request asked through this contract (bit i: label i).
    mapping(uint256 requestId => uint256) public answers;
    /// @notice True once `answers[requestId]` holds the proven answer.
    mapping(uint256 requestId => bool) public answered;

    /// @notice `asker` asked about `prompt` as DPrompt request `requestId`.
    event TickerAsked(uint256 indexed requestId, address indexed asker, bytes prompt);
    /// @notice The proven answer of `requestId`: bit i set iff the prompt names ticker label i.
    event TickerAnswered(uint256 indexed requestId, uint256 tickers);

    constructor(IDPrompt dprompt_, uint32 modelId_) DPromptConsumerBase(dprompt_) {
        modelId = modelId_;
    }

    /// @notice Asks which tickers `prompt` names; send at least `dprompt.requiredPayment(modelId,
    /// CALLBACK_GAS, gasPrice)` as value.
    function ask(bytes calldata prompt) external payable returns (uint256 requestId) {
        requestId = _ask(modelId, prompt, CALLBACK_GAS, msg.value);
        emit TickerAsked(requestId, msg.sender, prompt);
    }

    function _onDPromptAnswer(uint256 requestId, uint32, uint256 answer) internal override {
        answers[requestId] = answer;
        answered[requestId] = true;
        emit TickerAnswered(requestId, answer);
    }
}
