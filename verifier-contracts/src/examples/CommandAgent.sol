// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {DPromptConsumerBase} from "../DPromptConsumerBase.sol";
import {IDPrompt} from "../interfaces/IDPrompt.sol";

/// @title CommandAgent
/// @notice An example of agents composed on-chain: one `ask` requests two proven answers about the same
/// prompt, what the user wants done (the intent model: a bitmap over its labels, e.g. SWAP, BRIDGE) and
/// which tokens it names (the ticker model), and once both are in emits them together as a
/// {Command}. Clients decode the bitmaps with each model's labels.json (`zkrevox.chain.command`).
///
/// Ids: an ask is known by the DPrompt id of its intent request (`askId`); its ticker request is
/// always `askId + 1`, because `ask` makes both requests back to back and DPrompt numbers requests
/// consecutively and calls no one while it records a request (checked: {CommandAgentRequestIdsNotAdjacent}).
///
/// Money: `ask` takes exactly `quote(tx.gasprice)` (each model's fee and callback gas, read from
/// DPrompt's configs at the time) and sends the rest of `msg.value` back to the caller at once. If a
/// request is not answered by its deadline, the ask can never complete: once every unanswered
/// request of it is past its deadline, anyone may call {reclaim}, which takes each unanswered
/// request's whole payment back from DPrompt and sends it to the asker (an answered request was
/// paid for its answer). A refused transfer to the asker reverts (`ask` or `reclaim`); the funds
/// stay where they were.
///
/// Callbacks: only DPrompt may deliver an answer; an answer for a request this contract did not
/// make, or for a side already answered or an ask already ended, is refused (the revert is DPrompt's
/// recorded callback failure; the fulfilment stands). The callbacks write storage and emit events
/// only: no external call, so they cannot re-enter DPrompt, and they fit in {CALLBACK_GAS}.
contract CommandAgent is DPromptConsumerBase, ReentrancyGuardTransient {
    /// @notice Gas each callback asks for: the worst path (the second answer: a fresh slot, the
    /// ask's state, the first answer read back and the {Command} event) takes about 35,000.
    uint32 public constant CALLBACK_GAS = 60_000;

    uint8 private constant INTENTS_IN = 1;
    uint8 private constant TICKERS_IN = 2;
    uint8 private constant REFUNDED = 4;

    /// @notice The intent model's id on DPrompt (its answer: bit i = intent label i).
    uint32 public immutable intentModelId;
    /// @notice The ticker model's id on DPrompt (its answer: bit i = ticker label i).
    uint32 public immutable tickerModelId;

    struct Ask {
        address asker; // who paid; gets the refund of unanswered requests
        uint8 state; // INTENTS_IN | TICKERS_IN | REFUNDED
        uint256 intents; // the intent model's proven bitmap, once INTENTS_IN
        uint256 tickers; // the ticker model's proven bitmap, once TICKERS_IN
    }

    mapping(uint256 askId => Ask) private _asks;

    /// @notice `asker` asked about `prompt`: DPrompt requests `askId` (intent model) and `askId + 1`
    /// (ticker model), each paid `intentPayment` and `tickerPayment` wei.
    event CommandAsked(uint256 indexed askId, address indexed asker, uint256 intentPayment, uint256 tickerPayment);
    /// @notice Both proven answers of ask `askId` are in: `intents` (bit i: intent label i) and
    /// `tickers` (bit i: ticker label i).
    event Command(uint256 indexed askId, uint256 intents, uint256 tickers);
    /// @notice Ask `askId` ended without a command: `amount` wei, the payments of its unanswered
    /// requests, went back to `asker`.
    event CommandRefunded(uint256 indexed askId, address indexed asker, uint256 amount);

    /// @notice The intent and ticker model ids are the same (`modelId`): the two answers could not be told apart.
    error CommandAgentSameModel(uint32 modelId);
    /// @notice `ask` was sent `paid` wei; it needs `required` (`quote(tx.gasprice)`).
    error CommandAgentPaymentTooLow(uint256 paid, uint256 required);
    /// @notice DPrompt numbered the ticker request `tickerRequest`, not the intent request + 1 (`intentRequest` + 1).
    error CommandAgentRequestIdsNotAdjacent(uint256 intentRequest, uint256 tickerRequest);
    /// @notice DPrompt delivered an answer of `requestId` (model `modelId`), a request this contract did not make.
    error CommandAgentUnknownRequest(uint256 requestId, uint32 modelId);
    /// @notice The answer of `requestId` is in already, or its ask `askId` was refunded.
    error CommandAgentAnswerRefused(uint256 requestId, uint256 askId);
    /// @notice No ask `askId`.
    error CommandAgentUnknownAsk(uint256 askId);
    /// @notice Ask `askId` has ended: both answers are in, or it was refunded.
    error CommandAgentAskEnded(uint256 askId);
    /// @notice Request `requestId` of the ask can still be answered until `deadline`; reclaim after it.
    error CommandAgentNotExpired(uint256 requestId, uint256 deadline);
    /// @notice Sending `amount` wei to `to` failed (it refuses the native coin).
    error CommandAgentTransferFailed(address to, uint256 amount);
    /// @notice Only DPrompt's withdrawals pay this contract; `sender` is not DPrompt.
    error CommandAgentUnexpectedPayment(address sender);

    constructor(IDPrompt dprompt_, uint32 intentModelId_, uint32 tickerModelId_) DPromptConsumerBase(dprompt_) {
        if (intentModelId_ == tickerModelId_) revert CommandAgentSameModel(intentModelId_);
        intentModelId = intentModelId_;
        tickerModelId = tickerModelId_;
    }

    /// @notice Only DPrompt pays this contract (`withdraw` of reclaimed payments, in {reclaim}).
    receive() external payable {
        if (msg.sender != address(dprompt)) revert CommandAgentUnexpectedPayment(msg.sender);
    }

    /// @notice What `ask` takes at a gas price of `gasPrice` wei: each model's
    /// `requiredPayment(modelId, CALLBACK_GAS, gasPrice)`.
    function quote(uint256 gasPrice) public view returns (uint256 intentPayment, uint256 tickerPayment) {
        intentPayment = dprompt.requiredPayment(intentModelId, CALLBACK_GAS, gasPrice);
        tickerPayment = dprompt.requiredPayment(tickerModelId, CALLBACK_GAS, gasPrice);
    }

    /// @notice Asks both models about `prompt` (any bytes DPrompt takes). Send at least the sum of
    /// `quote(gasPrice)` for the transaction's gas price; the rest is sent back. DPrompt's reverts
    /// (an empty or too long prompt, no provider, paused) come through unchanged.
    /// @return askId the intent request's DPrompt id; the ticker request is `askId + 1`.
    function ask(bytes calldata prompt) external payable nonReentrant returns (uint256 askId) {
        (uint256 intentPayment, uint256 tickerPayment) = quote(tx.gasprice);
        uint256 required = intentPayment + tickerPayment;
        if (msg.value < required) revert CommandAgentPaymentTooLow(msg.value, required);
        askId = _ask(intentModelId, prompt, CALLBACK_GAS, intentPayment);
        uint256 tickerRequest = _ask(tickerModelId, prompt, CALLBACK_GAS, tickerPayment);
        if (tickerRequest != askId + 1) revert CommandAgentRequestIdsNotAdjacent(askId, tickerRequest);
        _asks[askId].asker = msg.sender;
        emit CommandAsked(askId, msg.sender, intentPayment, tickerPayment);
        // Cannot underflow: checked above.
        unchecked {
            _pay(msg.sender, msg.value - required);
        }
    }

    /// @notice Ends ask `askId` that cannot complete: every request of it not answered must be past
    /// its deadline. Reclaims those from DPrompt and sends their payments to the asker. Anyone may
    /// call it; the money goes to the asker only.
    function reclaim(uint256 askId) external nonReentrant {
        Ask storage a = _asks[askId];
        address asker = a.asker;
        if (asker == address(0)) revert CommandAgentUnknownAsk(askId);
        uint8 state = a.state;
        if (state & REFUNDED != 0 || state == INTENTS_IN | TICKERS_IN) revert CommandAgentAskEnded(askId);
        a.state = state | REFUNDED;
        uint256 refund;
        if (state & INTENTS_IN == 0) refund += _reclaimRequest(askId);
        if (state & TICKERS_IN == 0) refund += _reclaimRequest(askId + 1);
        if (refund != 0) dprompt.withdraw(); // a free model's request refunds nothing (and leaves no credit)
        emit CommandRefunded(askId, asker, refund);
        _pay(asker, refund);
    }

    /// @notice Ask `askId`: its asker, the answers in so far (`intents`, `tickers`: 0 until in),
    /// whether both are in (`complete`) and whether it was refunded.
    function askState(uint256 askId)
        external
        view
        returns (address asker, uint256 intents, uint256 tickers, bool intentsIn, bool tickersIn, bool refunded)
    {
        Ask storage a = _asks[askId];
        uint8 state = a.state;
        return (a.asker, a.intents, a.tickers, state & INTENTS_IN != 0, state & TICKERS_IN != 0, state & REFUNDED != 0);
    }

    function _onDPromptAnswer(uint256 requestId, uint32 modelId, uint256 answer) internal override {
        uint256 askId;
        uint8 side;
        if (modelId == intentModelId) {
            (askId, side) = (requestId, INTENTS_IN);
        } else if (modelId == tickerModelId) {
            // Cannot underflow: DPrompt's request ids start at 1.
            unchecked {
                (askId, side) = (requestId - 1, TICKERS_IN);
            }
        } else {
            revert CommandAgentUnknownRequest(requestId, modelId);
        }
        Ask storage a = _asks[askId];
        if (a.asker == address(0)) revert CommandAgentUnknownRequest(requestId, modelId);
        uint8 state = a.state;
        if (state & (side | REFUNDED) != 0) revert CommandAgentAnswerRefused(requestId, askId);
        state |= side;
        a.state = state;
        if (side == INTENTS_IN) a.intents = answer;
        else a.tickers = answer;
        if (state == INTENTS_IN | TICKERS_IN) {
            emit Command(askId, side == INTENTS_IN ? answer : a.intents, side == TICKERS_IN ? answer : a.tickers);
        }
    }

    /// @dev Reclaims DPrompt request `requestId` (this contract's, unanswered) after its deadline;
    /// returns its payment, now this contract's credit on DPrompt.
    function _reclaimRequest(uint256 requestId) private returns (uint256 payment) {
        IDPrompt.RequestState memory r = dprompt.requestState(requestId);
        if (block.timestamp <= r.deadline) revert CommandAgentNotExpired(requestId, r.deadline);
        // Anyone may settle a missed request; its refund is this agent's credit either way.
        if (r.status != IDPrompt.RequestStatus.Reclaimed) dprompt.reclaim(requestId);
        return r.fee;
    }

    function _pay(address to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert CommandAgentTransferFailed(to, amount);
    }
}
