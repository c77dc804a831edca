"""A typed client of the DPrompt contract over web3 8.

Every write is simulated first (``eth_estimateGas``), so a call the contract would refuse fails
before anything is sent, with its custom error decoded into a ``ChainError`` that names the cause.
``simulate=False`` sends anyway (with a fixed gas limit) so the contract's own checks run on-chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, Web3Exception
from web3.types import FilterParams

from zkrevox.chain.networks import fee_fields
from zkrevox.chain.revert import ErrorDecoder, RevertedError, revert_data
from zkrevox.chain.solc import project_contracts
from zkrevox.errors import ChainError

STATUS_NAMES = ("none", "pending", "fulfilled", "reclaimed", "answered", "overturned")
RECEIPT_TIMEOUT_S = 180
POLL_LATENCY_S = 0.1
GAS_MARGIN = 1.2
# Where a DPrompt transaction's revert data can come from: DPrompt, its libraries, a stake token.
DECODED_ABIS = ("DPrompt", "Featurizer", "ModelRegistry", "ProviderStaking", "OptimisticAnswers", "IERC20Errors")
UNSIMULATED_GAS = 3_000_000


@dataclass(frozen=True)
class RequestInfo:
    request_id: int
    # none | pending | expired | fulfilled | reclaimed | answered (optimistic answer, window open)
    # | finalizable (answered, window over, not yet finalized) | overturned (a dispute replaced it; final)
    status: str
    model_id: int
    requester: str
    provider: str
    deadline: int
    fee: int
    answer: int  # output bitmap: final if fulfilled/overturned, the posted one if answered/finalizable, else 0
    callback_gas_limit: int = 0  # gas of the consumer's callback; 0: no callback
    optimistic: bool = False  # requested with ``requestOptimistic``
    window_end: int = 0  # unix time the optimistic answer's challenge window ends; 0 until answered

    @property
    def final(self) -> bool:
        """True once the answer can no longer change (fulfilled or overturned)."""
        return self.status in ("fulfilled", "overturned")


@dataclass(frozen=True)
class ProviderInfo:
    stake: int
    earned: int
    pending: int
    capacity: int  # most requests it may hold pending (DPrompt's default 16 until it declares one)
    withdrawable_at: int
    eligible: bool

    @property
    def full(self) -> bool:
        """True when ``request`` assigns it nothing more: as many pending requests as its capacity."""
        return self.pending >= self.capacity


@dataclass(frozen=True)
class ModelInfo:
    model_id: int
    verifier: str
    vk_hash: bytes
    spec_hash: bytes
    fee: int
    min_stake: int
    response_window: int
    slash_bps: int
    input_scale: int
    num_outputs: int
    # Featurizer.Spec: (maxBytes, vocabSize, trigramBuckets, clip, fuzzyMinLen, tableBits, table, contextSlots)
    spec: tuple
    retired: bool
    developer_share_bps: int = 0  # part of the model fee credited to the publisher per answer
    publisher: str = ""
    challenge_window: int = 0  # seconds an optimistic answer can be disputed; 0: no optimistic mode
    optimistic_fee: int = 0  # least payment of an optimistic request, wei
    answer_bond: int = 0  # stake slashed per overturned optimistic answer (stake asset units)
    # How the model's verifier takes the features: None, one scaled instance per feature; else
    # {"digits", "bits", "shift"} (IDPrompt.FeaturePacking: packed words DPrompt rebuilds itself).
    packing: dict | None = None
    fulfil_gas: int = 0  # gas of one ``fulfil`` without its callback, as the publisher stated it

    @property
    def num_features(self) -> int:
        """``S + 2K + T`` (FEATURIZER.md §7; version 1: ``K = 0``)."""
        return int(self.spec[1]) + 2 * int(self.spec[7]) + int(self.spec[2])

    @property
    def table(self) -> str:
        """Address of the model's vocabulary table contract."""
        return self.spec[6]


@dataclass(frozen=True)
class RequestedEvent:
    """A decoded ``DPromptRequested`` log and where it was mined."""

    request_id: int
    requester: str
    provider: str
    model_id: int
    deadline: int
    fee: int
    prompt: bytes
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class AnsweredEvent:
    """A decoded ``DPromptAnswered`` log (an optimistic answer posted) and where it was mined."""

    request_id: int
    provider: str
    answer: int
    window_end: int
    block_number: int
    tx_hash: str


def answer_bitmap(outputs: list[int]) -> int:
    """The answer bitmap DPrompt records for signed ``outputs``: bit i set iff output i is > 0."""
    return sum(1 << i for i, v in enumerate(outputs) if v > 0)


def bitmap_indices(bitmap: int, n: int) -> list[int]:
    return [i for i in range(n) if bitmap >> i & 1]


class DPromptClient:
    def __init__(self, w3: Web3, address: str, account: LocalAccount | None = None) -> None:
        compiled = project_contracts()
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self.account = account
        self.contract = w3.eth.contract(address=self.address, abi=compiled["DPrompt"].abi)
        self.errors = ErrorDecoder(*(compiled[name].abi for name in DECODED_ABIS))
        self._chain_id: int | None = None

    # ------------------------------------------------------------ writes

    def publish_model(self, config: tuple, table: bytes) -> tuple[int, Any]:
        """Publish a model (``IDPrompt.ModelConfig`` and its vocabulary table) as this account."""
        receipt = self._send(self.contract.functions.publishModel(config, table))
        (event,) = self.contract.events.DPromptModelPublished().process_receipt(receipt)
        return int(event.args.modelId), receipt

    def retire_model(self, model_id: int) -> Any:
        """The publisher stops new requests and stakes for its model."""
        return self._send(self.contract.functions.retireModel(model_id))

    def set_paused(self, paused: bool) -> Any:
        """Owner only: stop or resume new requests, stakes and publications."""
        return self._send(self.contract.functions.setPaused(paused))

    def stake(self, model_id: int, amount: int) -> Any:
        """Add ``amount`` of the stake asset (wei of the native coin, or token units) to this
        account's stake; for an ERC-20 stake, approves DPrompt first when the allowance is short."""
        token = self.stake_token()
        if token is None:
            return self._send(self.contract.functions.stake(model_id, amount), value=amount)
        assert self.account is not None, "staking needs an account"
        erc20 = self.token(token)
        if int(erc20.functions.allowance(self.account.address, self.address).call()) < amount:
            self._send(erc20.functions.approve(self.address, amount))
        return self._send(self.contract.functions.stake(model_id, amount))

    def set_capacity(self, model_id: int, capacity: int) -> Any:
        """Declare how many requests of ``model_id`` this account may hold pending (1..65535)."""
        return self._send(self.contract.functions.setCapacity(model_id, capacity))

    def unbond(self, model_id: int) -> Any:
        return self._send(self.contract.functions.unbond(model_id))

    def withdraw_stake(self, model_id: int) -> Any:
        return self._send(self.contract.functions.withdrawStake(model_id))

    def collect_developer_earnings(self, model_id: int) -> Any:
        """The publisher moves its developer shares of ``model_id``'s answers to its credit."""
        return self._send(self.contract.functions.collectDeveloperEarnings(model_id))

    def developer_earnings(self, model_id: int) -> int:
        """Developer shares of ``model_id``'s answers its publisher has not collected, wei."""
        return int(self._call(self.contract.functions.developerEarnings(model_id)))

    def collect_earnings(self, model_id: int) -> Any:
        return self._send(self.contract.functions.collectEarnings(model_id))

    def withdraw(self) -> Any:
        return self._send(self.contract.functions.withdraw())

    def withdraw_tokens(self) -> Any:
        """Pull this account's credit in the stake token (withdrawn stake, bond shares of disputes)."""
        return self._send(self.contract.functions.withdrawTokens())

    def token(self, address: str) -> Any:
        """An ERC-20 contract at ``address`` (OpenZeppelin's IERC20 ABI)."""
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=project_contracts()["IERC20"].abi)

    def request(self, model_id: int, prompt: str | bytes, *, value: int | None = None,
                optimistic: bool = False) -> tuple[int, Any]:
        """Request an answer of ``model_id`` to ``prompt``, paying ``value`` wei (default: the
        model's fee, or its optimistic fee). ``optimistic``: the provider answers at once without a
        proof, final after the model's challenge window unless disputed (``requestOptimistic``; a
        model with ``challenge_window`` 0 refuses it). Returns ``(request_id, receipt)``."""
        data = prompt.encode("utf-8") if isinstance(prompt, str) else bytes(prompt)
        if value is None:
            info = self.model(model_id)
            value = info.optimistic_fee if optimistic else info.fee
        fn = (self.contract.functions.requestOptimistic(model_id, data, 0) if optimistic
              else self.contract.functions.request(model_id, data))
        receipt = self._send(fn, value=value)
        (event,) = self.contract.events.DPromptRequested().process_receipt(receipt)
        return int(event.args.requestId), receipt

    def post_answer(self, request_id: int, bitmap: int, *, simulate: bool = True) -> Any:
        """The assigned provider posts the answer ``bitmap`` (bit i: output i positive) of the
        optimistic request ``request_id`` (``answer``); final after the challenge window."""
        return self._send(self.contract.functions.answer(request_id, bitmap), simulate=simulate)

    def dispute(self, request_id: int, proof: bytes, outputs: list[int], *, simulate: bool = True) -> Any:
        """Overturn ``request_id``'s optimistic answer with a proof of the model's outputs for its
        stored features (``outputs`` zigzag-encoded, as :meth:`fulfil`); reverts with
        ``DPromptAnswerNotWrong`` if the proof shows the posted answer is right."""
        return self._send(self.contract.functions.dispute(request_id, proof, outputs), simulate=simulate)

    def finalize(self, request_ids: list[int], *, simulate: bool = True) -> Any:
        """Make each answered request whose challenge window is over final (its provider paid)."""
        return self._send(self.contract.functions.finalize([int(r) for r in request_ids]), simulate=simulate)

    def fulfil(self, request_id: int, proof: bytes, outputs: list[int], *, simulate: bool = True) -> Any:
        return self._send(self.contract.functions.fulfil(request_id, proof, outputs), simulate=simulate)

    def fulfil_batch(
        self, request_ids: list[int], proof: bytes, outputs: list[int], *, simulate: bool = True
    ) -> Any:
        """Fulfil ``request_ids`` with one proof of the model's batch circuit. ``outputs``: every
        request's outputs (field elements), request by request in the order of ``request_ids``, which
        must be the proof's order of prompts (``ChainProof.outputs(n * num_outputs)`` of a batch proof)."""
        fn = self.contract.functions.fulfilBatch([int(r) for r in request_ids], proof, outputs)
        return self._send(fn, simulate=simulate)

    def register_batch_verifier(
        self, model_id: int, size: int, verifier: str, vk_hash: bytes, packing: dict | None = None
    ) -> Any:
        """Owner only: register ``verifier`` for fulfilling ``model_id``'s requests ``size`` at a time;
        ``packing`` ({"digits", "bits", "shift"}) when its circuit takes the features packed."""
        address = Web3.to_checksum_address(verifier)
        if packing:
            triple = (packing["digits"], packing["bits"], packing["shift"])
            fn = self.contract.functions.registerPackedBatchVerifier(model_id, size, address, vk_hash, triple)
        else:
            fn = self.contract.functions.registerBatchVerifier(model_id, size, address, vk_hash)
        return self._send(fn)

    def batch_packing(self, model_id: int, size: int) -> dict | None:
        """How the batch-``size`` verifier takes features: None for one instance per feature."""
        digits, bits, shift = self._call(self.contract.functions.batchPacking(model_id, size))
        return {"digits": digits, "bits": bits, "shift": shift} if digits else None

    def decline(self, request_id: int) -> Any:
        """The assigned provider declines a proven request that would be answered at a loss at this block's
        base fee (``DPrompt.decline``): the requester is refunded less the decline's gas (paid to the
        provider); nothing is slashed."""
        return self._send(self.contract.functions.decline(request_id))

    def reclaim(self, request_id: int) -> Any:
        return self._send(self.contract.functions.reclaim(request_id))

    # ------------------------------------------------------------ reads

    def model(self, model_id: int) -> ModelInfo:
        cfg, publisher, retired = self._call(self.contract.functions.model(model_id))
        (verifier, vk_hash, spec_hash, fee, min_stake, window, slash, share, scale, n_out, spec,
         challenge_window, optimistic_fee, answer_bond, (digits, bits, shift), fulfil_gas) = cfg
        packing = {"digits": digits, "bits": bits, "shift": shift} if digits else None
        return ModelInfo(model_id, verifier, bytes(vk_hash), bytes(spec_hash), fee, min_stake, window, slash, scale,
                         n_out, tuple(spec), bool(retired), share, publisher, challenge_window, optimistic_fee,
                         answer_bond, packing, fulfil_gas)

    def model_count(self) -> int:
        return int(self._call(self.contract.functions.modelCount()))

    def stake_token(self) -> str | None:
        """The ERC-20 providers stake, or None for the native coin (cached: it never changes)."""
        if not hasattr(self, "_stake_token"):
            token = self._call(self.contract.functions.stakeToken())
            self._stake_token = None if int(token, 16) == 0 else Web3.to_checksum_address(token)
        return self._stake_token

    def required_payment(self, model_id: int, callback_gas_limit: int = 0, gas_price: int = 0) -> int:
        """Least payment of a request to ``model_id`` with a ``callback_gas_limit`` callback at ``gas_price``."""
        return int(self._call(self.contract.functions.requiredPayment(model_id, callback_gas_limit, gas_price)))

    def max_callback_gas_limit(self, model_id: int) -> int:
        """Largest callback gas limit a request to ``model_id`` may ask for now: one ``fulfil`` with it must
        fit the block gas limit (``IDPrompt.maxCallbackGasLimit``; nodes plan batches with the same sum)."""
        return int(self._call(self.contract.functions.maxCallbackGasLimit(model_id)))

    def paused(self) -> bool:
        return bool(self._call(self.contract.functions.paused()))

    def request_info(self, request_id: int) -> RequestInfo:
        (status, model_id, requester, provider, deadline, fee, answer, callback_gas, optimistic,
         window_end) = self._call(self.contract.functions.requestState(request_id))
        name = STATUS_NAMES[status]
        if name == "pending" and self._now() > deadline:
            name = "expired"
        elif name == "answered" and self._now() >= window_end:
            name = "finalizable"  # DPrompt's `finalize` accepts it from window_end on
        return RequestInfo(request_id, name, model_id, requester, provider, deadline, fee, answer, callback_gas,
                           bool(optimistic), int(window_end))

    def callback_outcome(self, request_id: int, *, from_block: int = 0) -> dict[str, Any] | None:
        """The ``DPromptCallback`` of ``request_id``: ``{"consumer", "success", "tx"}``, or None before it ran."""
        logs = self.contract.events.DPromptCallback().get_logs(
            from_block=from_block, argument_filters={"requestId": request_id})
        if not logs:
            return None
        last = logs[-1]
        return {"consumer": last.args.consumer, "success": bool(last.args.success),
                "tx": "0x" + bytes(last.transactionHash).hex()}

    def answer(self, request_id: int) -> int:
        return int(self._call(self.contract.functions.answerOf(request_id)))

    def provider(self, model_id: int, address: str) -> ProviderInfo:
        stake, earned, pending, capacity, withdrawable_at, eligible = self._call(
            self.contract.functions.providerState(model_id, Web3.to_checksum_address(address))
        )
        return ProviderInfo(stake, earned, pending, capacity, withdrawable_at, eligible)

    def features(self, request_id: int) -> list[int]:
        return list(self._call(self.contract.functions.requestFeatures(request_id)))

    def public_instances(self, request_id: int, outputs: list[int]) -> list[int]:
        return list(self._call(self.contract.functions.publicInstances(request_id, outputs)))

    def batch_public_instances(self, request_ids: list[int], outputs: list[int]) -> list[int]:
        """The instances ``fulfilBatch`` would hand the batch verifier (compare with the proof's)."""
        return list(self._call(self.contract.functions.batchPublicInstances([int(r) for r in request_ids], outputs)))

    def batch_verifier(self, model_id: int, size: int) -> tuple[str, bytes] | None:
        """``(verifier address, vk hash)`` registered for ``model_id`` and batches of ``size``, or None."""
        verifier, vk_hash = self._call(self.contract.functions.batchVerifier(model_id, size))
        if int(verifier, 16) == 0:
            return None
        return verifier, bytes(vk_hash)

    def featurize(self, model_id: int, prompt: str | bytes) -> list[int]:
        data = prompt.encode("utf-8") if isinstance(prompt, str) else bytes(prompt)
        return list(self._call(self.contract.functions.featurize(model_id, data)))

    def credits(self, address: str) -> int:
        return int(self._call(self.contract.functions.credits(Web3.to_checksum_address(address))))

    def token_credits(self, address: str) -> int:
        """Credit of ``address`` in the stake token, smallest units (0 for a native-stake deployment)."""
        return int(self._call(self.contract.functions.tokenCredits(Web3.to_checksum_address(address))))

    def token_books(self) -> tuple[int, int]:
        """``(owed, balance)`` in the stake token: what DPrompt owes (stakes, token credits, burned) and holds."""
        owed, balance = self._call(self.contract.functions.tokenBooks())
        return int(owed), int(balance)

    def burned(self) -> int:
        """Wei slashed from providers that missed deadlines, burned (held by DPrompt, paid to no one)."""
        return int(self._call(self.contract.functions.burned()))

    def prompt(self, request_id: int, *, from_block: int = 0) -> bytes:
        """The prompt of ``request_id``, read from its ``DPromptRequested`` event."""
        topic = "0x" + request_id.to_bytes(32, "big").hex()
        event = self.contract.events.DPromptRequested()
        try:
            logs = self.w3.eth.get_logs({
                "address": self.address, "fromBlock": from_block, "toBlock": "latest",
                "topics": [event.topic, topic],
            })
        except (Web3Exception, ValueError, OSError) as exc:
            raise ChainError(f"cannot read the logs of request {request_id}: {exc}") from None
        if not logs:
            raise ChainError(f"no DPromptRequested event for request {request_id} since block {from_block}")
        return bytes(event.process_log(logs[0]).args.prompt)

    def requested_events(self, from_block: int, to_block: int, *, provider: str | None = None,
                         block_hash: str | None = None) -> list[RequestedEvent]:
        """``DPromptRequested`` events mined in ``[from_block, to_block]``, for ``provider`` only if given;
        with ``block_hash``, those of that one block, read by hash (an RPC that does not know the block
        raises instead of answering with nothing, EIP-234)."""
        event = self.contract.events.DPromptRequested()
        topics: list[Any] = [event.topic, None, None]
        if provider is not None:
            topics.append("0x" + bytes.fromhex(Web3.to_checksum_address(provider)[2:]).rjust(32, b"\0").hex())
        query: FilterParams = {"address": self.address, "topics": topics}
        if block_hash is not None:
            query["blockHash"] = HexBytes(block_hash)
        else:
            query["fromBlock"], query["toBlock"] = from_block, to_block
        try:
            logs = self.w3.eth.get_logs(query)
        except (Web3Exception, ValueError, OSError) as exc:
            raise ChainError(
                f"cannot read DPrompt's request events in blocks {from_block}..{to_block}: {exc}"
            ) from None
        out = []
        for raw in logs:
            args = event.process_log(raw).args
            out.append(RequestedEvent(
                request_id=int(args.requestId), requester=args.requester, provider=args.provider,
                model_id=int(args.modelId), deadline=int(args.deadline), fee=int(args.fee), prompt=bytes(args.prompt),
                block_number=int(raw["blockNumber"]), block_hash="0x" + bytes(raw["blockHash"]).hex(),
                tx_hash="0x" + bytes(raw["transactionHash"]).hex(), log_index=int(raw["logIndex"]),
            ))
        return out

    def answered_events(self, from_block: int, to_block: int) -> list[AnsweredEvent]:
        """``DPromptAnswered`` events (optimistic answers posted) mined in ``[from_block, to_block]``."""
        event = self.contract.events.DPromptAnswered()
        try:
            logs = self.w3.eth.get_logs({"address": self.address, "fromBlock": from_block, "toBlock": to_block,
                                         "topics": [event.topic]})
        except (Web3Exception, ValueError, OSError) as exc:
            raise ChainError(f"cannot read DPrompt's answer events in blocks {from_block}..{to_block}: {exc}") from None
        out = []
        for raw in logs:
            args = event.process_log(raw).args
            out.append(AnsweredEvent(
                request_id=int(args.requestId), provider=args.provider, answer=int(args.answer),
                window_end=int(args.windowEnd), block_number=int(raw["blockNumber"]),
                tx_hash="0x" + bytes(raw["transactionHash"]).hex(),
            ))
        return out

    def answer_tx(self, request_id: int, *, from_block: int = 0) -> str | None:
        """The transaction that posted ``request_id``'s current answer: the dispute that overturned
        it, else the optimistic answer, else the proof (``fulfil``/``fulfilBatch``); None without one."""
        for name in ("DPromptAnswerOverturned", "DPromptAnswered", "DPromptFulfilled"):
            tx = self._event_tx(name, request_id, from_block)
            if tx is not None:
                return tx
        return None

    def _event_tx(self, name: str, request_id: int, from_block: int) -> str | None:
        """The transaction of the first ``name`` event of ``request_id`` (its first indexed topic)."""
        topic = "0x" + request_id.to_bytes(32, "big").hex()
        event = getattr(self.contract.events, name)()
        try:
            logs = self.w3.eth.get_logs({
                "address": self.address, "fromBlock": from_block, "toBlock": "latest", "topics": [event.topic, topic],
            })
        except (Web3Exception, ValueError, OSError) as exc:
            raise ChainError(f"cannot read the {name} logs of request {request_id}: {exc}") from None
        return "0x" + bytes(logs[0]["transactionHash"]).hex() if logs else None

    def fulfil_tx(self, request_id: int, *, from_block: int = 0) -> str | None:
        """The transaction that emitted ``request_id``'s ``DPromptFulfilled`` (a proof, or ``finalize``)."""
        return self._event_tx("DPromptFulfilled", request_id, from_block)

    # ------------------------------------------------------------ plumbing

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def _now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def _call(self, fn: Any) -> Any:
        try:
            return fn.call()
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            raise self._reverted(exc, fn.fn_name) from None
        except (Web3Exception, ValueError, OSError) as exc:
            raise ChainError(f"{fn.fn_name} call to DPrompt {self.address} failed: {exc}") from None

    def _send(self, fn: Any, *, value: int = 0, simulate: bool = True) -> Any:
        if self.account is None:
            raise ChainError("this client has no account; pass one to send transactions")
        sender = self.account.address
        tx: dict[str, Any] = {
            "from": sender,
            "value": value,
            "chainId": self.chain_id,
            "nonce": self.w3.eth.get_transaction_count(sender, "pending"),
            **fee_fields(self.w3),
        }
        try:
            if simulate:
                estimate = fn.estimate_gas({"from": sender, "value": value})
                # the margin never past the block gas limit: a node refuses a transaction that asks for more
                block_limit = int(self.w3.eth.get_block("latest")["gasLimit"])
                tx["gas"] = max(estimate, min(int(estimate * GAS_MARGIN), block_limit))
            else:
                tx["gas"] = UNSIMULATED_GAS
            built = fn.build_transaction(tx)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            raise self._reverted(exc, fn.fn_name) from None
        except (Web3Exception, ValueError, OSError) as exc:
            raise ChainError(f"{fn.fn_name} could not be prepared: {exc}") from None
        signed = self.account.sign_transaction(built)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            receipt = self.w3.eth.wait_for_transaction_receipt(
                tx_hash, timeout=RECEIPT_TIMEOUT_S, poll_latency=POLL_LATENCY_S
            )
        except (Web3Exception, ValueError, OSError) as exc:
            raise ChainError(f"{fn.fn_name} transaction failed: {exc}") from None
        if receipt["status"] != 1:
            raise self._mined_revert(fn, built, receipt)
        return receipt

    def revert_error(self, exc: BaseException, what: str) -> RevertedError:
        """The decoded ``RevertedError`` for a web3 revert exception raised by a call or gas estimate."""
        return self._reverted(exc, what)

    def mined_revert_error(self, fn: Any, tx: dict[str, Any], receipt: Any) -> RevertedError:
        """The decoded ``RevertedError`` of a mined transaction (``tx``: its fields) that reverted."""
        return self._mined_revert(fn, tx, receipt)

    def _reverted(self, exc: BaseException, what: str) -> RevertedError:
        name, args, text = self.errors.describe(revert_data(exc))
        if name is None:
            text = f"{exc}"
        return RevertedError(f"{what} reverted: {text}", error_name=name, error_args=args)

    def _mined_revert(self, fn: Any, tx: dict[str, Any], receipt: Any) -> RevertedError:
        """Replay a reverted transaction as a call on the state before its block to recover the error."""
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        call: Any = {k: tx[k] for k in ("from", "to", "data", "value", "gas") if k in tx}
        name: str | None = None
        args: dict[str, Any] = {}
        text = "reverted (reason not recovered)"
        try:
            self.w3.eth.call(call, block_identifier=receipt["blockNumber"] - 1)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            name, args, text = self.errors.describe(revert_data(exc))
        except (Web3Exception, ValueError, OSError):
            pass
        return RevertedError(
            f"{fn.fn_name} transaction {tx_hash} reverted on-chain (gas used {receipt['gasUsed']}): {text}",
            error_name=name, error_args=args, tx_hash=tx_hash, gas_used=int(receipt["gasUsed"]),
        )
