// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDPrompt} from "../interfaces/IDPrompt.sol";
import {IHalo2Verifier} from "../interfaces/IHalo2Verifier.sol";
import {Callbacks} from "./Callbacks.sol";
import {Featurizer} from "./Featurizer.sol";

/// @title ModelRegistry
/// @notice DPrompt's model registry: how a published model and its batch verifiers are stored,
/// the rules a publication must pass, and the reads that rebuild a model's public configuration.
/// Anyone may publish; what a publisher registers touches only its own model: its verifier is
/// called with STATICCALL for its model's requests only, and its table is a data contract.
///
/// The registration paths are `external`: the library is deployed once and DPrompt reaches it by
/// DELEGATECALL (the storage stays DPrompt's), so their bytecode does not count against DPrompt's
/// EIP-170 limit. They run rarely (a registration, a client's read), never on a fulfilment path;
/// the one on the request path is `featurizePacked` (the featurizer is too large to inline in
/// DPrompt). The `internal` helpers are the ones the hot paths use; they are inlined.
library ModelRegistry {
    uint256 internal constant MAX_OUTPUTS = 256; // the answer is a 256-bit bitmap
    uint256 internal constant MAX_FEATURES = 4096;
    uint256 internal constant MAX_PROMPT_BYTES = 4096;
    uint256 internal constant MAX_INPUT_SCALE = 64;
    uint256 internal constant BPS = 10_000;
    /// @dev Most requests one proof may answer; bounds the verifier calldata built in memory.
    uint256 internal constant MAX_BATCH_SIZE = 64;
    /// @dev Least response window: a provider must have time to prove and have its answer mined
    /// (a proof of the ticker model takes about a second; a batch of 16, about ten).
    uint256 internal constant MIN_RESPONSE_WINDOW = 60;
    /// @dev Longest response window: 7 days. A provider's stake answers for a request that long at
    /// most, and `block.timestamp + responseWindow` fits the request's 32-bit deadline until 2106
    /// (a longer window could wrap it into the past and let a requester slash at once).
    uint256 internal constant MAX_RESPONSE_WINDOW = 7 days;
    /// @dev Most outputs of a model offering optimistic mode: a posted answer shares a slot with
    /// its window end (see {OptimisticAnswers.Answer}).
    uint256 internal constant MAX_OPTIMISTIC_OUTPUTS = 216;
    /// @dev Least and longest challenge window: a watcher must have time to prove and dispute.
    uint256 internal constant MIN_CHALLENGE_WINDOW = 60;
    uint256 internal constant MAX_CHALLENGE_WINDOW = 30 days;
    /// @dev Bounds of a model's stated fulfil gas (one `fulfil` without its callback).
    uint256 internal constant MIN_FULFIL_GAS = 50_000;
    uint256 internal constant MAX_FULFIL_GAS = 15_000_000;

    /// @dev Slots 0 and 1 hold everything `request` needs; `fulfil` reads slots 1 and 2 (the
    /// verifier, the developer's cut and how the verifier takes the features), and writes slot 5
    /// when the developer has a share.
    struct Model {
        address table; // also the existence flag: non-zero once registered
        uint96 fee;
        uint96 minStake;
        uint32 responseWindow;
        uint16 slashBps;
        uint8 inputScale;
        uint16 numOutputs;
        uint16 maxBytes;
        uint16 vocabSize;
        /// @dev S + 2K + T, stored instead of T: the fulfil paths read it alone (T = it - S - 2K).
        uint16 featureCount;
        uint8 clip;
        uint8 fuzzyMinLen;
        uint8 tableBits;
        uint8 contextSlots; // featurizer version 2 iff > 0
        bool retired;
        IHalo2Verifier verifier;
        uint72 developerCut; // wei of each answer's payment credited to the publisher: fee * share / BPS
        /// @dev `config.packing` (IDPrompt.FeaturePacking), as three fields: a struct would take a slot of its own.
        uint8 packDigits;
        uint8 packBits;
        uint8 packShift;
        bytes32 vkHash;
        bytes32 specHash;
        address publisher;
        uint16 developerShareBps;
        /// @dev Developer shares not yet collected, plus 1: the slot never goes back to zero, so
        /// crediting a share costs a warm re-write, never a fresh slot.
        uint80 developerEarned;
        /// @dev Optimistic mode (slot 6; zero challengeWindow: not offered); read by `requestOptimistic` and `answer`.
        uint32 challengeWindow;
        uint96 optimisticFee;
        uint96 answerBond;
        /// @dev `config.fulfilGas` (slot 6 too): read by callback requests only.
        uint32 fulfilGas;
    }

    /// @dev A verifier of a model's batch-N circuit; `fulfilBatch` reads the first slot only.
    struct BatchVerifier {
        IHalo2Verifier verifier;
        IDPrompt.FeaturePacking packing;
        bytes32 vkHash;
    }

    // ---------------------------------------------------------------- registration (external)

    /// @notice Validates `config`, deploys the vocabulary `table` as a data contract, checks it
    /// and writes the model, published by `publisher`, into `m` (an unused slot of DPrompt's models,
    /// for id `modelId`); emits {DPromptModelPublished}.
    function publish(
        Model storage m,
        uint32 modelId,
        IDPrompt.ModelConfig calldata config,
        bytes calldata table,
        address publisher
    ) external {
        _validate(config);
        Featurizer.Spec memory spec = config.spec;
        spec.table = Featurizer.deployTable(table);
        Featurizer.checkTable(spec);
        m.table = spec.table;
        m.fee = config.fee;
        m.minStake = config.minStake;
        m.responseWindow = config.responseWindow;
        m.slashBps = config.slashBps;
        m.inputScale = config.inputScale;
        m.numOutputs = config.numOutputs;
        m.maxBytes = spec.maxBytes;
        m.vocabSize = spec.vocabSize;
        m.featureCount = uint16(Featurizer.numFeatures(spec)); // <= MAX_FEATURES, checked in _validate
        m.clip = spec.clip;
        m.fuzzyMinLen = spec.fuzzyMinLen;
        m.tableBits = spec.tableBits;
        m.contextSlots = spec.contextSlots;
        m.verifier = config.verifier;
        m.developerCut = uint72(developerCutOf(config)); // < 2^72, checked in _validate
        m.packDigits = config.packing.digits;
        m.packBits = config.packing.bits;
        m.packShift = config.packing.shift;
        m.vkHash = config.vkHash;
        m.specHash = config.specHash;
        m.publisher = publisher;
        m.developerShareBps = config.developerShareBps;
        m.developerEarned = 1;
        m.challengeWindow = config.challengeWindow;
        m.optimisticFee = config.optimisticFee;
        m.answerBond = config.answerBond;
        m.fulfilGas = config.fulfilGas;
        emit IDPrompt.DPromptModelPublished(
            modelId, publisher, config.verifier, config.vkHash, config.fee, config.developerShareBps
        );
    }

    /// @notice Records `verifier` as model `m`'s batch-`size` verifier in `b` (which must be empty),
    /// taking features as `packing` says (all zero: one instance per feature).
    function registerBatchVerifier(
        Model storage m,
        BatchVerifier storage b,
        uint32 modelId,
        uint256 size,
        IHalo2Verifier verifier,
        bytes32 vkHash,
        IDPrompt.FeaturePacking memory packing
    ) external {
        checkBatchSize(size);
        if (address(verifier).code.length == 0) revert IDPrompt.DPromptInvalidModelConfig("verifier has no code");
        _checkPacking(packing, m.clip);
        if (address(b.verifier) != address(0)) revert IDPrompt.DPromptBatchVerifierExists(modelId, size);
        b.verifier = verifier;
        b.packing = packing;
        b.vkHash = vkHash;
    }

    /// @notice Zeroes model `m`'s uncollected developer shares and returns them (DPrompt credits
    /// them to the publisher, the caller it checked).
    function collectDeveloperEarnings(Model storage m, uint32 modelId) external returns (uint256 amount) {
        amount = m.developerEarned - 1;
        if (amount == 0) revert IDPrompt.DPromptNothingToWithdraw(msg.sender);
        m.developerEarned = 1;
        emit IDPrompt.DPromptDeveloperEarningsCollected(modelId, msg.sender, amount);
    }

    // ---------------------------------------------------------------- callbacks (external)

    /// @dev Most gas a callback may ask for (fits the request's 24-bit field).
    uint256 internal constant MAX_CALLBACK_GAS = 2_000_000;
    /// @dev Gas a request pays for on top of its callback's limit: DPrompt's own work around the call
    /// (account access, calldata, the `DPromptCallback` event), measured below it in the gas snapshot.
    uint256 internal constant CALLBACK_OVERHEAD_GAS = 15_000;
    /// @dev What a fulfilment needs beside its proof and its callback's limit.
    uint256 internal constant CALLBACK_MARGIN_GAS = CALLBACK_OVERHEAD_GAS + Callbacks.RESERVE_GAS;

    /// @notice `IDPrompt.maxCallbackGasLimit` of model `m`: the block gas limit less the model's fulfil
    /// gas and DPrompt's margin, less the 1/64 EIP-150 keeps back, capped at 2,000,000 (0: none fits).
    function maxCallbackGasLimit(Model storage m) public view returns (uint256) {
        uint256 taken = uint256(m.fulfilGas) + CALLBACK_MARGIN_GAS;
        if (block.gaslimit <= taken) return 0;
        uint256 room = ((block.gaslimit - taken) * 63) / 64;
        return room < MAX_CALLBACK_GAS ? room : MAX_CALLBACK_GAS;
    }

    /// @dev Gas a fulfilment of model `m` with a `callbackGasLimit` callback (0: none) is priced at:
    /// the model's fulfil gas, plus the callback's limit and DPrompt's overhead around it.
    function fulfilmentGas(Model storage m, uint256 callbackGasLimit) internal view returns (uint256) {
        return m.fulfilGas + (callbackGasLimit == 0 ? 0 : callbackGasLimit + CALLBACK_OVERHEAD_GAS);
    }

    /// @notice Reverts {DPromptCallbackExceedsBlock} unless one fulfilment of model `m` with a
    /// `callbackGasLimit` callback fits in this block: refused at request time, nothing charged.
    function checkCallbackFits(Model storage m, uint256 callbackGasLimit) external view {
        uint256 max = maxCallbackGasLimit(m);
        if (callbackGasLimit > max) revert IDPrompt.DPromptCallbackExceedsBlock(callbackGasLimit, max);
    }

    // ---------------------------------------------------------------- reads (external)

    /// @notice `IDPrompt.model`'s return data, ABI-encoded: the configuration `m` was registered
    /// with (the table address filled in), its publisher and whether it is retired. Encoded here so
    /// the encoder of the large struct is this library's bytecode, not DPrompt's.
    function encodedModel(Model storage m) external view returns (bytes memory) {
        return abi.encode(_config(m), m.publisher, m.retired);
    }

    function _config(Model storage m) private view returns (IDPrompt.ModelConfig memory) {
        return IDPrompt.ModelConfig({
            verifier: m.verifier,
            vkHash: m.vkHash,
            specHash: m.specHash,
            fee: m.fee,
            minStake: m.minStake,
            responseWindow: m.responseWindow,
            slashBps: m.slashBps,
            developerShareBps: m.developerShareBps,
            inputScale: m.inputScale,
            numOutputs: m.numOutputs,
            spec: spec(m),
            challengeWindow: m.challengeWindow,
            optimisticFee: m.optimisticFee,
            answerBond: m.answerBond,
            packing: modelPacking(m),
            fulfilGas: m.fulfilGas
        });
    }

    /// @notice The feature counts of `prompt` under model `m`'s featurizer, with `request`'s length
    /// rule, ABI-encoded as `IDPrompt.featurize` returns them (DPrompt returns the data as it is).
    function encodedFeaturize(Model storage m, bytes calldata prompt) external view returns (bytes memory) {
        checkPrompt(prompt.length, m.maxBytes);
        return abi.encode(Featurizer.featurize(prompt, spec(m)));
    }

    /// @notice `prompt`'s features under model `m`'s featurizer, packed (`Featurizer.featurizePacked`),
    /// as `request` stores them. Here rather than inlined in DPrompt: the featurizer's code stays out
    /// of DPrompt's EIP-170 budget for one DELEGATECALL per request. Length limits are the caller's.
    function featurizePacked(Model storage m, bytes calldata prompt) external view returns (uint256[] memory) {
        return Featurizer.featurizePacked(prompt, spec(m));
    }

    /// @notice The feature counts stored packed in `words` (a request's payload) under model `m`,
    /// ABI-encoded as `IDPrompt.requestFeatures` returns them.
    function encodedStoredFeatures(Model storage m, mapping(uint256 => uint256) storage words)
        external
        view
        returns (bytes memory)
    {
        return abi.encode(_storedFeatures(m, words));
    }

    function _storedFeatures(Model storage m, mapping(uint256 => uint256) storage words)
        private
        view
        returns (uint256[] memory)
    {
        Featurizer.Spec memory s = spec(m);
        uint256 n = Featurizer.packedWords(s);
        uint256[] memory packed = new uint256[](n);
        for (uint256 k; k < n; ++k) {
            packed[k] = words[k];
        }
        return Featurizer.unpack(packed, Featurizer.numFeatures(s), Featurizer.bitsPerFeature(s.clip));
    }

    // ---------------------------------------------------------------- hot-path helpers (internal)

    function spec(Model storage m) internal view returns (Featurizer.Spec memory) {
        return Featurizer.Spec({
            maxBytes: m.maxBytes,
            vocabSize: m.vocabSize,
            trigramBuckets: uint16(uint256(m.featureCount) - m.vocabSize - 2 * uint256(m.contextSlots)),
            clip: m.clip,
            fuzzyMinLen: m.fuzzyMinLen,
            tableBits: m.tableBits,
            table: m.table,
            contextSlots: m.contextSlots
        });
    }

    function numFeatures(Model storage m) internal view returns (uint256) {
        return m.featureCount;
    }

    /// @dev How model `m`'s own verifier takes the features (`ModelConfig.packing`).
    function modelPacking(Model storage m) internal view returns (IDPrompt.FeaturePacking memory) {
        return IDPrompt.FeaturePacking(m.packDigits, m.packBits, m.packShift);
    }

    /// @dev Public instances the features of one request take under `p`: one per feature, or one
    /// per `p.digits` features.
    function featureInstances(uint256 features, IDPrompt.FeaturePacking memory p) internal pure returns (uint256) {
        return p.digits == 0 ? features : (features + p.digits - 1) / p.digits;
    }

    /// @dev The developer's cut of each answer's payment, wei.
    function developerCutOf(IDPrompt.ModelConfig calldata c) internal pure returns (uint256) {
        return (uint256(c.fee) * c.developerShareBps) / BPS;
    }

    /// @dev A prompt is 1..maxBytes bytes of any value; it is never truncated.
    function checkPrompt(uint256 length, uint256 maxBytes) internal pure {
        if (length == 0) revert IDPrompt.DPromptEmptyPrompt();
        if (length > maxBytes) revert IDPrompt.DPromptPromptTooLong(length, maxBytes);
    }

    function checkBatchSize(uint256 size) internal pure {
        if (size < 2 || size > MAX_BATCH_SIZE) revert IDPrompt.DPromptWrongBatchSize(size);
    }

    function _validate(IDPrompt.ModelConfig calldata c) private view {
        if (address(c.verifier).code.length == 0) revert IDPrompt.DPromptInvalidModelConfig("verifier has no code");
        if (!Featurizer.isValid(c.spec)) revert IDPrompt.DPromptInvalidModelConfig("spec");
        if (c.spec.table != address(0)) revert IDPrompt.DPromptInvalidModelConfig("spec.table must be zero");
        if (c.spec.maxBytes > MAX_PROMPT_BYTES) revert IDPrompt.DPromptInvalidModelConfig("spec.maxBytes");
        if (Featurizer.numFeatures(c.spec) > MAX_FEATURES) {
            revert IDPrompt.DPromptInvalidModelConfig("spec: too many features");
        }
        if (c.numOutputs == 0 || c.numOutputs > MAX_OUTPUTS) revert IDPrompt.DPromptInvalidModelConfig("numOutputs");
        if (c.inputScale > MAX_INPUT_SCALE) revert IDPrompt.DPromptInvalidModelConfig("inputScale");
        if (c.slashBps > BPS) revert IDPrompt.DPromptInvalidModelConfig("slashBps");
        if (c.developerShareBps > BPS) revert IDPrompt.DPromptInvalidModelConfig("developerShareBps");
        if (c.responseWindow < MIN_RESPONSE_WINDOW) {
            revert IDPrompt.DPromptInvalidModelConfig("responseWindow below 60 s");
        }
        if (c.responseWindow > MAX_RESPONSE_WINDOW) {
            revert IDPrompt.DPromptInvalidModelConfig("responseWindow over 7 days");
        }
        if (c.fulfilGas < MIN_FULFIL_GAS || c.fulfilGas > MAX_FULFIL_GAS) {
            revert IDPrompt.DPromptInvalidModelConfig("fulfilGas outside 50,000..15,000,000");
        }
        if (developerCutOf(c) >> 72 != 0) revert IDPrompt.DPromptInvalidModelConfig("developer cut over 2^72 wei");
        _checkPacking(c.packing, c.spec.clip);
        _validateOptimistic(c);
    }

    /// @dev A packing (if any: `digits != 0`) must hold a count of a feature clipped at `clip` in
    /// each digit and keep every word below 2^253 < the field modulus.
    function _checkPacking(IDPrompt.FeaturePacking memory p, uint256 clip) private pure {
        if (p.digits == 0) {
            if (p.bits != 0 || p.shift != 0) revert IDPrompt.DPromptInvalidModelConfig("packing bits/shift need digits");
            return;
        }
        uint256 countBits = Featurizer.bitsPerFeature(clip);
        if (p.bits < countBits) revert IDPrompt.DPromptInvalidModelConfig("packing bits cannot hold a count");
        // The top digit's highest bit: every word stays below 2^253 < the field modulus.
        if (uint256(p.shift) + uint256(p.bits) * (p.digits - 1) + countBits > 253) {
            revert IDPrompt.DPromptInvalidModelConfig("packed words exceed 253 bits");
        }
    }

    /// @dev The optimistic mode's fields: all zero (not offered), or a window of 60 s..30 days, a
    /// bond of 2..minStake (a provider at the minimum stake can answer; the bond splits in two), an
    /// optimistic fee that covers the developer's cut, and at most 216 outputs.
    function _validateOptimistic(IDPrompt.ModelConfig calldata c) private pure {
        if (c.challengeWindow == 0) {
            if (c.optimisticFee != 0 || c.answerBond != 0) {
                revert IDPrompt.DPromptInvalidModelConfig("optimisticFee/answerBond need a challengeWindow");
            }
            return;
        }
        if (c.challengeWindow < MIN_CHALLENGE_WINDOW) revert IDPrompt.DPromptInvalidModelConfig("challengeWindow below 60 s");
        if (c.challengeWindow > MAX_CHALLENGE_WINDOW) {
            revert IDPrompt.DPromptInvalidModelConfig("challengeWindow over 30 days");
        }
        if (c.numOutputs > MAX_OPTIMISTIC_OUTPUTS) {
            revert IDPrompt.DPromptInvalidModelConfig("numOutputs over 216: no optimistic mode");
        }
        if (c.answerBond < 2) revert IDPrompt.DPromptInvalidModelConfig("answerBond below 2");
        if (c.answerBond > c.minStake) revert IDPrompt.DPromptInvalidModelConfig("answerBond above minStake");
        if (c.optimisticFee < (uint256(c.fee) * c.developerShareBps) / BPS) {
            revert IDPrompt.DPromptInvalidModelConfig("optimisticFee below the developer's cut");
        }
    }
}
