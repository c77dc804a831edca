// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDPrompt} from "../interfaces/IDPrompt.sol";
import {Callbacks} from "./Callbacks.sol";
import {Instances} from "./Instances.sol";
import {ModelRegistry} from "./ModelRegistry.sol";
import {ProviderStaking} from "./ProviderStaking.sol";
import {Request, requirePending} from "./Requests.sol";

/// @title OptimisticAnswers
/// @notice DPrompt's optimistic mode: the assigned provider answers with the bitmap only, backed by
/// its stake; anyone may overturn a wrong answer with one proof during the model's challenge
/// window; after it the answer is final and the provider is paid (`finalize`, batched).
///
/// Economics (verifier-contracts/README.md, "Optimistic answers"): a provider is paid for an
/// optimistic answer only at finalization, as for a proven one (the fee less the developer's cut).
/// An overturned answer earns nothing; `min(answerBond, stake)` of the provider's stake is slashed,
/// half (rounded up) to the disputer and half to the requester, and the requester's fee is refunded
/// but for its callback's cost, which goes to the disputer (who pays the callback's gas). So a provider disputing its own wrong answer gets back at most half its bond: a wrong
/// answer never pays.
///
/// The paths are `external`: DPrompt reaches them by DELEGATECALL (the storage and the funds stay
/// DPrompt's), so their bytecode does not count against DPrompt's EIP-170 limit. DPrompt keeps the
/// proof check (`_verify`) and the callbacks, which run after these effects.
library OptimisticAnswers {
    /// @dev One slot per optimistic request, written `optimistic = true` by `requestOptimistic`
    /// (so `answer` re-writes a warm, non-zero slot). `posted`: the posted answer while
    /// `Answered`, the final answer once `Fulfilled` by `finalize` or `Overturned` (the proven one).
    /// A model offering the mode has at most 216 outputs, so the bitmap fits.
    struct Answer {
        bool optimistic;
        uint32 windowEnd; // 0 until answered
        uint216 posted;
    }

    /// @notice `answer`: see {IDPrompt-answer}.
    function answer(
        mapping(uint256 => Request) storage requests,
        mapping(uint256 => Answer) storage answers,
        mapping(uint32 => ModelRegistry.Model) storage models,
        mapping(uint32 => ProviderStaking.Pool) storage pools,
        uint256 requestId,
        uint256 bitmap
    ) external {
        Request storage r = requests[requestId];
        requirePending(requestId, r.status);
        Answer storage a = answers[requestId];
        if (!a.optimistic) revert IDPrompt.DPromptNotOptimistic(requestId);
        address provider = r.provider;
        if (msg.sender != provider) revert IDPrompt.DPromptNotAssigned(requestId, msg.sender);
        uint256 deadline = r.deadline;
        if (block.timestamp > deadline) revert IDPrompt.DPromptDeadlinePassed(requestId, deadline);
        uint32 modelId = r.modelId;
        ModelRegistry.Model storage m = models[modelId];
        uint256 numOutputs = m.numOutputs;
        if (bitmap >> numOutputs != 0) revert IDPrompt.DPromptAnswerOutOfRange(bitmap, numOutputs);
        ProviderStaking.Provider storage p = pools[modelId].providers[provider];
        // The bond of every request it holds (this one included): a stake slashed below it (a
        // missed deadline, an overturned answer) must be topped up before the next answer.
        uint256 required = uint256(p.pending) * m.answerBond;
        if (p.stake < required) revert IDPrompt.DPromptStakeBelowBonds(modelId, provider, p.stake, required);

        uint256 windowEnd = block.timestamp + m.challengeWindow; // fits 32 bits until 2106 (window <= 30 days)
        r.status = IDPrompt.RequestStatus.Answered;
        a.windowEnd = uint32(windowEnd);
        a.posted = uint216(bitmap); // < 2^numOutputs <= 2^216
        emit IDPrompt.DPromptAnswered(requestId, provider, bitmap, windowEnd);
    }

    /// @dev Gas a `decline` transaction uses at most (measured 72,641 with the requester's first credit).
    uint256 internal constant DECLINE_GAS = 75_000;

    /// @notice `decline` (see {IDPrompt-decline}).
    function decline(
        mapping(uint256 => Request) storage requests,
        mapping(uint256 => Answer) storage answers,
        mapping(uint32 => ModelRegistry.Model) storage models,
        mapping(uint32 => ProviderStaking.Pool) storage pools,
        mapping(address => uint256) storage credits,
        uint256 requestId
    ) external {
        Request storage r = requests[requestId];
        requirePending(requestId, r.status);
        if (answers[requestId].optimistic) revert IDPrompt.DPromptNotOptimistic(requestId); // answered cheaply
        address provider = r.provider;
        if (msg.sender != provider) revert IDPrompt.DPromptNotAssigned(requestId, msg.sender);
        uint256 deadline = r.deadline;
        if (block.timestamp > deadline) revert IDPrompt.DPromptDeadlinePassed(requestId, deadline);
        ModelRegistry.Model storage m = models[r.modelId];
        uint256 fee = r.fee;
        uint256 cost = block.basefee * ModelRegistry.fulfilmentGas(m, r.callbackGasLimit);
        uint256 pays = fee - m.developerCut; // the fee covers the cut: request checked fee >= model fee
        if (cost <= pays) revert IDPrompt.DPromptNotDeclinable(requestId, cost, pays);
        // The decline's own gas is the provider's, from the payment (at most what it would have paid it,
        // priced at no more than the base fee plus a 1 gwei tip): declining never costs it anything.
        uint256 price = tx.gasprice < block.basefee + 1 gwei ? tx.gasprice : block.basefee + 1 gwei;
        uint256 gasBack = DECLINE_GAS * price;
        if (gasBack > pays) gasBack = pays;
        r.status = IDPrompt.RequestStatus.Reclaimed;
        ProviderStaking.Pool storage pool = pools[r.modelId];
        ProviderStaking.release(pool, provider, 0, m.minStake);
        pool.providers[provider].earned += uint96(gasBack); // < fee < 2^96
        credits[r.requester] += fee - gasBack;
        emit IDPrompt.DPromptDeclined(requestId, provider, fee - gasBack, cost, pays);
    }

    /// @notice The checks of `dispute` before the proof: answered, window open. Returns the model id.
    function disputable(
        mapping(uint256 => Request) storage requests,
        mapping(uint256 => Answer) storage answers,
        uint256 requestId
    ) external view returns (uint32 modelId) {
        Request storage r = requests[requestId];
        _requireAnswered(requestId, r.status);
        uint256 windowEnd = answers[requestId].windowEnd;
        if (block.timestamp >= windowEnd) revert IDPrompt.DPromptChallengeWindowOver(requestId, windowEnd);
        return r.modelId;
    }

    /// @notice The effects of a dispute whose proof of `proven` verified (DPrompt checked it against
    /// the stored features): reverts {DPromptAnswerNotWrong} if `proven` is the posted answer; else
    /// replaces it, slashes the bond (see the library's notes), then calls the consumer back (last).
    function overturn(
        mapping(uint256 => Request) storage requests,
        mapping(uint256 => Answer) storage answers,
        mapping(uint32 => ModelRegistry.Model) storage models,
        mapping(uint32 => ProviderStaking.Pool) storage pools,
        mapping(address => uint256) storage credits,
        uint256 requestId,
        uint256 proven,
        mapping(address => uint256) storage bondCredits
    ) external {
        Answer storage a = answers[requestId];
        uint256 posted = a.posted;
        if (proven == posted) revert IDPrompt.DPromptAnswerNotWrong(requestId, posted);
        Request storage r = requests[requestId];
        r.status = IDPrompt.RequestStatus.Overturned;
        a.posted = uint216(proven); // the verifier's outputs: numOutputs <= 216 bits
        address requester = r.requester;
        uint256 callbackGasLimit = r.callbackGasLimit;
        {
            // The callback runs in this transaction with all its gas, at the disputer's expense: the
            // requester's escrow for it (its payment beyond the optimistic fee) pays the disputer the
            // callback's limit and overhead at this transaction's gas price, at most that escrow.
            uint256 callbackPay;
            if (callbackGasLimit != 0) {
                callbackPay = (callbackGasLimit + ModelRegistry.CALLBACK_OVERHEAD_GAS) * tx.gasprice;
                uint256 escrowed = r.fee - models[r.modelId].optimisticFee; // r.fee >= optimisticFee (request)
                if (callbackPay > escrowed) callbackPay = escrowed;
                credits[msg.sender] += callbackPay;
            }
            credits[requester] += r.fee - callbackPay;
        }
        uint256 bond = _slash(models[r.modelId], pools[r.modelId], r.provider);
        uint256 toRequester = bond / 2;
        uint256 toDisputer = bond - toRequester;
        emit IDPrompt.DPromptAnswerOverturned(requestId, msg.sender, posted, proven);
        emit IDPrompt.DPromptBondSlashed(requestId, r.provider, bond, toDisputer, toRequester);
        // Credits, never transfers: a token that pauses or blocklists cannot stop a dispute.
        bondCredits[msg.sender] += toDisputer;
        bondCredits[requester] += toRequester;
        if (callbackGasLimit != 0) Callbacks.deliver(requestId, requester, r.modelId, proven, callbackGasLimit);
    }

    /// @notice `finalize` (see {IDPrompt-finalize}): every request's checks and effects, then the
    /// consumers' callbacks in order.
    function finalize(
        mapping(uint256 => Request) storage requests,
        mapping(uint256 => Answer) storage answers,
        mapping(uint32 => ModelRegistry.Model) storage models,
        mapping(uint32 => ProviderStaking.Pool) storage pools,
        uint256[] calldata requestIds
    ) external {
        for (uint256 i; i < requestIds.length; ++i) {
            uint256 requestId = requestIds[i];
            Request storage r = requests[requestId];
            _requireAnswered(requestId, r.status);
            Answer storage a = answers[requestId];
            uint256 windowEnd = a.windowEnd;
            if (block.timestamp < windowEnd) revert IDPrompt.DPromptChallengeWindowOpen(requestId, windowEnd);
            r.status = IDPrompt.RequestStatus.Fulfilled;
            uint32 modelId = r.modelId;
            ModelRegistry.Model storage m = models[modelId];
            uint256 developerCut = m.developerCut;
            address provider = r.provider;
            ProviderStaking.Provider storage p = pools[modelId].providers[provider];
            // Cannot underflow: `pending` counts this answered request, and its fee is at least the
            // optimistic fee, which publication checked covers `developerCut`.
            unchecked {
                p.pending -= 1;
                p.earned += uint96(r.fee - developerCut);
            }
            if (developerCut != 0) m.developerEarned += uint80(developerCut);
            emit IDPrompt.DPromptFulfilled(requestId, provider, a.posted);
        }
        for (uint256 i; i < requestIds.length; ++i) {
            uint256 requestId = requestIds[i];
            Request storage r = requests[requestId];
            uint256 callbackGasLimit = r.callbackGasLimit;
            if (callbackGasLimit != 0) {
                Callbacks.deliver(requestId, r.requester, r.modelId, answers[requestId].posted, callbackGasLimit);
            }
        }
    }

    // ---------------------------------------------------------------- reads (external)

    /// @notice `IDPrompt.requestState`'s return data, ABI-encoded (DPrompt returns it as it is).
    function encodedRequestState(
        mapping(uint256 => Request) storage requests,
        mapping(uint256 => Answer) storage answers,
        mapping(uint256 => mapping(uint256 => uint256)) storage payload,
        uint256 requestId
    ) external view returns (bytes memory) {
        Request storage r = requests[requestId];
        IDPrompt.RequestStatus status = r.status;
        if (status == IDPrompt.RequestStatus.None) revert IDPrompt.DPromptUnknownRequest(requestId);
        Answer storage a = answers[requestId];
        bool answered = status != IDPrompt.RequestStatus.Pending && status != IDPrompt.RequestStatus.Reclaimed;
        return abi.encode(
            IDPrompt.RequestState({
                status: status,
                modelId: r.modelId,
                requester: r.requester,
                provider: r.provider,
                deadline: r.deadline,
                fee: r.fee,
                answer: answered ? _answerOf(a, payload[requestId]) : 0,
                callbackGasLimit: r.callbackGasLimit,
                optimistic: a.optimistic,
                windowEnd: a.windowEnd
            })
        );
    }

    /// @notice `IDPrompt.publicInstances`' return data, ABI-encoded: the vector `fulfil` (or `dispute`)
    /// hands the verifier, while request `requestId` is pending or answered.
    function encodedPublicInstances(
        mapping(uint256 => Request) storage requests,
        mapping(uint32 => ModelRegistry.Model) storage models,
        mapping(uint256 => mapping(uint256 => uint256)) storage payload,
        uint256 requestId,
        uint256[] calldata outputs
    ) external view returns (bytes memory) {
        Request storage r = requests[requestId];
        IDPrompt.RequestStatus status = r.status;
        if (status != IDPrompt.RequestStatus.Answered) requirePending(requestId, status);
        ModelRegistry.Model storage m = models[r.modelId];
        IDPrompt.FeaturePacking memory packing = ModelRegistry.modelPacking(m);
        uint256[] memory instances =
            new uint256[](ModelRegistry.featureInstances(ModelRegistry.numFeatures(m), packing) + outputs.length);
        Instances.writeInstances(_start(instances), payload[requestId], m, packing, outputs);
        return abi.encode(instances);
    }

    /// @notice `IDPrompt.batchPublicInstances`' return data, ABI-encoded: only while every request is
    /// pending, all of one model; needs no registered batch verifier.
    function encodedBatchPublicInstances(
        mapping(uint256 => Request) storage requests,
        mapping(uint32 => ModelRegistry.Model) storage models,
        mapping(uint32 => mapping(uint256 => ModelRegistry.BatchVerifier)) storage batchVerifiers,
        mapping(uint256 => mapping(uint256 => uint256)) storage payload,
        uint256[] calldata requestIds,
        uint256[] calldata outputs
    ) external view returns (bytes memory) {
        uint256 n = requestIds.length;
        ModelRegistry.checkBatchSize(n);
        uint32 modelId;
        for (uint256 i; i < n; ++i) {
            Request storage r = requests[requestIds[i]];
            requirePending(requestIds[i], r.status);
            if (i == 0) modelId = r.modelId;
            else if (r.modelId != modelId) revert IDPrompt.DPromptBatchModelMismatch(requestIds[i], r.modelId, modelId);
        }
        ModelRegistry.Model storage m = models[modelId];
        IDPrompt.FeaturePacking storage packing = batchVerifiers[modelId][n].packing;
        uint256[] memory instances =
            new uint256[](n * (ModelRegistry.featureInstances(ModelRegistry.numFeatures(m), packing) + m.numOutputs));
        Instances.writeBatchInstances(_start(instances), payload, requestIds, m, packing, outputs);
        return abi.encode(instances);
    }

    /// @dev Memory address of `a`'s first element.
    function _start(uint256[] memory a) private pure returns (uint256 dst) {
        assembly ("memory-safe") {
            dst := add(a, 0x20)
        }
    }

    /// @notice `IDPrompt.answerOf`: the final answer (Fulfilled, or Overturned: the proven one).
    function finalAnswer(
        mapping(uint256 => Request) storage requests,
        mapping(uint256 => Answer) storage answers,
        mapping(uint256 => mapping(uint256 => uint256)) storage payload,
        uint256 requestId
    ) external view returns (uint256) {
        IDPrompt.RequestStatus status = requests[requestId].status;
        Answer storage a = answers[requestId];
        if (status == IDPrompt.RequestStatus.None) revert IDPrompt.DPromptUnknownRequest(requestId);
        if (status == IDPrompt.RequestStatus.Answered) revert IDPrompt.DPromptAnswerNotFinal(requestId, a.windowEnd);
        if (status != IDPrompt.RequestStatus.Fulfilled && status != IDPrompt.RequestStatus.Overturned) {
            revert IDPrompt.DPromptNotFulfilled(requestId);
        }
        return _answerOf(a, payload[requestId]);
    }

    /// @dev An optimistic answer (`answer` sets the window end) lives in `a`; a proven one in
    /// payload word 0 (fulfilment writes it there).
    function _answerOf(Answer storage a, mapping(uint256 => uint256) storage words) private view returns (uint256) {
        return a.windowEnd != 0 ? a.posted : words[0];
    }

    // ---------------------------------------------------------------- helpers

    /// @dev Takes `min(answerBond, stake)` from `provider`'s stake and ends its hold of the request
    /// ({ProviderStaking-release}: below the minimum stake it leaves the pool); returns the amount.
    function _slash(ModelRegistry.Model storage m, ProviderStaking.Pool storage pool, address provider)
        private
        returns (uint256 bond)
    {
        uint256 stake = pool.providers[provider].stake;
        bond = m.answerBond;
        if (bond > stake) bond = stake;
        ProviderStaking.release(pool, provider, bond, m.minStake);
    }

    function _requireAnswered(uint256 requestId, IDPrompt.RequestStatus status) private pure {
        if (status == IDPrompt.RequestStatus.Answered) return;
        if (status == IDPrompt.RequestStatus.Pending) revert IDPrompt.DPromptNotAnswered(requestId);
        requirePending(requestId, status); // names what it is instead
    }
}
