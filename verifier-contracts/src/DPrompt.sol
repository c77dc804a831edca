// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDPrompt} from "./interfaces/IDPrompt.sol";
import {IHalo2Verifier} from "./interfaces/IHalo2Verifier.sol";
import {Featurizer} from "./libraries/Featurizer.sol";
import {ModelRegistry} from "./libraries/ModelRegistry.sol";

/// @title DPrompt
/// @notice Pays for an AI answer only when a zk proof shows that the registered model produced
/// it from that very prompt. See {IDPrompt} for the events and errors.
///
/// Flow: the owner registers a model (verifier, fee, featurizer spec); providers stake for it;
/// `request` featurizes the prompt on-chain, stores the packed features and assigns the request
/// round-robin (by request id) over the model's pool of eligible providers; the assigned provider
/// calls `fulfil` with the outputs and the proof before the deadline; the contract rebuilds the
/// public instances `[features * 2^inputScale ..., outputs ...]` itself and pays the fee to the
/// provider's credit only if the verifier accepts them. After a missed deadline the requester
/// reclaims the fee plus `slashBps` of the provider's stake.
///
/// Batches: the owner may register, per model, verifiers of the model's batch-N circuits (same
/// weights, N prompts per proof). `fulfilBatch` then answers N requests with one proof: the
/// instances are every request's scaled features, then every request's outputs, in the order of
/// the request ids; each request gets exactly the checks and effects of `fulfil`, all or nothing.
///
/// Storage per request: two slots written by `request` plus the packed features (one slot per
/// 256 bits: two for the ticker spec). Fulfilment overwrites feature word 0 with the answer
/// bitmap and clears the other words (the features are dead once proven), so storing the
/// answer costs a warm re-write instead of a fresh slot. A provider's stake, earned fees and
/// pending count share one slot, so `fulfil` updates the provider with a single write.
///
/// Security notes: every payout goes through `_credits` and the one `withdraw` (pull payments,
/// checks-effects-interactions). The only other external call is the verifier (or a batch
/// verifier), made with STATICCALL: it can change no state and re-enter nothing with effect, so
/// proof verification is a *check* and runs before the effects of `fulfil` and `fulfilBatch`.
contract DPrompt is IDPrompt {
    /// @dev BN254 scalar field modulus r; instances and outputs are elements of F_r.
    uint256 internal constant FIELD_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev Largest field element read as a non-negative signed value, (r - 1) / 2.
    uint256 internal constant HALF_FIELD =
        10944121435919637611123202872628637544274182200208017171849102093287904247808;
    uint256 internal constant BPS = 10_000;
    /// @dev Requests a provider may hold pending until it declares otherwise (`setCapacity`).
    uint16 internal constant DEFAULT_CAPACITY = 16;
    /// @dev Longest unbonding delay; keeps `withdrawableAt` within 32 bits for a century.
    uint256 internal constant MAX_UNBONDING_DELAY = 365 days;

    /// @dev Two slots, written by `request`.
    struct Request {
        address requester;
        uint32 modelId;
        uint40 deadline;
        RequestStatus status;
        address provider;
        uint96 fee;
    }

    /// @dev One slot: everything `request`, `fulfil` and `reclaim` change for a provider.
    struct Provider {
        uint96 stake;
        uint96 earned;
        uint16 pending; // never above 65,535: assignment stops at `capacity`
        uint16 capacity; // 0 = DEFAULT_CAPACITY
        uint32 withdrawableAt; // unix seconds (fits until 2106)
    }

    address private _owner;
    uint32 private _modelCount;
    uint256 private _nextRequestId;
    uint256 private immutable _unbondingDelay;
    /// @dev Slashed stake: taken from providers that missed a deadline, paid to no one, never withdrawable.
    uint256 private _burned;

    mapping(uint32 modelId => ModelRegistry.Model) private _models;
    mapping(uint32 modelId => address[]) private _pools;
    /// @dev Index + 1 of a provider in `_pools[modelId]`; 0 = not in the pool (not eligible).
    mapping(uint32 modelId => mapping(address provider => uint256)) private _poolSlots;
    mapping(uint32 modelId => mapping(address provider => Provider)) private _providers;
    mapping(uint256 requestId => Request) private _requests;
    /// @dev Packed features while pending; once fulfilled, word 0 is the answer bitmap.
    mapping(uint256 requestId => mapping(uint256 word => uint256)) private _payload;
    mapping(address account => uint256) private _credits;
    mapping(uint32 modelId => mapping(uint256 size => ModelRegistry.BatchVerifier)) private _batchVerifiers;

    modifier onlyOwner() {
        if (msg.sender != _owner) revert DPromptNotOwner(msg.sender);
        _;
    }

    /// @param owner_ manages the model registry.
    /// @param unbondingDelay_ seconds between `unbond` and `withdrawStake`.
    constructor(address owner_, uint256 unbondingDelay_) {
        if (owner_ == address(0)) revert DPromptZeroAddress();
        if (unbondingDelay_ > MAX_UNBONDING_DELAY) revert DPromptInvalidModelConfig("unbondingDelay over 365 days");
        _owner = owner_;
        _unbondingDelay = unbondingDelay_;
        _nextRequestId = 1; // id 0 means "none"; a non-zero slot also makes each increment cheap
        emit DPromptOwnershipTransferred(address(0), owner_);
    }

    // ---------------------------------------------------------------- owner

    /// @inheritdoc IDPrompt
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert DPromptZeroAddress();
        address previous = _owner;
        _owner = newOwner;
        emit DPromptOwnershipTransferred(previous, newOwner);
    }

    /// @inheritdoc IDPrompt
    function registerModel(ModelConfig calldata config, bytes calldata table)
        external
        onlyOwner
        returns (uint32 modelId)
    {
        modelId = ++_modelCount;
        ModelRegistry.register(_models[modelId], config, table);
        emit DPromptModelRegistered(modelId, config.verifier, config.vkHash, config.fee);
    }

    /// @inheritdoc IDPrompt
    function retireModel(uint32 modelId) external onlyOwner {
        ModelRegistry.Model storage m = _liveModel(modelId);
        m.retired = true;
        emit DPromptModelRetired(modelId);
    }

    /// @inheritdoc IDPrompt
    function registerBatchVerifier(uint32 modelId, uint256 size, IHalo2Verifier verifier, bytes32 vkHash)
        external
        onlyOwner
    {
        _registerBatchVerifier(modelId, size, verifier, vkHash, FeaturePacking(0, 0, 0));
    }

    /// @inheritdoc IDPrompt
    function registerPackedBatchVerifier(
        uint32 modelId,
        uint256 size,
        IHalo2Verifier verifier,
        bytes32 vkHash,
        FeaturePacking calldata packing
    ) external onlyOwner {
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
        ModelRegistry.registerBatchVerifier(
            _liveModel(modelId), _batchVerifiers[modelId][size], modelId, size, verifier, vkHash, packing
        );
        emit DPromptBatchVerifierRegistered(modelId, size, verifier, vkHash);
    }

    // ---------------------------------------------------------------- providers

    /// @inheritdoc IDPrompt
    /// @dev Staking during unbonding cancels the unbonding (the provider rejoins the pool).
    function stake(uint32 modelId) external payable {
        ModelRegistry.Model storage m = _liveModel(modelId);
        if (msg.value == 0) revert DPromptZeroAmount();
        Provider storage p = _providers[modelId][msg.sender];
        uint256 newStake = p.stake + msg.value;
        if (newStake > type(uint96).max) revert DPromptStakeTooLarge(newStake);
        p.stake = uint96(newStake);
        p.withdrawableAt = 0;
        if (_poolSlots[modelId][msg.sender] == 0 && newStake >= m.minStake) _joinPool(modelId, msg.sender);
        emit DPromptStaked(modelId, msg.sender, msg.value, newStake);
    }

    /// @inheritdoc IDPrompt
    /// @dev Leaves the pool at once (no new assignments); requests already held must still be
    /// fulfilled, and the stake stays locked until they are fulfilled or reclaimed.
    function unbond(uint32 modelId) external {
        Provider storage p = _providers[modelId][msg.sender];
        if (p.stake == 0) revert DPromptNotStaked(modelId, msg.sender);
        if (p.withdrawableAt != 0) revert DPromptAlreadyUnbonding(modelId, msg.sender);
        uint256 withdrawableAt = block.timestamp + _unbondingDelay;
        p.withdrawableAt = uint32(withdrawableAt); // fits: the delay is at most a year
        if (_poolSlots[modelId][msg.sender] != 0) _leavePool(modelId, msg.sender);
        emit DPromptUnbondingStarted(modelId, msg.sender, withdrawableAt);
    }

    /// @inheritdoc IDPrompt
    /// @dev Allowed in any state (also before staking, and for a retired model); lowering it below
    /// the requests already held takes nothing back: they stay assigned and must be fulfilled.
    function setCapacity(uint32 modelId, uint16 capacity) external {
        _model(modelId);
        if (capacity == 0) revert DPromptZeroAmount();
        _providers[modelId][msg.sender].capacity = capacity;
        emit DPromptCapacitySet(modelId, msg.sender, capacity);
    }

    /// @inheritdoc IDPrompt
    function withdrawStake(uint32 modelId) external {
        Provider storage p = _providers[modelId][msg.sender];
        uint256 withdrawableAt = p.withdrawableAt;
        if (withdrawableAt == 0) revert DPromptNotUnbonding(modelId, msg.sender);
        if (block.timestamp < withdrawableAt) revert DPromptUnbondingNotOver(withdrawableAt);
        if (p.pending != 0) revert DPromptStakeLocked(modelId, msg.sender, p.pending);
        uint256 amount = p.stake;
        p.stake = 0;
        p.withdrawableAt = 0;
        _credits[msg.sender] += amount;
        emit DPromptStakeWithdrawn(modelId, msg.sender, amount);
    }

    /// @inheritdoc IDPrompt
    function collectEarnings(uint32 modelId) external {
        Provider storage p = _providers[modelId][msg.sender];
        uint256 amount = p.earned;
        if (amount == 0) revert DPromptNothingToWithdraw(msg.sender);
        p.earned = 0;
        _credits[msg.sender] += amount;
        emit DPromptEarningsCollected(modelId, msg.sender, amount);
    }

    // ---------------------------------------------------------------- requests

    /// @inheritdoc IDPrompt
    /// @dev The whole payment is the request's fee (anything above the model fee is a tip).
    function request(uint32 modelId, bytes calldata prompt) external payable returns (uint256 requestId) {
        ModelRegistry.Model storage m = _liveModel(modelId);
        uint256 fee = m.fee;
        if (msg.value < fee) revert DPromptFeeTooLow(msg.value, fee);
        if (msg.value > type(uint96).max) revert DPromptFeeTooHigh(msg.value);
        Featurizer.Spec memory spec = ModelRegistry.spec(m);
        _checkPrompt(prompt.length, spec.maxBytes);

        requestId = _nextRequestId;
        // Cannot overflow: one increment per request.
        unchecked {
            _nextRequestId = requestId + 1;
        }
        address provider = _assign(modelId, requestId);
        uint256 deadline = block.timestamp + m.responseWindow;
        _storeRequest(requestId, modelId, provider, deadline);
        _storeFeatures(requestId, Featurizer.featurizePacked(prompt, spec));
        emit DPromptRequested(requestId, msg.sender, provider, modelId, deadline, msg.value, prompt);
    }

    /// @inheritdoc IDPrompt
    function fulfil(uint256 requestId, bytes calldata proof, uint256[] calldata outputs) external {
        Request storage r = _requests[requestId];
        _requirePending(requestId, r.status);
        address provider = r.provider;
        if (msg.sender != provider) revert DPromptNotAssigned(requestId, msg.sender);
        uint256 deadline = r.deadline;
        if (block.timestamp > deadline) revert DPromptDeadlinePassed(requestId, deadline);
        uint32 modelId = r.modelId;
        ModelRegistry.Model storage m = _models[modelId];
        uint256 answer = _verify(requestId, m, proof, outputs);

        r.status = RequestStatus.Fulfilled;
        _storeAnswer(requestId, m, answer);
        Provider storage p = _providers[modelId][provider];
        // Cannot underflow: the assigned provider's `pending` counts this request.
        unchecked {
            p.pending -= 1;
        }
        p.earned += r.fee;
        emit DPromptFulfilled(requestId, provider, answer);
    }

    /// @inheritdoc IDPrompt
    /// @dev Checks every request (as `fulfil` does, in the same order, but a member past its
    /// deadline or reclaimed is marked skipped instead of reverting), verifies the one proof over
    /// every member's stored features, then applies `fulfil`'s effects to the members not skipped;
    /// the provider's slot is written once.
    function fulfilBatch(uint256[] calldata requestIds, bytes calldata proof, uint256[] calldata outputs) external {
        uint256 n = requestIds.length;
        ModelRegistry.checkBatchSize(n);
        _requireDistinct(requestIds);
        (uint32 modelId, uint256 skipped) = _batchModel(requestIds, true);
        ModelRegistry.BatchVerifier storage b = _batchVerifiers[modelId][n];
        if (address(b.verifier) == address(0)) revert DPromptUnknownBatchVerifier(modelId, n);
        ModelRegistry.Model storage m = _models[modelId];
        uint256[] memory answers = _verifyBatch(requestIds, m, b, proof, outputs);

        uint96 fees;
        uint16 answered;
        for (uint256 i; i < n; ++i) {
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
        Provider storage p = _providers[modelId][msg.sender];
        // Cannot underflow: `pending` counts each answered request (distinct, assigned to the
        // caller, pending); at most ModelRegistry.MAX_BATCH_SIZE of them.
        unchecked {
            p.pending -= answered;
        }
        p.earned += fees;
    }

    /// @inheritdoc IDPrompt
    /// @dev The requester gets its fee back and nothing more; the slash is burned (see the
    /// economics in verifier-contracts/README.md: no one can profit from a provider's miss). The
    /// stored features stay, so a batch proof that already covers this request still verifies for
    /// its other members (`fulfilBatch` skips this one).
    function reclaim(uint256 requestId) external {
        Request storage r = _requests[requestId];
        _requirePending(requestId, r.status);
        if (msg.sender != r.requester) revert DPromptNotRequester(requestId, msg.sender);
        uint256 deadline = r.deadline;
        if (block.timestamp <= deadline) revert DPromptDeadlineNotPassed(requestId, deadline);
        uint32 modelId = r.modelId;
        ModelRegistry.Model storage m = _models[modelId];
        address provider = r.provider;
        Provider storage p = _providers[modelId][provider];
        uint256 stakeBefore = p.stake;
        uint256 slashed = (stakeBefore * m.slashBps) / BPS;
        uint256 refund = r.fee;

        r.status = RequestStatus.Reclaimed;
        // Cannot underflow: `slashed` <= the stake (slashBps <= BPS), and `pending` counts this request.
        unchecked {
            p.stake = uint96(stakeBefore - slashed);
            p.pending -= 1;
        }
        if (stakeBefore - slashed < m.minStake && _poolSlots[modelId][provider] != 0) _leavePool(modelId, provider);
        _burned += slashed;
        _credits[msg.sender] += refund;
        emit DPromptReclaimed(requestId, msg.sender, provider, refund, slashed);
    }

    /// @inheritdoc IDPrompt
    function withdraw() external {
        uint256 amount = _credits[msg.sender];
        if (amount == 0) revert DPromptNothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        emit DPromptWithdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert DPromptTransferFailed(msg.sender, amount);
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
    function model(uint32 modelId) external view returns (ModelConfig memory config, bool retired) {
        ModelRegistry.Model storage m = _model(modelId);
        config = ModelRegistry.config(m);
        retired = m.retired;
    }

    /// @inheritdoc IDPrompt
    function providerState(uint32 modelId, address provider) external view returns (ProviderState memory) {
        Provider storage p = _providers[modelId][provider];
        return ProviderState({
            stake: p.stake,
            earned: p.earned,
            pending: p.pending,
            capacity: _capacity(p),
            withdrawableAt: p.withdrawableAt,
            eligible: _poolSlots[modelId][provider] != 0
        });
    }

    /// @inheritdoc IDPrompt
    function providers(uint32 modelId) external view returns (address[] memory) {
        return _pools[modelId];
    }

    /// @inheritdoc IDPrompt
    function nextRequestId() external view returns (uint256) {
        return _nextRequestId;
    }

    /// @inheritdoc IDPrompt
    function requestState(uint256 requestId) external view returns (RequestState memory) {
        Request storage r = _requests[requestId];
        if (r.status == RequestStatus.None) revert DPromptUnknownRequest(requestId);
        return RequestState({
            status: r.status,
            modelId: r.modelId,
            requester: r.requester,
            provider: r.provider,
            deadline: r.deadline,
            fee: r.fee,
            answer: r.status == RequestStatus.Fulfilled ? _payload[requestId][0] : 0
        });
    }

    /// @inheritdoc IDPrompt
    function answerOf(uint256 requestId) external view returns (uint256 bitmap) {
        Request storage r = _requests[requestId];
        if (r.status == RequestStatus.None) revert DPromptUnknownRequest(requestId);
        if (r.status != RequestStatus.Fulfilled) revert DPromptNotFulfilled(requestId);
        return _payload[requestId][0];
    }

    /// @inheritdoc IDPrompt
    /// @dev Only while pending: fulfilment replaces the features with the answer.
    function requestFeatures(uint256 requestId) external view returns (uint256[] memory counts) {
        Request storage r = _requests[requestId];
        _requirePending(requestId, r.status);
        return ModelRegistry.storedFeatures(_models[r.modelId], _payload[requestId]);
    }

    /// @inheritdoc IDPrompt
    /// @dev Exactly the vector `fulfil` hands the verifier (only while the request is pending);
    /// clients compare it with their proof's instances before sending.
    function publicInstances(uint256 requestId, uint256[] calldata outputs) external view returns (uint256[] memory) {
        Request storage r = _requests[requestId];
        _requirePending(requestId, r.status);
        ModelRegistry.Model storage m = _models[r.modelId];
        uint256[] memory instances = new uint256[](ModelRegistry.numFeatures(m) + outputs.length);
        uint256 dst;
        assembly ("memory-safe") {
            dst := add(instances, 0x20)
        }
        _writeInstances(dst, requestId, m, outputs);
        return instances;
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
    /// @dev Only while every request is pending; needs no registered batch verifier.
    function batchPublicInstances(uint256[] calldata requestIds, uint256[] calldata outputs)
        external
        view
        returns (uint256[] memory instances)
    {
        uint256 n = requestIds.length;
        ModelRegistry.checkBatchSize(n);
        (uint32 modelId,) = _batchModel(requestIds, false);
        ModelRegistry.Model storage m = _models[modelId];
        FeaturePacking storage packing = _batchVerifiers[modelId][n].packing;
        instances = new uint256[](n * (_featureInstances(m, packing) + m.numOutputs));
        uint256 dst;
        assembly ("memory-safe") {
            dst := add(instances, 0x20)
        }
        _writeBatchInstances(dst, requestIds, m, packing, outputs);
    }

    /// @inheritdoc IDPrompt
    /// @dev Applies the same length rule as `request`.
    function featurize(uint32 modelId, bytes calldata prompt) external view returns (uint256[] memory counts) {
        ModelRegistry.Model storage m = _model(modelId);
        _checkPrompt(prompt.length, m.maxBytes);
        return ModelRegistry.featurize(m, prompt);
    }

    /// @inheritdoc IDPrompt
    function credits(address account) external view returns (uint256) {
        return _credits[account];
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

    function _liveModel(uint32 modelId) private view returns (ModelRegistry.Model storage m) {
        m = _model(modelId);
        if (m.retired) revert DPromptModelIsRetired(modelId);
    }

    function _checkPrompt(uint256 length, uint256 maxBytes) private pure {
        if (length == 0) revert DPromptEmptyPrompt();
        if (length > maxBytes) revert DPromptPromptTooLong(length, maxBytes);
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

    /// @dev The model of a batch: every request of the first request's model. Without `fulfilling`
    /// (a read) every request must be pending. With it, `fulfil`'s checks in `fulfil`'s order
    /// (known, not fulfilled, assigned to the caller), except that a request reclaimed or past its
    /// deadline is not an error: bit i of `skipped` marks it (its stored features stay, so the
    /// proof still verifies; it gets no answer and its provider no fee).
    function _batchModel(uint256[] calldata requestIds, bool fulfilling)
        private
        view
        returns (uint32 modelId, uint256 skipped)
    {
        for (uint256 i; i < requestIds.length; ++i) {
            uint256 requestId = requestIds[i];
            Request storage r = _requests[requestId];
            RequestStatus status = r.status;
            if (fulfilling && status == RequestStatus.Reclaimed) {
                skipped |= 1 << i;
            } else {
                _requirePending(requestId, status);
            }
            if (fulfilling) {
                if (msg.sender != r.provider) revert DPromptNotAssigned(requestId, msg.sender);
                if (block.timestamp > r.deadline) skipped |= 1 << i;
            }
            uint32 requestModel = r.modelId;
            if (i == 0) modelId = requestModel;
            else if (requestModel != modelId) revert DPromptBatchModelMismatch(requestId, requestModel, modelId);
        }
    }

    function _requirePending(uint256 requestId, RequestStatus status) private pure {
        if (status == RequestStatus.Pending) return;
        if (status == RequestStatus.Fulfilled) revert DPromptAlreadyFulfilled(requestId);
        if (status == RequestStatus.Reclaimed) revert DPromptAlreadyReclaimed(requestId);
        revert DPromptUnknownRequest(requestId);
    }

    /// @dev Round-robin by request id over the model's pool of eligible providers, skipping the
    /// ones at capacity: the first provider from position `requestId % poolLength` on whose pending
    /// requests are fewer than its capacity. Costs one provider slot read per provider skipped.
    function _assign(uint32 modelId, uint256 requestId) private view returns (address) {
        address[] storage pool = _pools[modelId];
        uint256 poolLength = pool.length;
        if (poolLength == 0) revert DPromptNoProvider(modelId);
        mapping(address => Provider) storage states = _providers[modelId];
        uint256 start = requestId % poolLength;
        for (uint256 k; k < poolLength; ++k) {
            address candidate = pool[(start + k) % poolLength];
            Provider storage p = states[candidate];
            if (p.pending < _capacity(p)) return candidate;
        }
        revert DPromptNoCapacity(modelId);
    }

    function _capacity(Provider storage p) private view returns (uint16) {
        uint16 capacity = p.capacity;
        return capacity == 0 ? DEFAULT_CAPACITY : capacity;
    }

    function _storeRequest(uint256 requestId, uint32 modelId, address provider, uint256 deadline) private {
        Request storage r = _requests[requestId];
        r.requester = msg.sender;
        r.modelId = modelId;
        r.deadline = uint40(deadline);
        r.status = RequestStatus.Pending;
        r.provider = provider;
        r.fee = uint96(msg.value);
        // Cannot overflow: `_assign` picked a provider whose pending count is below its capacity (a uint16).
        unchecked {
            _providers[modelId][provider].pending += 1;
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

    function _joinPool(uint32 modelId, address provider) private {
        address[] storage pool = _pools[modelId];
        pool.push(provider);
        _poolSlots[modelId][provider] = pool.length;
    }

    /// @dev Swap-and-pop; the moved provider's slot is updated.
    function _leavePool(uint32 modelId, address provider) private {
        address[] storage pool = _pools[modelId];
        uint256 index = _poolSlots[modelId][provider] - 1;
        uint256 last = pool.length - 1;
        if (index != last) {
            address moved = pool[last];
            pool[index] = moved;
            _poolSlots[modelId][moved] = index + 1;
        }
        pool.pop();
        _poolSlots[modelId][provider] = 0;
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
        uint256 numOutputs = m.numOutputs;
        if (outputs.length != numOutputs) revert DPromptWrongOutputCount(outputs.length, numOutputs);
        (uint256 ptr, uint256 size, uint256 dst) =
            _verifierCalldata(proof, ModelRegistry.numFeatures(m) + numOutputs);
        answer = _writeInstances(dst, requestId, m, outputs);
        if (!_staticVerify(address(m.verifier), ptr, size)) revert DPromptProofRejected(requestId);
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
        uint256 numInstances = requestIds.length * (_featureInstances(m, b.packing) + m.numOutputs);
        (uint256 ptr, uint256 size, uint256 dst) = _verifierCalldata(proof, numInstances);
        answers = _writeBatchInstances(dst, requestIds, m, b.packing, outputs);
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

    /// @dev Writes `[features * 2^inputScale ..., outputs ...]` at memory `dst` from the stored
    /// packed features of `requestId`, checks that every output is below the field modulus, and
    /// returns the answer bitmap: bit i set iff output i is strictly positive as a signed field
    /// element (0 < v <= (r - 1) / 2). The caller owns `dst` (allocated, large enough).
    function _writeInstances(uint256 dst, uint256 requestId, ModelRegistry.Model storage m, uint256[] calldata outputs)
        private
        view
        returns (uint256 answer)
    {
        uint256 numFeatures = ModelRegistry.numFeatures(m);
        _writeFeatures(dst, _payload[requestId], numFeatures, Featurizer.bitsPerFeature(m.clip), m.inputScale);
        // Cannot overflow: `dst` points into allocated memory.
        unchecked {
            answer = _writeOutputs(dst + (numFeatures << 5), outputs, 0);
        }
    }

    /// @dev `_writeInstances` for a batch: every request's features (request i at instance
    /// i * numFeatures), then all outputs, request by request, as submitted. `outputs` must hold
    /// numOutputs per request; output indices in errors count from the batch's first output.
    function _writeBatchInstances(
        uint256 dst,
        uint256[] calldata requestIds,
        ModelRegistry.Model storage m,
        FeaturePacking storage packing,
        uint256[] calldata outputs
    ) private view returns (uint256[] memory answers) {
        uint256 n = requestIds.length;
        uint256 numOutputs = m.numOutputs;
        if (outputs.length != n * numOutputs) revert DPromptWrongOutputCount(outputs.length, n * numOutputs);
        dst = _writeBatchFeatures(dst, requestIds, m, packing);
        answers = new uint256[](n);
        // Cannot overflow: every offset stays inside the buffer the caller allocated at `dst`
        // (n <= ModelRegistry.MAX_BATCH_SIZE requests of at most MAX_FEATURES + MAX_OUTPUTS instances).
        unchecked {
            for (uint256 i; i < n; ++i) {
                uint256 first = i * numOutputs;
                answers[i] = _writeOutputs(dst + (first << 5), outputs[first:first + numOutputs], first);
            }
        }
    }

    /// @dev Instances per request taken by its features under `packing`.
    function _featureInstances(ModelRegistry.Model storage m, FeaturePacking storage packing) private view returns (uint256) {
        uint256 numFeatures = ModelRegistry.numFeatures(m);
        if (packing.digits == 0) return numFeatures;
        return (numFeatures + packing.digits - 1) / packing.digits;
    }

    /// @dev Writes each request's features (scaled, or packed) one after the other from `dst`;
    /// returns the end.
    function _writeBatchFeatures(
        uint256 dst,
        uint256[] calldata requestIds,
        ModelRegistry.Model storage m,
        FeaturePacking storage stored
    ) private view returns (uint256 end) {
        FeaturePacking memory packing = stored;
        uint256 numFeatures = ModelRegistry.numFeatures(m);
        uint256 bits = Featurizer.bitsPerFeature(m.clip);
        uint256 scale = m.inputScale;
        end = dst;
        for (uint256 i; i < requestIds.length; ++i) {
            end = packing.digits == 0
                ? _writeFeatures(end, _payload[requestIds[i]], numFeatures, bits, scale)
                : _writePackedFeatures(end, _payload[requestIds[i]], numFeatures, bits, packing);
        }
    }

    /// @dev Writes the packed words of one request's features (see {FeaturePacking}) as
    /// consecutive words from memory `dst`; reads the stored counts as `_writeFeatures` does.
    /// Returns the end of what it wrote.
    function _writePackedFeatures(
        uint256 dst,
        mapping(uint256 => uint256) storage words,
        uint256 numFeatures,
        uint256 countBits,
        FeaturePacking memory packing
    ) private view returns (uint256 end) {
        uint256 digits = packing.digits;
        uint256 digitBits = packing.bits;
        uint256 shift = packing.shift;
        assembly ("memory-safe") {
            mstore(0x20, words.slot)
            let mask := sub(shl(countBits, 1), 1)
            let perWord := div(256, countBits)
            let word := 0
            let acc := 0 // the packed word being built
            let t := 0 // its next digit
            for { let i := 0 } lt(i, numFeatures) { i := add(i, 1) } {
                if iszero(mod(i, perWord)) {
                    mstore(0x00, div(i, perWord))
                    word := sload(keccak256(0x00, 0x40)) // the slot of words[i / perWord]
                }
                acc := or(acc, shl(add(shift, mul(digitBits, t)), and(word, mask)))
                word := shr(countBits, word)
                t := add(t, 1)
                if eq(t, digits) {
                    mstore(dst, acc)
                    dst := add(dst, 0x20)
                    acc := 0
                    t := 0
                }
            }
            if t {
                mstore(dst, acc)
                dst := add(dst, 0x20)
            }
            end := dst
        }
    }

    /// @dev Writes `numFeatures` features, unpacked from the packed words (`bits` each, from bit 0
    /// of word 0 up) and shifted left by `scale`, as consecutive words from memory `dst`; returns
    /// the end of what it wrote. `bits` divides 256, so a feature never straddles two words.
    function _writeFeatures(
        uint256 dst,
        mapping(uint256 => uint256) storage words,
        uint256 numFeatures,
        uint256 bits,
        uint256 scale
    ) private view returns (uint256 end) {
        assembly ("memory-safe") {
            mstore(0x20, words.slot)
            let mask := sub(shl(bits, 1), 1)
            let wordBytes := shl(5, div(256, bits)) // memory taken by one storage word's features
            end := add(dst, shl(5, numFeatures))
            for { let k := 0 } lt(dst, end) { k := add(k, 1) } {
                mstore(0x00, k)
                let word := sload(keccak256(0x00, 0x40)) // the slot of words[k]: keccak256(k . slot)
                let wordEnd := add(dst, wordBytes)
                if gt(wordEnd, end) { wordEnd := end }
                for {} lt(dst, wordEnd) { dst := add(dst, 0x20) } {
                    mstore(dst, shl(scale, and(word, mask)))
                    word := shr(bits, word)
                }
            }
        }
    }

    /// @dev Decodes zigzag-encoded `outputs` (z = 2v for v >= 0, -2v - 1 for v < 0) into field
    /// elements at `dst` (v, or r - |v|) and returns the answer bitmap: bit i set iff output i is
    /// positive. |v| <= (r - 1) / 2 (else {DPromptOutputOutOfRange}), so every field element has
    /// exactly one encoding and its sign is the same as the old rule: 0 < felt <= (r - 1) / 2.
    /// `firstIndex`: the index of `outputs[0]` in the submitted outputs (for the error).
    function _writeOutputs(uint256 dst, uint256[] calldata outputs, uint256 firstIndex)
        private
        pure
        returns (uint256 answer)
    {
        bytes4 outOfRange = DPromptOutputOutOfRange.selector;
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, outputs.length) { i := add(i, 1) } {
                let z := calldataload(add(outputs.offset, shl(5, i)))
                let magnitude := shr(1, z)
                let negative := and(z, 1)
                // even: |v| = magnitude <= HALF; odd: |v| = magnitude + 1 <= HALF
                if gt(add(magnitude, negative), HALF_FIELD) {
                    mstore(0x00, outOfRange)
                    mstore(0x04, add(firstIndex, i))
                    revert(0x00, 0x24)
                }
                switch negative
                case 0 {
                    mstore(add(dst, shl(5, i)), magnitude)
                    if magnitude { answer := or(answer, shl(i, 1)) }
                }
                default { mstore(add(dst, shl(5, i)), sub(FIELD_MODULUS, add(magnitude, 1))) }
            }
        }
    }
}
