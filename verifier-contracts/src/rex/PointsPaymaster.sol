// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IDPrompt} from "../interfaces/IDPrompt.sol";
import {IDPromptConsumer} from "../interfaces/IDPromptConsumer.sol";
import {IPointsPaymaster} from "../interfaces/IPointsPaymaster.sol";
import {IStakedRex} from "../interfaces/IStakedRex.sol";

/// @title PointsPaymaster
/// @notice See {IPointsPaymaster}. DPrompt records the paymaster as the requester; the paymaster
/// records the user (`requestOf`), and DPrompt's answer (`answerOf`, `requestState`) reads the
/// same for everyone. A consumer that wants callbacks through the paymaster accepts calls from it
/// (a {DPromptConsumerBase} built with the paymaster's address as its `dprompt`). Since such a
/// consumer cannot tell one user's request from another's, the paymaster forwards to a consumer
/// only requests the consumer agreed to: the consumer's own (`consumer == msg.sender`, a consumer
/// contract spending its own points) or a user's it approved with `setRequester(user, true)`.
contract PointsPaymaster is IPointsPaymaster, IDPromptConsumer, ReentrancyGuard {
    /// @notice Gas the paymaster keeps for itself on top of a consumer's callback gas.
    uint32 public constant FORWARD_GAS = 40_000;
    /// @notice The most a request through the paymaster may tip above the block's base fee: a
    /// request's tx.gasprice above `block.basefee + MAX_TIP` is refused, since DPrompt prices the
    /// callback (and the decline floor) at the requester's tx.gasprice and the budget pays it.
    uint256 public constant MAX_TIP = 1 gwei;

    IDPrompt private immutable _dprompt;
    IStakedRex private immutable _srex;
    uint256 private immutable _pointsPrice;
    uint256 private immutable _maxFee;
    address private immutable _foundation;

    struct Sent {
        address user;
        bool refunded;
        address consumer;
        uint32 callbackGasLimit;
    }

    mapping(uint256 => Sent) private _sent;
    /// @dev consumer => user => may `user` name `consumer` in a request
    mapping(address => mapping(address => bool)) private _approved;

    /// @param pointsPrice_ points one request costs (18 decimals)
    /// @param maxFee_ the most wei of budget one request may take (bounds what a high gas price on
    /// a callback request could draw)
    constructor(IDPrompt dprompt, IStakedRex srex, uint256 pointsPrice_, uint256 maxFee_) {
        _dprompt = dprompt;
        _srex = srex;
        _pointsPrice = pointsPrice_;
        _maxFee = maxFee_;
        _foundation = msg.sender;
    }

    /// @notice Anyone funds the budget by sending native coin (DPrompt's refunds arrive here too).
    receive() external payable {
        emit PointsPaymasterFunded(msg.sender, msg.value);
    }

    /// @inheritdoc IPointsPaymaster
    /// @dev A consumer is named only by itself or a user it approved (a callback through the
    /// paymaster is indistinguishable from the consumer's owner's own), and must have code (a
    /// callback to an account without code never runs, yet the budget would pay for its gas). DPrompt
    /// prices the callback and the decline floor at this transaction's tx.gasprice and checks the
    /// payment against it, so the paymaster refuses a tx.gasprice above block.basefee + MAX_TIP: the
    /// budget never pays more than `requiredPayment(modelId, gas, block.basefee + MAX_TIP)`.
    function request(uint32 modelId, bytes calldata prompt, address consumer, uint32 callbackGasLimit)
        external
        nonReentrant
        returns (uint256 requestId)
    {
        uint256 maxGasPrice = block.basefee + MAX_TIP;
        if (tx.gasprice > maxGasPrice) revert PointsPaymasterGasPriceTooHigh(tx.gasprice, maxGasPrice);
        uint32 gasLimit;
        if (consumer != address(0)) {
            if (consumer.code.length == 0) revert PointsPaymasterConsumerHasNoCode(consumer);
            if (consumer != msg.sender && !_approved[consumer][msg.sender]) {
                revert PointsPaymasterConsumerNotApproved(consumer, msg.sender);
            }
            uint256 maxGas = _dprompt.maxCallbackGasLimit(modelId);
            uint256 maxCallback = maxGas > FORWARD_GAS ? maxGas - FORWARD_GAS : 0;
            if (callbackGasLimit > maxCallback) revert PointsPaymasterCallbackGasLimit(callbackGasLimit, maxCallback);
            gasLimit = callbackGasLimit + FORWARD_GAS;
        }
        uint256 fee = _dprompt.requiredPayment(modelId, gasLimit, tx.gasprice);
        if (fee > _maxFee) revert PointsPaymasterFeeTooHigh(fee, _maxFee);
        if (fee > address(this).balance) revert PointsPaymasterBudgetTooLow(address(this).balance, fee);
        _srex.spendPoints(msg.sender, _pointsPrice);
        requestId = gasLimit == 0
            ? _dprompt.request{value: fee}(modelId, prompt)
            : _dprompt.requestWithCallback{value: fee}(modelId, prompt, gasLimit);
        _sent[requestId] = Sent(msg.sender, false, consumer, callbackGasLimit);
        emit PointsPaymasterRequested(requestId, msg.sender, modelId, _pointsPrice, fee, consumer);
    }

    /// @inheritdoc IPointsPaymaster
    function setRequester(address user, bool allowed) external {
        _approved[msg.sender][user] = allowed;
        emit PointsPaymasterRequesterSet(msg.sender, user, allowed);
    }

    /// @inheritdoc IPointsPaymaster
    function isRequester(address consumer, address user) external view returns (bool) {
        return consumer == user || _approved[consumer][user];
    }

    /// @inheritdoc IPointsPaymaster
    /// @dev Only a missed request is refunded: DPrompt's `reclaim` reverts unless the request is
    /// pending past its deadline; one somebody already settled on DPrompt directly (anyone may; its
    /// fee is credited to the paymaster all the same) reads as `Reclaimed`. The flag makes it once.
    function refund(uint256 requestId) external nonReentrant {
        Sent storage s = _sent[requestId];
        address user = s.user;
        if (user == address(0)) revert PointsPaymasterUnknownRequest(requestId);
        if (s.refunded) revert PointsPaymasterAlreadyRefunded(requestId);
        s.refunded = true;
        uint256 held = address(this).balance;
        if (_dprompt.requestState(requestId).status != IDPrompt.RequestStatus.Reclaimed) {
            _dprompt.reclaim(requestId);
        }
        if (_dprompt.credits(address(this)) != 0) _dprompt.withdraw();
        _srex.refundPoints(user, _pointsPrice);
        emit PointsPaymasterRefunded(requestId, user, _pointsPrice, address(this).balance - held, msg.sender);
    }

    /// @notice DPrompt delivers the answer of a callback request; it is passed on to the user's
    /// consumer with the gas the user asked for, and its failure is recorded, not propagated.
    function onDPromptAnswer(uint256 requestId, uint32 modelId, uint256 answer) external {
        if (msg.sender != address(_dprompt)) revert PointsPaymasterUnauthorized(msg.sender);
        Sent storage s = _sent[requestId];
        address consumer = s.consumer;
        bool ok;
        if (consumer.code.length != 0) {
            (ok,) = consumer.call{gas: s.callbackGasLimit}(
                abi.encodeCall(IDPromptConsumer.onDPromptAnswer, (requestId, modelId, answer))
            );
        }
        emit PointsPaymasterCallback(requestId, consumer, ok);
    }

    /// @notice The foundation (the deployer) takes `amount` wei of the unspent budget back.
    function defund(uint256 amount) external nonReentrant {
        if (msg.sender != _foundation) revert PointsPaymasterUnauthorized(msg.sender);
        emit PointsPaymasterDefunded(amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert PointsPaymasterTransferFailed(msg.sender, amount);
    }

    /// @inheritdoc IPointsPaymaster
    function pointsPrice() external view returns (uint256) {
        return _pointsPrice;
    }

    /// @inheritdoc IPointsPaymaster
    function maxFee() external view returns (uint256) {
        return _maxFee;
    }

    /// @notice The native coin available for fees, wei.
    function budget() external view returns (uint256) {
        return address(this).balance;
    }

    /// @notice DPrompt and StakedRex this paymaster works with.
    function contracts() external view returns (address dprompt, address srex) {
        return (address(_dprompt), address(_srex));
    }

    /// @inheritdoc IPointsPaymaster
    function requestOf(uint256 requestId) external view returns (address user, uint256 points, bool refunded) {
        Sent storage s = _sent[requestId];
        return (s.user, s.user == address(0) ? 0 : _pointsPrice, s.refunded);
    }
}
