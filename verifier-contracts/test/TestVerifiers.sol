// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IHalo2Verifier} from "../src/interfaces/IHalo2Verifier.sol";

/// @notice Test-only verifier that returns false instead of reverting (the other failure mode
/// DPrompt must handle; ezkl's generated verifier reverts).
contract FalseVerifier is IHalo2Verifier {
    function verifyProof(bytes calldata, uint256[] calldata) external pure returns (bool) {
        return false;
    }
}

/// @notice Test-only verifier that tries to write state; under DPrompt's STATICCALL the write
/// fails, so the proof counts as rejected.
contract StatefulVerifier is IHalo2Verifier {
    uint256 public calls;

    function verifyProof(bytes calldata, uint256[] calldata) external returns (bool) {
        calls += 1;
        return true;
    }
}

/// @notice Test-only account contract: requests and withdraws through DPrompt, and refuses
/// (or re-enters `withdraw` on) incoming payments.
contract ReentrantRequester {
    address public immutable dprompt;
    bool public reenter;
    bool public refuse;

    constructor(address dprompt_) {
        dprompt = dprompt_;
    }

    function setMode(bool reenter_, bool refuse_) external {
        reenter = reenter_;
        refuse = refuse_;
    }

    function request(uint32 modelId, bytes calldata prompt) external payable returns (uint256 id) {
        (bool ok, bytes memory ret) =
            dprompt.call{value: msg.value}(abi.encodeWithSignature("request(uint32,bytes)", modelId, prompt));
        _bubble(ok, ret);
        id = abi.decode(ret, (uint256));
    }

    function reclaim(uint256 id) external {
        (bool ok, bytes memory ret) = dprompt.call(abi.encodeWithSignature("reclaim(uint256)", id));
        _bubble(ok, ret);
    }

    function withdraw() external {
        (bool ok, bytes memory ret) = dprompt.call(abi.encodeWithSignature("withdraw()"));
        _bubble(ok, ret);
    }

    receive() external payable {
        if (refuse) revert("refused");
        if (reenter) {
            (bool ok, bytes memory ret) = dprompt.call(abi.encodeWithSignature("withdraw()"));
            _bubble(ok, ret);
        }
    }

    function _bubble(bool ok, bytes memory ret) private pure {
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }
}

/// @notice Test-only verifier a malicious publisher could register: accepts any proof.
contract AlwaysAcceptVerifier is IHalo2Verifier {
    function verifyProof(bytes calldata, uint256[] calldata) external pure returns (bool) {
        return true;
    }
}

/// @notice Test-only verifier a malicious publisher could register: burns all the gas it is given.
contract GasBurnerVerifier is IHalo2Verifier {
    function verifyProof(bytes calldata, uint256[] calldata) external pure returns (bool) {
        assembly ("memory-safe") {
            invalid()
        }
        return true;
    }
}
