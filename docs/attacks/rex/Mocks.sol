// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

// Attack harness only: a DPrompt stand-in with DPrompt's fee formula and statuses, so the
// PointsPaymaster can be attacked without a model. Not product code.
interface IConsumerCb { function onDPromptAnswer(uint256 requestId, uint32 modelId, uint256 answer) external; }

contract MockDPrompt {
    enum RequestStatus { None, Pending, Fulfilled, Reclaimed, Answered, Overturned }
    struct RequestState {
        RequestStatus status; uint32 modelId; address requester; address provider; uint256 deadline; uint256 fee;
        uint256 answer; uint256 callbackGasLimit; bool optimistic; uint256 windowEnd;
    }
    uint256 public modelFee = 1e14;
    uint256 public next = 1;
    mapping(uint256 => RequestState) public reqs;
    mapping(address => uint256) public credits;
    address public provider; // who fulfils, earns the fee
    uint256 public earned;

    constructor(address provider_) { provider = provider_; }

    function requiredPayment(uint32, uint32 cb, uint256 gasPrice) public view returns (uint256) {
        if (cb == 0) return modelFee;
        return modelFee + (uint256(cb) + 15_000) * (gasPrice + 1 gwei);
    }
    function request(uint32 m, bytes calldata) external payable returns (uint256 id) { return _req(m, 0); }
    function requestWithCallback(uint32 m, bytes calldata, uint32 cb) external payable returns (uint256 id) {
        return _req(m, cb);
    }
    function _req(uint32 m, uint32 cb) internal returns (uint256 id) {
        require(msg.value >= requiredPayment(m, cb, tx.gasprice), "fee");
        id = next++;
        reqs[id] = RequestState(RequestStatus.Pending, m, msg.sender, provider, block.timestamp + 600, msg.value, 0, cb,
            false, 0);
    }
    function requestState(uint256 id) external view returns (RequestState memory) { return reqs[id]; }
    function fulfil(uint256 id, uint256 answer) external {
        RequestState storage r = reqs[id];
        require(r.status == RequestStatus.Pending && msg.sender == provider, "pending");
        r.status = RequestStatus.Fulfilled;
        r.answer = answer;
        earned += r.fee;
        if (r.callbackGasLimit != 0) {
            (bool ok,) = r.requester.call{gas: r.callbackGasLimit}(abi.encodeCall(IConsumerCb.onDPromptAnswer, (id, r.modelId, answer)));
            ok;
        }
    }
    function reclaim(uint256 id) external {
        RequestState storage r = reqs[id];
        require(r.status == RequestStatus.Pending && block.timestamp > r.deadline, "reclaim");
        r.status = RequestStatus.Reclaimed;
        credits[r.requester] += r.fee;
    }
    function withdraw() external {
        uint256 a = credits[msg.sender]; credits[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: a}(""); require(ok, "wd");
    }
}

/// A victim's consumer built as the README says (accepts calls from the paymaster): it acts on
/// every answer it is given, e.g. a bot that executes the command its owner asked for.
contract VictimConsumer {
    address public immutable dprompt; // the paymaster
    uint256 public actions;
    uint256 public lastAnswer;
    uint256 public lastId;
    constructor(address paymaster) { dprompt = paymaster; }
    function onDPromptAnswer(uint256 requestId, uint32, uint256 answer) external {
        require(msg.sender == dprompt, "only dprompt");
        actions += 1; lastAnswer = answer; lastId = requestId;
    }
}
