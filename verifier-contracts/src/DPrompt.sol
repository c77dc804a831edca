// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IDPrompt} from "./interfaces/IDPrompt.sol";
import {IHalo2Verifier} from "./interfaces/IHalo2Verifier.sol";
import {Callbacks} from "./libraries/Callbacks.sol";
import {Featurizer} from "./libraries/Featurizer.sol";
import {Instances} from "./libraries/Instances.sol";
import {ModelRegistry} from "./libraries/ModelRegistry.sol";
import {OptimisticAnswers} from "./libraries/OptimisticAnswers.sol";
import {ProviderStaking} from "./libraries/ProviderStaking.sol";
import {Request, requirePending} from "./libraries/Requests.sol";

/// @title DPrompt
/// @notice Pays for an AI answer only when a zk proof shows that the published model produced
/// it from that very prompt. See {IDPrompt} for the events and errors.
///
/// Flow: anyone publishes a model (verifier, fee, developer share, featurizer spec); providers
/// stake for it (native coin or the deployment's ERC-20) and declare a capacity; `request` (or
/// `requestWithCallback`, from a consumer contract) featurizes the prompt on-chain, stores the
/// packed features and assigns the request round-robin over the model's providers with room; the
/// assigned provider calls `fulfil` with the outputs and the proof before the deadline; the
/// contract rebuilds the public instances `[features * 2^inputScale ..., outputs ...]` itself
/// (or `[packed words ..., outputs ...]` for a model published with `ModelConfig.packing`: the
/// words are built from the stored counts, never taken from the provider) and pays only if the verifier accepts them: the developer's share of the model fee to the
/// publisher, the rest of the payment to the provider; then it calls the consumer back. After a
/// missed deadline anyone may settle the request (`reclaim`): the requester's payment becomes its
/// credit and `slashBps` of the stake is burned.
///
/// Batches: a model's publisher may register verifiers of its batch-N circuits (same weights, N
/// prompts per proof). `fulfilBatch` answers N requests with one proof: the instances are every
/// request's features, then every request's outputs, in the order of the request ids; each
/// request gets the checks and effects of `fulfil` (one past its deadline or reclaimed is skipped).
///
/// Optimistic mode (verifier-contracts/README.md, "Optimistic answers"): `requestOptimistic` pays
/// the model's lower optimistic fee; the assigned provider `answer`s with the bitmap only, backed by
/// its stake; anyone may `dispute` it during the model's challenge window with one proof against the
/// stored features (a wrong answer is replaced, final at once, and the provider's bond slashed:
/// half to the disputer, half to the requester, who also gets its fee back); after the window
/// `finalize` (batched, anyone) makes it final and pays the provider as for a proof.
///
/// Storage per request: two slots written by `request` plus the packed features (one slot per
/// 256 bits: two for the ticker spec). Fulfilment overwrites feature word 0 with the answer
/// bitmap and clears the other words (the features are dead once proven), so storing the
/// answer costs a warm re-write instead of a fresh slot. A provider's stake, earned fees, pending
/// count and capacity share one slot, so `fulfil` updates the provider with a single write.
///
/// Roles: this contract holds the state and the hot paths (requests, fulfilment, proof checks,
/// payments); publishing lives in the {ModelRegistry} library, staking and reclaim in
/// {ProviderStaking}, the optimistic mode and the request reads in {OptimisticAnswers}: external
/// libraries reached by DELEGATECALL, so their code does not count against EIP-170. Reads whose
/// return data is a large struct or array are ABI-encoded by the library and returned as they are.
///
/// Security notes: every payout of fees goes through `_credits` and the one `withdraw` (pull
/// payments, checks-effects-interactions); stake tokens go back only to their provider, in
/// `withdrawStake`. The verifier (or a batch verifier) is called with STATICCALL: it can change no
/// state, so proof verification is a *check* and runs before the effects. A consumer's callback
/// is the last thing a fulfilment does, with a fixed gas limit and its return data never copied;
/// its failure is recorded, never propagated; fulfilment, reclaim, answer, dispute, finalize and the
/// payout paths are `nonReentrant` (transient storage), so a callback can request again but not
/// re-enter them.
contract DPrompt is IDPrompt, ReentrancyGuardTransient {
    /// @dev Longest unbonding delay; keeps `withdrawableAt` within 32 bits for a century.
    uint256 internal constant MAX_UNBONDING_DELAY = 365 days;
    /// @dev Most gas a callback may ask for, and what a request pays for beside its limit (see ModelRegistry).
    uint256 internal constant MAX_CALLBACK_GAS = ModelRegistry.MAX_CALLBACK_GAS;
    uint256 internal constant CALLBACK_OVERHEAD_GAS = ModelRegistry.CALLBACK_OVERHEAD_GAS;
    /// @dev The callback's gas is priced at the request's gas price plus this: the provider's own tip.
    uint256 internal constant CALLBACK_TIP = 1 gwei;

    address private _owner;
    uint32 private _modelCount;
    /// @dev One slot, read and written by every request: the pause flag costs it no extra read.
    uint64 private _nextRequestId;
    bool private _paused;
    uint256 private immutable _unbondingDelay;
    IERC20 private immutable _stakeToken;
    /// @dev Slashed stake (in the stake asset): taken from providers that missed a deadline, paid to no one.
    uint256 private _burned;

    mapping(uint32 modelId => ModelRegistry.Model) private _models;
    mapping(uint32 modelId => ProviderStaking.Pool) private _pools;
    mapping(uint256 requestId => Request) private _requests;
    /// @dev Packed features while pending; once fulfilled, word 0 is the answer bitmap.
    mapping(uint256 requestId => mapping(uint256 word => uint256)) private _payload;
    mapping(address account => uint256) private _credits;
    mapping(uint32 modelId => mapping(uint256 size => ModelRegistry.BatchVerifier)) private _batchVerifiers;
    /// @dev Optimistic requests only: the mode flag, the window end and the posted (then final) answer.
    mapping(uint256 requestId => OptimisticAnswers.Answer) private _answers;
    /// @dev A token stake's books: what DPrompt owes in the token, and token credits (pull payments).
    ProviderStaking.TokenBook private _tokens;

    modifier onlyOwner() {
        if (msg.sender != _owner) revert DPromptNotOwner(msg.sender);
        _;
    }

    modifier whenNotPaused() {
        if (_paused) revert DPromptIsPaused();
        _;
    }

    /// @param owner_ holds the emergency powers (pause, ownership); it cannot move funds or change a model.
    /// @param unbondingDelay_ seconds between `unbond` and `withdrawStake` (at most a year).
    /// @param stakeToken_ the ERC-20 providers stake, or zero for the native coin. Fees are always native.
    constructor(address owner_, uint256 unbondingDelay_, IERC20 stakeToken_) {
        if (owner_ == address(0)) revert DPromptZeroAddress();
        if (unbondingDelay_ > MAX_UNBONDING_DELAY) revert DPromptInvalidModelConfig("unbondingDelay over 365 days");
        if (address(stakeToken_) != address(0) && address(stakeToken_).code.length == 0) {
            revert DPromptInvalidModelConfig("stake token has no code");
        }
        _owner = owner_;
        _unbondingDelay = unbondingDelay_;
        _stakeToken = stakeToken_;
        _nextRequestId = 1; // id 0 means "none"; a non-zero slot also makes each increment cheap
        emit DPromptOwnershipTransferred(address(0), owner_);
    }

    // ---------------------------------------------------------------- owner: emergency powers

    /// @inheritdoc IDPrompt
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert DPromptZeroAddress();
        address previous = _owner;
        _owner = newOwner;
        emit DPromptOwnershipTransferred(previous, newOwner);
    }

    /// @inheritdoc IDPrompt
    function setPaused(bool paused_) external onlyOwner {
        _paused = paused_;
        emit DPromptPauseSet(paused_);
    }

    // ---------------------------------------------------------------- publishers

    /// @inheritdoc IDPrompt
    function publishModel(ModelConfig calldata config, bytes calldata table)
        external
        whenNotPaused
        returns (uint32 modelId)
    {
        modelId = ++_modelCount;
        ModelRegistry.publish(_models[modelId], modelId, config, table, msg.sender);
    }

    /// @inheritdoc IDPrompt
    function retireModel(uint32 modelId) external {
        ModelRegistry.Model storage m = _publishedBy(modelId, msg.sender);
        m.retired = true;
        emit DPromptModelRetired(modelId);
    }

    /// @inheritdoc IDPrompt
    function registerBatchVerifier(uint32 modelId, uint256 size, IHalo2Verifier verifier, bytes32 vkHash) external {
        _registerBatchVerifier(modelId, size, verifier, vkHash, FeaturePacking(0, 0, 0));
    }

    /// @inheritdoc IDPrompt
    function registerPackedBatchVerifier(
        uint32 modelId,
        uint256 size,
        IHalo2Verifier verifier,
        bytes32 vkHash,
        FeaturePacking calldata packing
    ) external {
        if (packing.digits == 0) revert DPromptInvalidModelConfig("packing needs digits >= 1");
        _registerBatchVerifier(modelId, size, verifier, vkHash, packing);
    }

    function _registerBatchVerifier(
        uint32 modelId,
        uint256 size,
        IHalo2Verifier verifier,
        bytes32 vkHash,
        FeaturePacking memory packing
    ) private {
        ModelRegistry.Model storage m = _publishedBy(modelId, msg.sender);
        if (m.retired) revert DPromptModelIsRetired(modelId);
        ModelRegistry.registerBatchVerifier(m, _batchVerifiers[modelId][size], modelId, size, verifier, vkHash, packing);
        emit DPromptBatchVerifierRegistered(modelId, size, verifier, vkHash);
    }

    // ---------------------------------------------------------------- providers

    /// @inheritdoc IDPrompt
    /// @dev Staking during unbonding cancels the unbonding (the provider rejoins the pool).
    function stake(uint32 modelId, uint256 amount) external payable nonReentrant whenNotPaused {
        ModelRegistry.Model storage m = _liveModel(modelId);
        uint256 value = address(_stakeToken) == address(0) ? amount : 0;
        if (msg.value != value) revert DPromptStakeValueMismatch(msg.value, amount);
        ProviderStaking.stake(_pools[modelId], m, modelId, msg.sender, amount, _stakeToken, _tokens);
    }

    /// @inheritdoc IDPrompt
    /// @dev Leaves the pool at once (no new assignments); requests already held must still be
    /// fulfilled, and the stake stays locked until they are fulfilled or reclaimed.
    function unbond(uint32 modelId) external {
        ProviderStaking.unbond(_pools[modelId], modelId, msg.sender, _unbondingDelay);
    }

    /// @inheritdoc IDPrompt
    /// @dev Allowed in any state (also before staking, and for a retired model); lowering it below
    /// the requests already held takes nothing back: they stay assigned and must be fulfilled.
    function setCapacity(uint32 modelId, uint16 capacity) external {
        _model(modelId);
        ProviderStaking.setCapacity(_pools[modelId], modelId, msg.sender, capacity);
    }

    /// @inheritdoc IDPrompt
    /// @dev The stake becomes credit: native (`withdraw`), or in the token (`withdrawTokens`).
    function withdrawStake(uint32 modelId) external nonReentrant {
        _stakeCredits()[msg.sender] += ProviderStaking.withdrawStake(_pools[modelId], modelId, msg.sender);
    }

    /// @dev Where credit in the stake asset goes: the native credits, or the token's.
    function _stakeCredits() private view returns (mapping(address => uint256) storage) {
        return address(_stakeToken) == address(0) ? _credits : _tokens.credits;
    }

    /// @inheritdoc IDPrompt
    function collectDeveloperEarnings(uint32 modelId) external {
        _credits[msg.sender] += ModelRegistry.collectDeveloperEarnings(_publishedBy(modelId, msg.sender), modelId);
    }

    /// @inheritdoc IDPrompt
    function collectEarnings(uint32 modelId) external {
        _credits[msg.sender] += ProviderStaking.collectEarnings(_pools[modelId], modelId, msg.sender);
    }

    // ---------------------------------------------------------------- requests

    /// @inheritdoc IDPrompt
    /// @dev The whole payment is the request's fee (anything above the model fee is a tip).
    function request(uint32 modelId, bytes calldata prompt) external payable returns (uint256) {
        return _request(modelId, prompt, 0, false);
    }

    /// @inheritdoc IDPrompt
    function requestWithCallback(uint32 modelId, bytes calldata prompt, uint32 callbackGasLimit)
        external
        payable
        returns (uint256)
    {
        if (callbackGasLimit == 0 || callbackGasLimit > MAX_CALLBACK_GAS) {
            revert DPromptCallbackGasLimit(callbackGasLimit, MAX_CALLBACK_GAS);
        }
        return _request(modelId, prompt, callbackGasLimit, false);
    }

    /// @inheritdoc IDPrompt
    function requestOptimistic(uint32 modelId, bytes calldata prompt, uint32 callbackGasLimit)
        external
        payable
        returns (uint256)
    {
        if (callbackGasLimit > MAX_CALLBACK_GAS) revert DPromptCallbackGasLimit(callbackGasLimit, MAX_CALLBACK_GAS);
        return _request(modelId, prompt, callbackGasLimit, true);
    }

    function _request(uint32 modelId, bytes calldata prompt, uint256 callbackGasLimit, bool optimistic)
        private
        whenNotPaused
        returns (uint256 requestId)
    {
        ModelRegistry.Model storage m = _liveModel(modelId);
        // A fulfilment with this callback must fit in a block beside its proof; else nothing is charged.
        if (callbackGasLimit != 0) ModelRegistry.checkCallbackFits(m, callbackGasLimit);
        {
            uint256 required = _requiredPayment(_requestFee(m, modelId, optimistic), callbackGasLimit, tx.gasprice);
            if (msg.value < required) revert DPromptFeeTooLow(msg.value, required);
        }
        if (msg.value > type(uint96).max) revert DPromptFeeTooHigh(msg.value);
        _checkPrompt(prompt.length, m.maxBytes);

        requestId = _nextRequestId;
        // Cannot overflow: one increment per request, 2^64 of them.
        unchecked {
            _nextRequestId = uint64(requestId + 1);
        }
        (address provider, uint256 deadline) = _storeRequest(requestId, modelId, m.responseWindow, callbackGasLimit);
        _storeFeatures(requestId, ModelRegistry.featurizePacked(m, prompt));
        if (optimistic) _answers[requestId].optimistic = true;
        emit DPromptRequested(requestId, msg.sender, provider, modelId, deadline, msg.value, prompt);
    }

    /// @dev The least fee of a request of the mode asked for.
    function _requestFee(ModelRegistry.Model storage m, uint32 modelId, bool optimistic) private view returns (uint256) {
        if (!optimistic) return m.fee;
        if (m.challengeWindow == 0) revert DPromptOptimisticNotOffered(modelId);
        return m.optimisticFee;
    }

    /// @dev Assigns `requestId` to a provider with room and records it (two slots) and the
    /// provider's pending count; the payment is the request's fee.
    function _storeRequest(uint256 requestId, uint32 modelId, uint256 responseWindow, uint256 callbackGasLimit)
        private
        returns (address provider, uint256 deadline)
    {
        ProviderStaking.Pool storage pool = _pools[modelId];
        provider = ProviderStaking.assign(pool, modelId, requestId);
        deadline = block.timestamp + responseWindow;
        _requests[requestId] = Request({
            requester: msg.sender,
            modelId: modelId,
            deadline: uint32(deadline), // fits until 2106
            status: RequestStatus.Pending,
            callbackGasLimit: uint24(callbackGasLimit), // <= MAX_CALLBACK_GAS
            provider: provider,
            fee: uint96(msg.value)
        });
        // Cannot overflow: `assign` picked a provider whose pending count is below its capacity (a uint16).
        unchecked {
            pool.providers[provider].pending += 1;
        }
    }

    /// @inheritdoc IDPrompt
    function fulfil(uint256 requestId, bytes calldata proof, uint256[] calldata outputs) external nonReentrant {
        Request storage r = _requests[requestId];
        requirePending(requestId, r.status);
        address provider = r.provider;
        if (msg.sender != provider) revert DPromptNotAssigned(requestId, msg.sender);
        uint256 deadline = r.deadline;
        if (block.timestamp > deadline) revert DPromptDeadlinePassed(requestId, deadline);
        uint32 modelId = r.modelId;
        ModelRegistry.Model storage m = _models[modelId];
        uint256 answer = _verify(requestId, m, proof, outputs);

        r.status = RequestStatus.Fulfilled;
        _storeAnswer(requestId, m, answer);
        uint256 developerCut = m.developerCut;
        ProviderStaking.Provider storage p = _pools[modelId].providers[provider];
        // Cannot underflow: the assigned provider's `pending` counts this request, and its fee is
        // at least the model fee, of which `developerCut` is a part.
        unchecked {
            p.pending -= 1;
            p.earned += uint96(r.fee - developerCut);
        }
        if (developerCut != 0) m.developerEarned += uint80(developerCut);
        emit DPromptFulfilled(requestId, provider, answer);
        uint256 callbackGasLimit = r.callbackGasLimit;
        if (callbackGasLimit != 0) Callbacks.deliver(requestId, r.requester, modelId, answer, callbackGasLimit);
    }

    /// @inheritdoc IDPrompt
    /// @dev Checks every request (as `fulfil` does, in the same order, but a member past its
    /// deadline or reclaimed is marked skipped instead of reverting), verifies the one proof over
    /// every member's stored features, then applies `fulfil`'s effects to the members not skipped
    /// (the provider's slot and the publisher's credit written once), then makes their callbacks.
    function fulfilBatch(uint256[] calldata requestIds, bytes calldata proof, uint256[] calldata outputs)
        external
        nonReentrant
    {
        uint256 n = requestIds.length;
        ModelRegistry.checkBatchSize(n);
        _requireDistinct(requestIds);
        (uint32 modelId, uint256 skipped) = _batchModel(requestIds);
        ModelRegistry.BatchVerifier storage b = _batchVerifiers[modelId][n];
        if (address(b.verifier) == address(0)) revert DPromptUnknownBatchVerifier(modelId, n);
        uint256[] memory answers = _verifyBatch(requestIds, _models[modelId], b, proof, outputs);
        _settleBatch(requestIds, skipped, modelId, answers);
        _batchCallbacks(requestIds, skipped, modelId, answers);
    }

    /// @dev `fulfil`'s effects for each member not skipped (the others get `DPromptFulfilSkipped`);
    /// the provider's slot and the publisher's credit are written once.
    function _settleBatch(uint256[] calldata requestIds, uint256 skipped, uint32 modelId, uint256[] memory answers)
        private
    {
        ModelRegistry.Model storage m = _models[modelId];
        uint256 fees;
        uint256 answered;
        for (uint256 i; i < requestIds.length; ++i) {
            uint256 requestId = requestIds[i];
            Request storage r = _requests[requestId];
            if (skipped & (1 << i) != 0) {
                bytes4 reason = r.status == RequestStatus.Reclaimed
                    ? DPromptAlreadyReclaimed.selector
                    : DPromptDeadlinePassed.selector;
                emit DPromptFulfilSkipped(requestId, msg.sender, reason);
                continue;
            }
            r.status = RequestStatus.Fulfilled;
            _storeAnswer(requestId, m, answers[i]);
            fees += r.fee;
            ++answered;
            emit DPromptFulfilled(requestId, msg.sender, answers[i]);
        }
        uint256 developerCuts = answered * m.developerCut;
        ProviderStaking.Provider storage p = _pools[modelId].providers[msg.sender];
        // Cannot underflow: `pending` counts each answered request (distinct, assigned to the
        // caller, pending; at most ModelRegistry.MAX_BATCH_SIZE), and each fee covers its cut.
        unchecked {
            p.pending -= uint16(answered);
            p.earned += uint96(fees - developerCuts);
        }
        if (developerCuts != 0) m.developerEarned += uint80(developerCuts);
    }

    /// @dev The callbacks of a batch's answered requests, in order, after all of its effects.
    function _batchCallbacks(uint256[] calldata requestIds, uint256 skipped, uint32 modelId, uint256[] memory answers)
        private
    {
        for (uint256 i; i < requestIds.length; ++i) {
            if (skipped & (1 << i) != 0) continue;
            Request storage r = _requests[requestIds[i]];
            uint256 callbackGasLimit = r.callbackGasLimit;
            if (callbackGasLimit != 0) Callbacks.deliver(requestIds[i], r.requester, modelId, answers[i], callbackGasLimit);
        }
    }

    /// @inheritdoc IDPrompt
    function answer(uint256 requestId, uint256 bitmap) external nonReentrant {
        OptimisticAnswers.answer(_requests, _answers, _models, _pools, requestId, bitmap);
    }

    /// @inheritdoc IDPrompt
    /// @dev Checks (answered, window open), then the proof against the stored features, then the
    /// effects ({OptimisticAnswers-overturn}), then the callback with the proven answer.
    function dispute(uint256 requestId, bytes calldata proof, uint256[] calldata outputs) external nonReentrant {
        uint32 modelId = OptimisticAnswers.disputable(_requests, _answers, requestId);
        uint256 proven = _verify(requestId, _models[modelId], proof, outputs);
        OptimisticAnswers.overturn(_requests, _answers, _models, _pools, _credits, requestId, proven, _stakeCredits());
    }

    /// @inheritdoc IDPrompt
    /// @dev Every request's effects first, then the callbacks in order ({OptimisticAnswers-finalize}).
    function finalize(uint256[] calldata requestIds) external nonReentrant {
        OptimisticAnswers.finalize(_requests, _answers, _models, _pools, requestIds);
    }

    /// @inheritdoc IDPrompt
    /// @dev The requester gets its payment back and nothing more; the slash is burned (see the
    /// economics in verifier-contracts/README.md: no one can profit from a provider's miss). The
    /// stored features stay, so a batch proof that already covers this request still verifies for
    /// its other members (`fulfilBatch` skips this one).
    function reclaim(uint256 requestId) external nonReentrant {
        _burned += ProviderStaking.reclaim(_requests, _models, _pools, _credits, requestId);
    }

    /// @inheritdoc IDPrompt
    function decline(uint256 requestId) external nonReentrant {
        OptimisticAnswers.decline(_requests, _answers, _models, _pools, _credits, requestId);
    }

    /// @inheritdoc IDPrompt
    function withdraw() external nonReentrant {
        uint256 amount = _credits[msg.sender];
        if (amount == 0) revert DPromptNothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        emit DPromptWithdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert DPromptTransferFailed(msg.sender, amount);
    }

    /// @inheritdoc IDPrompt
    function withdrawTokens() external nonReentrant {
        ProviderStaking.withdrawTokens(_tokens, _stakeToken, msg.sender);
    }

    function _requiredPayment(uint256 fee, uint256 callbackGasLimit, uint256 gasPrice) private pure returns (uint256) {
        if (callbackGasLimit == 0) return fee;
        return fee + (callbackGasLimit + CALLBACK_OVERHEAD_GAS) * (gasPrice + CALLBACK_TIP);
    }

    // ---------------------------------------------------------------- reads

    /// @inheritdoc IDPrompt
    function owner() external view returns (address) {
        return _owner;
    }

    /// @inheritdoc IDPrompt
    function unbondingDelay() external view returns (uint256) {
        return _unbondingDelay;
    }

    /// @inheritdoc IDPrompt
    function modelCount() external view returns (uint32) {
        return _modelCount;
    }

    /// @inheritdoc IDPrompt
    /// @dev Returns the data ModelRegistry encoded (see `_returnEncoded`).
    function model(uint32 modelId) external view returns (ModelConfig memory, address, bool) {
        _returnEncoded(ModelRegistry.encodedModel(_model(modelId)));
    }

    /// @inheritdoc IDPrompt
    function paused() external view returns (bool) {
        return _paused;
    }

    /// @inheritdoc IDPrompt
    function stakeToken() external view returns (address) {
        return address(_stakeToken);
    }

    /// @inheritdoc IDPrompt
    function maxCallbackGasLimit(uint32 modelId) external view returns (uint256) {
        return ModelRegistry.maxCallbackGasLimit(_model(modelId));
    }

    /// @inheritdoc IDPrompt
    function requiredPayment(uint32 modelId, uint32 callbackGasLimit, uint256 gasPrice) external view returns (uint256) {
        return _requiredPayment(_model(modelId).fee, callbackGasLimit, gasPrice);
    }

    /// @inheritdoc IDPrompt
    /// @dev Returns the data ProviderStaking encoded (see `_returnEncoded`).
    function providerState(uint32 modelId, address provider) external view returns (ProviderState memory) {
        _returnEncoded(ProviderStaking.encodedProviderState(_pools[modelId], provider));
    }

    /// @inheritdoc IDPrompt
    function providers(uint32 modelId) external view returns (address[] memory) {
        return _pools[modelId].members;
    }

    /// @inheritdoc IDPrompt
    function nextRequestId() external view returns (uint256) {
        return _nextRequestId;
    }

    /// @inheritdoc IDPrompt
    /// @dev Returns the data OptimisticAnswers encoded (see `_returnEncoded`).
    function requestState(uint256 requestId) external view returns (RequestState memory) {
        _returnEncoded(OptimisticAnswers.encodedRequestState(_requests, _answers, _payload, requestId));
    }

    /// @inheritdoc IDPrompt
    function answerOf(uint256 requestId) external view returns (uint256) {
        return OptimisticAnswers.finalAnswer(_requests, _answers, _payload, requestId);
    }

    /// @dev Ends the call returning `data` as it is: the ABI encoding of the function's return
    /// values, made by a library (DELEGATECALL) so that encoder is not DPrompt's bytecode.
    function _returnEncoded(bytes memory data) private pure {
        assembly ("memory-safe") {
            return(add(data, 0x20), mload(data))
        }
    }

    /// @inheritdoc IDPrompt
    /// @dev Fulfilment replaces the features with the answer; an optimistic answer leaves them.
    function requestFeatures(uint256 requestId) external view returns (uint256[] memory) {
        Request storage r = _requests[requestId];
        _requireFeatures(requestId, r.status);
        _returnEncoded(ModelRegistry.encodedStoredFeatures(_models[r.modelId], _payload[requestId]));
    }

    /// @dev The features are stored while pending and while an optimistic answer is `Answered`.
    function _requireFeatures(uint256 requestId, RequestStatus status) private pure {
        if (status != RequestStatus.Answered) requirePending(requestId, status);
    }

    /// @inheritdoc IDPrompt
    /// @dev Returns the data OptimisticAnswers encoded (see `_returnEncoded`).
    function publicInstances(uint256 requestId, uint256[] calldata outputs) external view returns (uint256[] memory) {
        _returnEncoded(OptimisticAnswers.encodedPublicInstances(_requests, _models, _payload, requestId, outputs));
    }

    /// @inheritdoc IDPrompt
    function batchVerifier(uint32 modelId, uint256 size) external view returns (IHalo2Verifier, bytes32) {
        ModelRegistry.BatchVerifier storage b = _batchVerifiers[modelId][size];
        return (b.verifier, b.vkHash);
    }

    /// @inheritdoc IDPrompt
    function batchPacking(uint32 modelId, uint256 size) external view returns (FeaturePacking memory) {
        return _batchVerifiers[modelId][size].packing;
    }

    /// @inheritdoc IDPrompt
    /// @dev Returns the data OptimisticAnswers encoded (see `_returnEncoded`).
    function batchPublicInstances(uint256[] calldata requestIds, uint256[] calldata outputs)
        external
        view
        returns (uint256[] memory)
    {
        _returnEncoded(
            OptimisticAnswers.encodedBatchPublicInstances(_requests, _models, _batchVerifiers, _payload, requestIds, outputs)
        );
    }

    /// @inheritdoc IDPrompt
    /// @dev Applies the same length rule as `request`.
    function featurize(uint32 modelId, bytes calldata prompt) external view returns (uint256[] memory) {
        _returnEncoded(ModelRegistry.encodedFeaturize(_model(modelId), prompt));
    }

    /// @inheritdoc IDPrompt
    function credits(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc IDPrompt
    function developerEarnings(uint32 modelId) external view returns (uint256) {
        return _model(modelId).developerEarned - 1;
    }

    /// @inheritdoc IDPrompt
    function tokenCredits(address account) external view returns (uint256) {
        return _tokens.credits[account];
    }

    /// @inheritdoc IDPrompt
    function tokenBooks() external view returns (uint256, uint256) {
        return ProviderStaking.tokenBooks(_tokens, _stakeToken);
    }

    /// @inheritdoc IDPrompt
    function burned() external view returns (uint256) {
        return _burned;
    }

    // ---------------------------------------------------------------- internals

    function _model(uint32 modelId) private view returns (ModelRegistry.Model storage m) {
        m = _models[modelId];
        if (m.table == address(0)) revert DPromptUnknownModel(modelId);
    }

    function _publishedBy(uint32 modelId, address caller) private view returns (ModelRegistry.Model storage m) {
        m = _model(modelId);
        if (m.publisher != caller) revert DPromptNotPublisher(modelId, caller);
    }

    function _liveModel(uint32 modelId) private view returns (ModelRegistry.Model storage m) {
        m = _model(modelId);
        if (m.retired) revert DPromptModelIsRetired(modelId);
    }

    function _checkPrompt(uint256 length, uint256 maxBytes) private pure {
        ModelRegistry.checkPrompt(length, maxBytes);
    }

    /// @dev Pairwise comparison: at most ModelRegistry.MAX_BATCH_SIZE ids (28 comparisons at n = 8), cheaper
    /// than any set in storage or memory.
    function _requireDistinct(uint256[] calldata ids) private pure {
        bytes4 duplicate = DPromptDuplicateRequest.selector;
        assembly ("memory-safe") {
            for { let i := 1 } lt(i, ids.length) { i := add(i, 1) } {
                let id := calldataload(add(ids.offset, shl(5, i)))
                for { let j := 0 } lt(j, i) { j := add(j, 1) } {
                    if eq(id, calldataload(add(ids.offset, shl(5, j)))) {
                        mstore(0x00, duplicate)
                        mstore(0x04, id)
                        revert(0x00, 0x24)
                    }
                }
            }
        }
    }

    /// @dev The model of a batch: every request of the first request's model, with `fulfil`'s checks
    /// in `fulfil`'s order (known, not fulfilled, assigned to the caller), except that a request
    /// reclaimed or past its deadline is not an error: bit i of `skipped` marks it (its stored
    /// features stay, so the proof still verifies; it gets no answer and its provider no fee).
    function _batchModel(uint256[] calldata requestIds) private view returns (uint32 modelId, uint256 skipped) {
        for (uint256 i; i < requestIds.length; ++i) {
            uint256 requestId = requestIds[i];
            Request storage r = _requests[requestId];
            RequestStatus status = r.status;
            if (status == RequestStatus.Reclaimed) {
                skipped |= 1 << i;
            } else {
                requirePending(requestId, status);
            }
            if (msg.sender != r.provider) revert DPromptNotAssigned(requestId, msg.sender);
            if (block.timestamp > r.deadline) skipped |= 1 << i;
            uint32 requestModel = r.modelId;
            if (i == 0) modelId = requestModel;
            else if (requestModel != modelId) revert DPromptBatchModelMismatch(requestId, requestModel, modelId);
        }
    }

    function _storeFeatures(uint256 requestId, uint256[] memory packed) private {
        mapping(uint256 => uint256) storage words = _payload[requestId];
        for (uint256 k; k < packed.length; ++k) {
            // A zero word needs no write: the slot already reads 0.
            if (packed[k] != 0) words[k] = packed[k];
        }
    }

    /// @dev Word 0 of the payload becomes the answer; the remaining feature words are cleared
    /// (each clear earns a storage refund).
    function _storeAnswer(uint256 requestId, ModelRegistry.Model storage m, uint256 answer) private {
        _payload[requestId][0] = answer;
        _clearPayload(requestId, m, 1);
    }

    function _clearPayload(uint256 requestId, ModelRegistry.Model storage m, uint256 from) private {
        uint256 bits = Featurizer.bitsPerFeature(m.clip);
        uint256 words = ((ModelRegistry.numFeatures(m)) * bits + 255) / 256;
        mapping(uint256 => uint256) storage payload = _payload[requestId];
        for (uint256 k = from; k < words; ++k) {
            if (payload[k] != 0) payload[k] = 0;
        }
    }

    /// @dev Builds the verifier's calldata in place, `verifyProof(proof, instances)` with the
    /// instances written straight into the ABI-encoded array (no intermediate array, no copy),
    /// calls the verifier with STATICCALL and returns the answer bitmap. Reverts with
    /// {DPromptProofRejected} unless the verifier returns true: a revert and a `false` are
    /// treated alike, as is a call that returns no data.
    function _verify(uint256 requestId, ModelRegistry.Model storage m, bytes calldata proof, uint256[] calldata outputs)
        private
        view
        returns (uint256 answer)
    {
        FeaturePacking memory packing = ModelRegistry.modelPacking(m);
        (uint256 ptr, uint256 size, uint256 dst) = _verifierCalldata(proof, _numInstances(m, packing, outputs.length));
        answer = Instances.writeInstances(dst, _payload[requestId], m, packing, outputs);
        if (!_staticVerify(address(m.verifier), ptr, size)) revert DPromptProofRejected(requestId);
    }

    /// @dev The public instances of model `m`'s own circuit, its features taken as `packing` says;
    /// reverts unless `given` is the model's number of outputs.
    function _numInstances(ModelRegistry.Model storage m, FeaturePacking memory packing, uint256 given)
        private
        view
        returns (uint256)
    {
        uint256 numOutputs = m.numOutputs;
        if (given != numOutputs) revert DPromptWrongOutputCount(given, numOutputs);
        return ModelRegistry.featureInstances(ModelRegistry.numFeatures(m), packing) + numOutputs;
    }

    /// @dev `_verify` for a batch: one call of the batch verifier over every request's features,
    /// then every request's outputs; returns each request's answer bitmap.
    function _verifyBatch(
        uint256[] calldata requestIds,
        ModelRegistry.Model storage m,
        ModelRegistry.BatchVerifier storage b,
        bytes calldata proof,
        uint256[] calldata outputs
    ) private view returns (uint256[] memory answers) {
        uint256 numInstances =
            requestIds.length * (ModelRegistry.featureInstances(ModelRegistry.numFeatures(m), b.packing) + m.numOutputs);
        (uint256 ptr, uint256 size, uint256 dst) = _verifierCalldata(proof, numInstances);
        answers = Instances.writeBatchInstances(dst, _payload, requestIds, m, b.packing, outputs);
        if (!_staticVerify(address(b.verifier), ptr, size)) {
            revert DPromptBatchProofRejected(requestIds[0], requestIds.length);
        }
    }

    /// @dev Allocates the calldata of `verifyProof(proof, instances)` for `numInstances` instances
    /// and fills in all but the instances, which the caller writes at `dst`.
    /// Layout: selector | offset(proof) = 0x40 | offset(instances) | proof.length | proof,
    /// zero-padded | instances.length | instances.
    function _verifierCalldata(bytes calldata proof, uint256 numInstances)
        private
        pure
        returns (uint256 ptr, uint256 size, uint256 dst)
    {
        assembly ("memory-safe") {
            ptr := mload(0x40)
            let padded := and(add(proof.length, 31), not(31))
            size := add(add(0x84, padded), shl(5, numInstances))
            mstore(0x40, add(ptr, size))
            mstore(ptr, shl(224, 0x1e8e1e13)) // IHalo2Verifier.verifyProof.selector
            mstore(add(ptr, 0x04), 0x40)
            mstore(add(ptr, 0x24), add(0x60, padded))
            mstore(add(ptr, 0x44), proof.length)
            mstore(add(add(ptr, 0x44), padded), 0) // zero the padding of the last proof word
            calldatacopy(add(ptr, 0x64), proof.offset, proof.length)
            mstore(add(add(ptr, 0x64), padded), numInstances)
            dst := add(add(ptr, 0x84), padded)
        }
    }

    /// @dev STATICCALL of the verifier with the calldata at `ptr`; true only if it returned true.
    function _staticVerify(address verifier, uint256 ptr, uint256 size) private view returns (bool accepted) {
        assembly ("memory-safe") {
            let ok := staticcall(gas(), verifier, ptr, size, 0x00, 0x20)
            accepted := and(ok, and(gt(returndatasize(), 0x1f), eq(mload(0x00), 1)))
        }
    }
}
