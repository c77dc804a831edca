// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Featurizer} from "../libraries/Featurizer.sol";
import {IHalo2Verifier} from "./IHalo2Verifier.sol";

/// @title IDPrompt
/// @notice A market for proven AI answers. Anyone publishes an agent model (its verifier, fee and
/// developer share); a requester (an account, or a consumer contract that wants a callback) pays
/// for a prompt; the contract featurizes it on-chain and assigns it to a staked provider; the
/// provider answers with the model outputs and a zk proof; the contract pays only if the proof
/// verifies against public instances it derives itself from the stored features and the outputs.
interface IDPrompt {
    /// @notice Life cycle of a request. A `Pending` request past its deadline is "expired":
    /// it can no longer be fulfilled or answered, only settled (`reclaim`, by anyone). An optimistic
    /// request (`requestOptimistic`) answered with `answer` is `Answered` (not final) until either
    /// a dispute proves the answer wrong (`Overturned`: the proven answer replaced it; final) or its
    /// challenge window ends and `finalize` makes it `Fulfilled` (final, the provider paid).
    enum RequestStatus {
        None,
        Pending,
        Fulfilled,
        Reclaimed,
        Answered,
        Overturned
    }

    /// @notice How a circuit (the model's own, `ModelConfig.packing`, or a batch circuit's) takes a
    /// request's features. `digits == 0`: one public instance per feature, the count times
    /// 2^inputScale. Otherwise the features are private in the circuit, which range-checks them and
    /// publishes packed words instead, which DPrompt rebuilds from the stored prompt's counts:
    /// ceil(numFeatures / digits) per request, word j = sum over t < digits of
    /// count[j * digits + t] << (shift + bits * t). Fewer instances, cheaper verification.
    struct FeaturePacking {
        uint8 digits;
        uint8 bits;
        uint8 shift;
    }

    /// @notice What a publisher publishes for a model. Immutable once published.
    struct ModelConfig {
        IHalo2Verifier verifier; // ezkl-generated verifier of this model's circuit
        bytes32 vkHash; // sha256 of the circuit's verifying key (for clients to check)
        bytes32 specHash; // sha256 of the model's input_spec.json (for clients to check)
        uint96 fee; // least payment a request must carry, in wei
        uint96 minStake; // least stake for a provider to be assigned requests, in wei
        uint32 responseWindow; // seconds a provider has to fulfil
        uint16 slashBps; // part of the provider's stake burned on a miss, basis points
        uint16 developerShareBps; // part of the model's fee credited to its publisher per answer, basis points
        uint8 inputScale; // circuit input = feature * 2^inputScale
        uint16 numOutputs; // model outputs (public instances after the features), 1..256
        Featurizer.Spec spec; // featurizer parameters; `spec.table` is set by `publishModel`
        // Optimistic mode (all zero: the model offers proven requests only):
        uint32 challengeWindow; // seconds an optimistic answer can be disputed (60 s .. 30 days)
        uint96 optimisticFee; // least payment of an optimistic request, wei (at least the developer's cut)
        uint96 answerBond; // stake slashed from a provider whose optimistic answer is overturned (2 .. minStake)
        FeaturePacking packing; // how `verifier` takes the features (all zero: one scaled instance per feature)
        // Gas of one `fulfil` of this model without its callback, as measured on a chain (`zkrevox
        // bench`; 50,000 .. 15,000,000). A callback request is refused unless this, its callback and
        // DPrompt's margin fit in one block ({DPromptCallbackExceedsBlock}).
        uint32 fulfilGas;
    }

    /// @notice A provider's position for one model.
    struct ProviderState {
        uint256 stake; // wei
        uint256 earned; // fees of fulfilled requests not yet collected, wei
        uint256 pending; // assigned requests neither fulfilled nor reclaimed
        uint256 capacity; // most requests it may hold pending; assignment skips it at capacity
        uint256 withdrawableAt; // unbonding: time the stake becomes withdrawable; 0 = not unbonding
        bool eligible; // in the model's assignment pool
    }

    /// @notice A request as clients read it.
    struct RequestState {
        RequestStatus status;
        uint32 modelId;
        address requester;
        address provider;
        uint256 deadline; // unix time; fulfil must be mined at or before it
        uint256 fee; // wei paid with the request (fee, tip and callback payment)
        uint256 answer; // bit i set iff output i is strictly positive: final when Fulfilled or
        // Overturned; the posted, not yet final answer when Answered; 0 otherwise
        uint256 callbackGasLimit; // gas `onDPromptAnswer` is called with; 0: no callback
        bool optimistic; // requested with `requestOptimistic`
        uint256 windowEnd; // unix time the challenge window of the optimistic answer ends; 0 until answered
    }

    /// @notice Ownership moved from `previousOwner` to `newOwner`.
    event DPromptOwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    /// @notice `publisher` published model `modelId`; its configuration can never change.
    event DPromptModelPublished(
        uint32 indexed modelId,
        address indexed publisher,
        IHalo2Verifier verifier,
        bytes32 vkHash,
        uint256 fee,
        uint256 developerShareBps
    );
    /// @notice Model `modelId` takes no new requests or stake; pending requests run their course.
    event DPromptModelRetired(uint32 indexed modelId);
    /// @notice The owner stopped (`paused`) or resumed new requests, stakes and publications.
    event DPromptPauseSet(bool paused);
    /// @notice `onDPromptAnswer` of `consumer` was called for `requestId` after its answer was final;
    /// `success` is false if it reverted or ran out of its gas (the fulfilment stands either way).
    event DPromptCallback(uint256 indexed requestId, address indexed consumer, bool success);
    /// @notice Model `modelId` can now be fulfilled `batchSize` requests at a time through `verifier`
    /// (the model's batch-`batchSize` circuit: same weights, `batchSize` prompts per proof); the
    /// registration can never change.
    event DPromptBatchVerifierRegistered(
        uint32 indexed modelId, uint256 indexed batchSize, IHalo2Verifier indexed verifier, bytes32 vkHash
    );
    /// @notice `provider` added `amount` to its stake for `modelId`, now `stake`.
    event DPromptStaked(uint32 indexed modelId, address indexed provider, uint256 amount, uint256 stake);
    /// @notice `provider` left the assignment pool of `modelId`; its stake is withdrawable at `withdrawableAt`
    /// once it holds no pending request.
    event DPromptUnbondingStarted(uint32 indexed modelId, address indexed provider, uint256 withdrawableAt);
    /// @notice `provider` declared it may hold at most `capacity` pending requests of `modelId`.
    event DPromptCapacitySet(uint32 indexed modelId, address indexed provider, uint256 capacity);
    /// @notice `provider` moved `amount` of stake to its withdrawable credit.
    event DPromptStakeWithdrawn(uint32 indexed modelId, address indexed provider, uint256 amount);
    /// @notice A request was recorded and assigned. The prompt itself is kept only in this event
    /// (its packed features are in storage, and they are what the proof is checked against).
    event DPromptRequested(
        uint256 indexed requestId,
        address indexed requester,
        address indexed provider,
        uint32 modelId,
        uint256 deadline,
        uint256 fee,
        bytes prompt
    );
    /// @notice `requestId`'s answer is final and `provider` was paid: it answered with a valid proof,
    /// or its optimistic answer outlived the challenge window (`finalize`); `answer` is the output bitmap.
    event DPromptFulfilled(uint256 indexed requestId, address indexed provider, uint256 answer);
    /// @notice `provider` answered optimistic request `requestId` with `answer` (no proof), backed by
    /// the model's answer bond; anyone may dispute it with a proof until `windowEnd` (exclusive).
    event DPromptAnswered(uint256 indexed requestId, address indexed provider, uint256 answer, uint256 windowEnd);
    /// @notice `disputer` proved that request `requestId`'s posted answer `posted` was wrong: the
    /// proven answer `proven` replaced it and is final.
    event DPromptAnswerOverturned(uint256 indexed requestId, address indexed disputer, uint256 posted, uint256 proven);
    /// @notice For its overturned answer to `requestId`, `bond` of `provider`'s stake was slashed:
    /// `toDisputer` to the disputer, `toRequester` to the requester (credit in the stake asset: native
    /// credit, or token credit pulled with `withdrawTokens`), who also got its fee back as credit (less
    /// its callback's cost, credited to the disputer: see `dispute`).
    event DPromptBondSlashed(
        uint256 indexed requestId, address indexed provider, uint256 bond, uint256 toDisputer, uint256 toRequester
    );
    /// @notice After a missed deadline `settler` (anyone) settled request `requestId`: its requester's
    /// whole payment (`refund`) became the requester's credit, and `slashed` of the provider's stake
    /// (in the stake asset) was burned.
    event DPromptReclaimed(
        uint256 indexed requestId,
        address indexed requester,
        address indexed provider,
        uint256 refund,
        uint256 slashed,
        address settler
    );
    /// @notice `fulfilBatch` by `provider` left `requestId` out: its deadline had passed or it was
    /// reclaimed (`reason` is the selector of {DPromptDeadlinePassed} or {DPromptAlreadyReclaimed},
    /// what `fulfil` would revert with). The batch's other requests were fulfilled.
    event DPromptFulfilSkipped(uint256 indexed requestId, address indexed provider, bytes4 reason);
    /// @notice `publisher` moved `amount` wei of model `modelId`'s developer shares to its withdrawable credit.
    event DPromptDeveloperEarningsCollected(uint32 indexed modelId, address indexed publisher, uint256 amount);
    /// @notice `provider` moved `amount` wei of earned fees for `modelId` to its withdrawable credit.
    event DPromptEarningsCollected(uint32 indexed modelId, address indexed provider, uint256 amount);
    /// @notice The provider of proven request `requestId` declined it: answering at this block's base
    /// fee would cost `cost` wei (the model's fulfil gas and the callback's) against the `pays` wei the
    /// request pays it. The payment less the decline's gas (75,000 at the decline's price, at most the
    /// base fee + 1 gwei: the provider's, as earnings) became the requester's credit (`refund`);
    /// nothing was slashed.
    event DPromptDeclined(
        uint256 indexed requestId, address indexed provider, uint256 refund, uint256 cost, uint256 pays
    );
    /// @notice `account` withdrew `amount` wei of credit.
    event DPromptWithdrawn(address indexed account, uint256 amount);
    /// @notice `account` withdrew its token credit `amount` and was sent `paid` of the stake token:
    /// `amount` unless the token's balance here had fallen below what DPrompt owes in it (then the
    /// same fraction for everyone).
    event DPromptTokensWithdrawn(address indexed account, uint256 amount, uint256 paid);

    /// @notice Request `requestId` pays its provider `pays` wei, at least the `cost` of answering it at
    /// this block's base fee: it cannot be declined (answer it).
    error DPromptNotDeclinable(uint256 requestId, uint256 cost, uint256 pays);
    /// @notice Only the owner may call this; `caller` is not.
    error DPromptNotOwner(address caller);
    /// @notice Only model `modelId`'s publisher may call this; `caller` is not.
    error DPromptNotPublisher(uint32 modelId, address caller);
    /// @notice The owner paused new requests, stakes and publications (fulfilment, reclaim and
    /// withdrawals go on).
    error DPromptIsPaused();
    /// @notice A callback gas limit of `given` is outside 1..`max`.
    error DPromptCallbackGasLimit(uint256 given, uint256 max);
    /// @notice The transaction left too little gas to call request `requestId`'s consumer with its
    /// full `callbackGasLimit` (EIP-150 keeps 1/64 back); send the fulfilment with more gas.
    error DPromptInsufficientGasForCallback(uint256 requestId, uint256 callbackGasLimit);
    /// @notice A fulfilment with a `callbackGasLimit` callback could not fit in one block: with the
    /// model's fulfil gas and DPrompt's margin it exceeds the block gas limit. `max` is the largest
    /// callback gas limit this model takes now ({maxCallbackGasLimit}); nothing was charged.
    error DPromptCallbackExceedsBlock(uint256 callbackGasLimit, uint256 max);
    /// @notice Staking sent `sent` wei with an amount of `amount`: the native value must equal the
    /// amount (native stake) or be zero (ERC-20 stake).
    error DPromptStakeValueMismatch(uint256 sent, uint256 amount);
    /// @notice The stake token moved `received` to DPrompt for a transfer of `amount`: fee-on-transfer
    /// and rebasing tokens are refused as stake.
    error DPromptStakeTransferMismatch(uint256 received, uint256 amount);
    /// @notice The zero address was given where an account is needed.
    error DPromptZeroAddress();
    /// @notice No model `modelId` is registered.
    error DPromptUnknownModel(uint32 modelId);
    /// @notice Model `modelId` was retired and takes no new requests or stake.
    error DPromptModelIsRetired(uint32 modelId);
    /// @notice The configuration is rejected: `reason` names the field.
    error DPromptInvalidModelConfig(string reason);
    /// @notice The payment `paid` is below the model's fee `required`.
    error DPromptFeeTooLow(uint256 paid, uint256 required);
    /// @notice The payment does not fit the 96-bit fee field.
    error DPromptFeeTooHigh(uint256 paid);
    /// @notice The stake would exceed the 96-bit stake field.
    error DPromptStakeTooLarge(uint256 stake);
    /// @notice The prompt has no bytes.
    error DPromptEmptyPrompt();
    /// @notice The prompt is `length` bytes, more than the model's `maxBytes`; prompts are never truncated.
    error DPromptPromptTooLong(uint256 length, uint256 maxBytes);
    /// @notice No provider is staked and eligible for model `modelId`.
    error DPromptNoProvider(uint32 modelId);
    /// @notice Every eligible provider of model `modelId` holds as many pending requests as it
    /// declared it can answer in time; try again later (nothing was charged).
    error DPromptNoCapacity(uint32 modelId);
    /// @notice No request `requestId` exists.
    error DPromptUnknownRequest(uint256 requestId);
    /// @notice Request `requestId` was already fulfilled.
    error DPromptAlreadyFulfilled(uint256 requestId);
    /// @notice Request `requestId` was already settled after its missed deadline (`reclaim`).
    error DPromptAlreadyReclaimed(uint256 requestId);
    /// @notice `caller` is not the provider assigned to request `requestId`.
    error DPromptNotAssigned(uint256 requestId, address caller);
    /// @notice Request `requestId`'s deadline `deadline` has passed; it can only be reclaimed.
    error DPromptDeadlinePassed(uint256 requestId, uint256 deadline);
    /// @notice Request `requestId` can be reclaimed only after its deadline `deadline`.
    error DPromptDeadlineNotPassed(uint256 requestId, uint256 deadline);
    /// @notice Request `requestId` has no answer: it is not fulfilled.
    error DPromptNotFulfilled(uint256 requestId);
    /// @notice `given` outputs were submitted; the model has `expected`.
    error DPromptWrongOutputCount(uint256 given, uint256 expected);
    /// @notice Output `index` is out of range: as a zigzag-encoded signed integer its magnitude
    /// exceeds (r - 1) / 2, half the BN254 scalar field.
    error DPromptOutputOutOfRange(uint256 index);
    /// @notice The verifier rejected the proof (reverted or returned false) for the instances
    /// derived from request `requestId`'s prompt and the submitted outputs: a tampered proof, or
    /// a proof made for another prompt, other outputs or another circuit.
    error DPromptProofRejected(uint256 requestId);
    /// @notice A batch of `size` requests: `fulfilBatch` and batch verifiers take 2..64 requests
    /// (a single request goes through `fulfil`).
    error DPromptWrongBatchSize(uint256 size);
    /// @notice Model `modelId` has no verifier for batches of `size`; see `registerBatchVerifier`.
    error DPromptUnknownBatchVerifier(uint32 modelId, uint256 size);
    /// @notice Model `modelId` already has a verifier for batches of `size`; registrations never change.
    error DPromptBatchVerifierExists(uint32 modelId, uint256 size);
    /// @notice Request `requestId` appears more than once in the batch.
    error DPromptDuplicateRequest(uint256 requestId);
    /// @notice Request `requestId` is for model `modelId`, the batch's first request for `expected`:
    /// one proof answers requests of one model.
    error DPromptBatchModelMismatch(uint256 requestId, uint32 modelId, uint32 expected);
    /// @notice The batch verifier rejected the proof (reverted or returned false) for the instances
    /// derived from the `size` requests starting with `firstRequestId`, in the order given, and the
    /// submitted outputs: a tampered proof, prompts in another order, or another circuit.
    error DPromptBatchProofRejected(uint256 firstRequestId, uint256 size);
    /// @notice Request `requestId` already has an optimistic answer (it is in or past its challenge window).
    error DPromptAlreadyAnswered(uint256 requestId);
    /// @notice Request `requestId`'s optimistic answer was overturned by a dispute; its proven answer is final.
    error DPromptAlreadyOverturned(uint256 requestId);
    /// @notice Model `modelId` offers no optimistic mode (its `challengeWindow` is 0); use `request`.
    error DPromptOptimisticNotOffered(uint32 modelId);
    /// @notice Request `requestId` was not requested optimistically: answer it with `fulfil` and a proof.
    error DPromptNotOptimistic(uint256 requestId);
    /// @notice Request `requestId` has no optimistic answer to dispute or finalize (it is pending).
    error DPromptNotAnswered(uint256 requestId);
    /// @notice The answer bitmap `answer` sets a bit at or above the model's `numOutputs`.
    error DPromptAnswerOutOfRange(uint256 answer, uint256 numOutputs);
    /// @notice `provider`'s stake `stake` for model `modelId` does not cover the answer bond of each
    /// request it holds (`required`); stake more before answering optimistically.
    error DPromptStakeBelowBonds(uint32 modelId, address provider, uint256 stake, uint256 required);
    /// @notice Request `requestId`'s challenge window ended at `windowEnd`: it can no longer be
    /// disputed, only finalized.
    error DPromptChallengeWindowOver(uint256 requestId, uint256 windowEnd);
    /// @notice Request `requestId`'s challenge window runs until `windowEnd`: it can be finalized only then.
    error DPromptChallengeWindowOpen(uint256 requestId, uint256 windowEnd);
    /// @notice The proof shows the posted answer `answer` of request `requestId` is right: nothing to dispute.
    error DPromptAnswerNotWrong(uint256 requestId, uint256 answer);
    /// @notice Request `requestId`'s optimistic answer is not final before `windowEnd` (then `finalize` it).
    error DPromptAnswerNotFinal(uint256 requestId, uint256 windowEnd);
    /// @notice A zero amount was sent or requested.
    error DPromptZeroAmount();
    /// @notice `provider` has no stake for model `modelId`.
    error DPromptNotStaked(uint32 modelId, address provider);
    /// @notice `provider` is already unbonding from model `modelId`.
    error DPromptAlreadyUnbonding(uint32 modelId, address provider);
    /// @notice `provider` has not started unbonding from model `modelId`.
    error DPromptNotUnbonding(uint32 modelId, address provider);
    /// @notice The unbonding delay runs until `withdrawableAt`.
    error DPromptUnbondingNotOver(uint256 withdrawableAt);
    /// @notice The stake is locked: `provider` still holds `pending` assigned requests.
    error DPromptStakeLocked(uint32 modelId, address provider, uint256 pending);
    /// @notice `account` has no credit to withdraw.
    error DPromptNothingToWithdraw(address account);
    /// @notice Sending `amount` wei to `account` failed; the credit is kept.
    error DPromptTransferFailed(address account, uint256 amount);

    // --- owner: emergency powers only (no funds, no live model) ---
    /// @notice Stops (`paused`) or resumes new requests, stakes and publications. Fulfilment,
    /// reclaim, unbonding and every withdrawal work while paused.
    function setPaused(bool paused) external;
    function transferOwnership(address newOwner) external;

    // --- publishers ---
    /// @notice Publishes a model under the next id; the caller is its publisher, credited
    /// `developerShareBps` of the model's fee per answer. `table` is the featurizer's vocabulary
    /// hash table (see {Featurizer}); the contract deploys it and records its address in the spec,
    /// so `config.spec.table` must be zero. A published model never changes.
    function publishModel(ModelConfig calldata config, bytes calldata table) external returns (uint32 modelId);
    /// @notice The publisher stops new requests and stakes for its model; pending requests run their course.
    function retireModel(uint32 modelId) external;
    /// @notice The publisher moves its developer shares of `modelId`'s answers to its credit (then `withdraw`).
    function collectDeveloperEarnings(uint32 modelId) external;
    /// @notice The publisher registers `verifier` (its verifying key's sha256: `vkHash`) for fulfilling model
    /// `modelId`'s requests `size` at a time, 2 <= `size` <= 64. The verifier's circuit must be the
    /// model's own at batch `size`: public instances are the `size` prompts' features (each scaled
    /// by 2^inputScale), then their outputs. Once registered it never changes.
    function registerBatchVerifier(uint32 modelId, uint256 size, IHalo2Verifier verifier, bytes32 vkHash) external;
    /// @notice `registerBatchVerifier` for a circuit that takes the features packed (see
    /// {FeaturePacking}); `packing.digits >= 1` and every word must stay below 2^253.
    function registerPackedBatchVerifier(
        uint32 modelId,
        uint256 size,
        IHalo2Verifier verifier,
        bytes32 vkHash,
        FeaturePacking calldata packing
    ) external;

    // --- providers ---
    /// @notice Adds `amount` to the caller's stake for `modelId`, in the deployment's stake asset:
    /// the native coin (send `amount` as value) or the ERC-20 `stakeToken()` (approve it first;
    /// send no value). Joins the assignment pool at the model's minimum stake.
    function stake(uint32 modelId, uint256 amount) external payable;
    function unbond(uint32 modelId) external;
    /// @notice Declares how many requests of `modelId` the caller may hold pending (1..65535; the
    /// default until set is 16). `request` assigns no more to it while it holds that many.
    function setCapacity(uint32 modelId, uint16 capacity) external;
    function withdrawStake(uint32 modelId) external;
    function collectEarnings(uint32 modelId) external;

    // --- requests ---
    function request(uint32 modelId, bytes calldata prompt) external payable returns (uint256 requestId);
    /// @notice `request` by a consumer contract (the caller) that wants the answer delivered: once
    /// the answer is final, DPrompt calls `IDPromptConsumer(caller).onDPromptAnswer(requestId,
    /// modelId, answer)` with exactly `callbackGasLimit` gas (1..2,000,000), after every state
    /// change of the fulfilment; a callback that fails does not undo the answer. The payment must
    /// be at least `requiredPayment(modelId, callbackGasLimit, tx.gasprice)`: the model's fee plus
    /// (callbackGasLimit + 15,000) times this transaction's gas price. The whole payment but the
    /// developer's share of the model fee goes to the provider that answers.
    function requestWithCallback(uint32 modelId, bytes calldata prompt, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId);
    /// @notice Answers `requestId` (assigned to the caller, pending, within its deadline) with a
    /// proof of the registered model. `outputs` are the circuit's outputs as zigzag-encoded signed
    /// integers (v >= 0 as 2v, v < 0 as -2v - 1; |v| <= (r - 1) / 2): small either way, so cheap
    /// calldata, where a negative field element r - |v| is 32 non-zero bytes. The contract maps
    /// each to its field element (v, or r + v) for the verifier; bit i of the answer is set iff
    /// output i is positive.
    function fulfil(uint256 requestId, bytes calldata proof, uint256[] calldata outputs) external;
    /// @notice Fulfils `requestIds` (distinct, one model, all assigned to the caller, none
    /// fulfilled) with one proof of the model's batch circuit. `outputs` holds
    /// `requestIds.length * numOutputs` zigzag-encoded outputs (as `fulfil`), request by request in
    /// the order of `requestIds`, which must be the proof's order of prompts. The proof is checked
    /// against every request's stored features. A request whose deadline has passed or that was
    /// reclaimed meanwhile does not sink the others: it is skipped ({DPromptFulfilSkipped}: no
    /// answer, no fee); every other request gets the effects of `fulfil`. Any other failed check
    /// reverts the whole call.
    function fulfilBatch(uint256[] calldata requestIds, bytes calldata proof, uint256[] calldata outputs) external;

    // --- optimistic mode (see verifier-contracts/README.md, "Optimistic answers") ---
    /// @notice An optimistic request: paid at least the model's `optimisticFee` (plus, with a
    /// callback, (callbackGasLimit + 15,000) x the gas price, as `requestWithCallback`); the assigned
    /// provider answers with the bitmap only (`answer`), backed by its stake, and the answer is final
    /// after the model's challenge window unless a dispute proves it wrong. `callbackGasLimit`: 0 for
    /// no callback, else 1..2,000,000 (the caller, a consumer contract, is called back once the
    /// answer is final: at `finalize` or at a successful `dispute`). Emits {DPromptRequested}; the
    /// mode is `requestState(id).optimistic`.
    function requestOptimistic(uint32 modelId, bytes calldata prompt, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId);
    /// @notice The assigned provider posts the answer bitmap of optimistic request `requestId`
    /// (pending, before its deadline). Its stake must cover the model's `answerBond` for every
    /// request it holds; the stake stays locked (no `withdrawStake`) until each is finalized,
    /// overturned or reclaimed. Opens the challenge window: `windowEnd` = now + `challengeWindow`.
    function answer(uint256 requestId, uint256 bitmap) external;
    /// @notice Anyone, while `block.timestamp < windowEnd`: a proof of the model's outputs for the
    /// request's STORED features (checked with the model's single-request verifier, as `fulfil`).
    /// If the proven bitmap equals the posted one the call reverts ({DPromptAnswerNotWrong}).
    /// Otherwise the proven answer replaces the posted one and is final (`Overturned`); the
    /// provider earns nothing and `min(answerBond, stake)` of its stake is slashed: half (rounded
    /// up) to the caller, half to the requester, who also gets its fee back but for the callback's
    /// cost: (callbackGasLimit + 15,000) x this transaction's gas price, at most what it paid beyond
    /// the optimistic fee, is credited to the caller, who pays the callback's gas; then the
    /// consumer's callback gets the proven answer with exactly its gas limit.
    function dispute(uint256 requestId, bytes calldata proof, uint256[] calldata outputs) external;
    /// @notice Anyone: makes each answered request whose challenge window has ended
    /// (`block.timestamp >= windowEnd`) final (`Fulfilled`, {DPromptFulfilled}): its provider is
    /// paid as for a proven answer, then each consumer's callback runs (after all the effects).
    /// Reverts if any request is not answered, already final, or still in its window.
    function finalize(uint256[] calldata requestIds) external;

    /// @notice Anyone, after request `requestId`'s deadline passed without an answer (`Pending`):
    /// settles it (`Reclaimed`). The requester's whole payment becomes its credit (pull payment: a
    /// consumer contract without a way to reclaim still gets it, and whoever withdraws for it later
    /// is the consumer itself); `slashBps` of the assigned provider's stake is burned; the
    /// provider's pending count drops, so a missed request never locks its stake for good.
    function reclaim(uint256 requestId) external;
    /// @notice The assigned provider, before the deadline, of a proven (not optimistic) request that
    /// would be answered at a loss: `block.basefee` × (the model's `fulfilGas`, plus the callback's
    /// limit and DPrompt's overhead) exceeds what the request pays the provider (its payment less the
    /// developer's cut). The request ends (`Reclaimed`, {DPromptDeclined}): the provider earns back the
    /// decline's gas (75,000 at its price, at most the base fee + 1 gwei, at most `pays`), the rest of
    /// the payment becomes the requester's credit, and no stake is slashed. So no gas price can force an
    /// honest provider to choose between a loss and a slash.
    function decline(uint256 requestId) external;
    function withdraw() external;
    /// @notice Pays the caller its credit in the stake token (withdrawn stakes, bond shares of
    /// disputes). Token credits are pulled, never pushed, so a token that pauses or blocklists can
    /// stall only its own withdrawals, never a dispute, a reclaim or a fulfilment. If the token's
    /// balance here fell below what DPrompt owes in it (a rebase, an admin burn), each withdrawal
    /// is paid the same fraction (balance / owed), so no account's loss takes another's stake.
    function withdrawTokens() external;
    /// @notice Credit of `account` in the stake token, to pull with `withdrawTokens`.
    function tokenCredits(address account) external view returns (uint256);
    /// @notice What DPrompt owes in the stake token (stakes, token credits, burned slashes), and
    /// the token's balance here: a balance below it is a shortfall shared pro rata.
    function tokenBooks() external view returns (uint256 owed, uint256 balance);

    // --- reads ---
    function owner() external view returns (address);
    function paused() external view returns (bool);
    /// @notice The stake asset: an ERC-20 token, or zero for the native coin.
    function stakeToken() external view returns (address);
    /// @notice The largest callback gas limit a request to `modelId` may ask for in this block: at
    /// most 2,000,000, and small enough that one `fulfil` (the model's `fulfilGas`), the callback
    /// (with EIP-150's 1/64) and DPrompt's margin fit in `block.gaslimit`; 0 if none fits. Nodes
    /// plan their batches with the same sum.
    function maxCallbackGasLimit(uint32 modelId) external view returns (uint256);
    /// @notice Least payment of a request to `modelId` whose callback gets `callbackGasLimit` gas
    /// (0: no callback), sent at a gas price of `gasPrice` wei: the model fee, plus the callback's gas
    /// and DPrompt's 15,000 around it at `gasPrice` + 1 gwei (the tip the provider's fulfilment pays on
    /// top of the base fee is the requester's to pay, so a request sent with no tip still covers it).
    function requiredPayment(uint32 modelId, uint32 callbackGasLimit, uint256 gasPrice) external view returns (uint256);
    function unbondingDelay() external view returns (uint256);
    function modelCount() external view returns (uint32);
    function model(uint32 modelId) external view returns (ModelConfig memory config, address publisher, bool retired);
    function providerState(uint32 modelId, address provider) external view returns (ProviderState memory);
    function providers(uint32 modelId) external view returns (address[] memory);
    function nextRequestId() external view returns (uint256);
    function requestState(uint256 requestId) external view returns (RequestState memory);
    /// @notice The final answer of `requestId` (Fulfilled, or Overturned: the proven answer).
    function answerOf(uint256 requestId) external view returns (uint256 bitmap);
    /// @notice The stored feature counts of `requestId`: while pending, and while an optimistic
    /// answer is disputable or finalizable (`Answered`), which is what a dispute's proof is checked against.
    function requestFeatures(uint256 requestId) external view returns (uint256[] memory counts);
    function publicInstances(uint256 requestId, uint256[] calldata outputs) external view returns (uint256[] memory);
    /// @notice The batch verifier registered for model `modelId` and batches of `size` (zero if none).
    function batchVerifier(uint32 modelId, uint256 size) external view returns (IHalo2Verifier verifier, bytes32 vkHash);
    /// @notice How the batch-`size` verifier of model `modelId` takes features (all zero: one
    /// instance per feature, also when no verifier is registered).
    function batchPacking(uint32 modelId, uint256 size) external view returns (FeaturePacking memory packing);
    /// @notice Exactly the instances `fulfilBatch` hands the batch verifier for these requests
    /// (pending, one model) and outputs: every request's features (scaled, or packed as the
    /// registered batch verifier of this size takes them), then all outputs.
    function batchPublicInstances(uint256[] calldata requestIds, uint256[] calldata outputs)
        external
        view
        returns (uint256[] memory);
    function featurize(uint32 modelId, bytes calldata prompt) external view returns (uint256[] memory counts);
    function credits(address account) external view returns (uint256);
    /// @notice Developer shares of `modelId`'s answers not yet collected by its publisher, wei.
    function developerEarnings(uint32 modelId) external view returns (uint256);
    /// @notice Stake slashed from providers that missed deadlines, in the stake asset: burned (held
    /// forever, paid to no one).
    function burned() external view returns (uint256);
}
