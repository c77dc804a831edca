// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {DPromptConsumerBase} from "../src/DPromptConsumerBase.sol";
import {IDPrompt} from "../src/interfaces/IDPrompt.sol";

/// @notice Test-only consumer that misbehaves in its callback as `mode` says, to show that no
/// callback can undo, block or re-enter a fulfilment.
contract HostileConsumer is DPromptConsumerBase {
    enum Mode {
        Store, // behave: store the answer
        Revert, // revert
        BurnGas, // run out of gas
        HugeReturn, // return 64 KiB of data
        ReenterFulfil, // call fulfil / fulfilBatch / reclaim / withdraw on DPrompt
        RequestAgain, // ask again from inside the callback (agents chain requests)
        ReenterOptimistic // call finalize / dispute / answer / withdraw on DPrompt
    }

    Mode public mode;
    uint32 public callbackGas;
    uint256 public calls;
    uint256 public lastAnswer;
    uint256 public followUp; // the request made from inside the callback
    bytes public reentryError; // what DPrompt said to the re-entry attempt

    constructor(IDPrompt dprompt_) DPromptConsumerBase(dprompt_) {}

    receive() external payable {}

    function setMode(Mode mode_, uint32 callbackGas_) external {
        mode = mode_;
        callbackGas = callbackGas_;
    }

    /// @notice With a PointsPaymaster as its `dprompt`: lets `user` name this consumer in requests.
    function approveRequester(address user) external {
        (bool ok,) = address(dprompt).call(abi.encodeWithSignature("setRequester(address,bool)", user, true));
        require(ok, "setRequester failed");
    }

    function ask(uint32 modelId, bytes calldata prompt) external payable returns (uint256) {
        return _ask(modelId, prompt, callbackGas, msg.value);
    }

    function askOptimistic(uint32 modelId, bytes calldata prompt) external payable returns (uint256) {
        return dprompt.requestOptimistic{value: msg.value}(modelId, prompt, callbackGas);
    }

    function _onDPromptAnswer(uint256 requestId, uint32 modelId, uint256 answer) internal override {
        Mode m = mode;
        if (m == Mode.Revert) revert("hostile consumer");
        if (m == Mode.BurnGas) {
            while (true) {
                calls += 1;
            }
        }
        calls += 1;
        lastAnswer = answer;
        if (m == Mode.HugeReturn) {
            assembly ("memory-safe") {
                return(0, 65536)
            }
        }
        if (m == Mode.ReenterFulfil) {
            uint256[] memory ids = new uint256[](2);
            ids[0] = requestId;
            ids[1] = requestId + 1;
            (bool ok, bytes memory err) =
                address(dprompt).call(abi.encodeCall(IDPrompt.fulfil, (requestId, "", new uint256[](0))));
            (bool ok2,) = address(dprompt).call(abi.encodeCall(IDPrompt.fulfilBatch, (ids, "", new uint256[](0))));
            (bool ok3,) = address(dprompt).call(abi.encodeCall(IDPrompt.reclaim, (requestId)));
            (bool ok4,) = address(dprompt).call(abi.encodeCall(IDPrompt.withdraw, ()));
            if (ok || ok2 || ok3 || ok4) revert("re-entry went through");
            reentryError = err;
        }
        if (m == Mode.ReenterOptimistic) {
            uint256[] memory ids = new uint256[](1);
            ids[0] = requestId;
            (bool ok, bytes memory err) = address(dprompt).call(abi.encodeCall(IDPrompt.finalize, (ids)));
            (bool ok2,) =
                address(dprompt).call(abi.encodeCall(IDPrompt.dispute, (requestId, "", new uint256[](0))));
            (bool ok3,) = address(dprompt).call(abi.encodeCall(IDPrompt.answer, (requestId, 0)));
            (bool ok4,) = address(dprompt).call(abi.encodeCall(IDPrompt.withdraw, ()));
            if (ok || ok2 || ok3 || ok4) revert("re-entry went through");
            reentryError = err;
        }
        if (m == Mode.RequestAgain) {
            followUp = dprompt.requestWithCallback{value: address(this).balance}(modelId, "eth", callbackGas);
        }
    }
}
