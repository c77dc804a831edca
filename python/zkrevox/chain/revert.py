"""Turn DPrompt's custom errors (and other RPC failures) into ``ChainError`` messages that name
the cause and the next step."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from zkrevox.errors import ChainError


class RevertedError(ChainError):
    """A call or transaction reverted; ``error_name``/``error_args`` are the decoded custom error
    (``None`` if the revert data was not one), ``tx_hash`` is set when it was mined."""

    def __init__(
        self, message: str, *, error_name: str | None = None, error_args: dict[str, Any] | None = None,
        tx_hash: str | None = None, gas_used: int | None = None,
    ) -> None:
        super().__init__(message)
        self.error_name = error_name
        self.error_args = error_args or {}
        self.tx_hash = tx_hash
        self.gas_used = gas_used


def _when(ts: int) -> str:
    return _dt.datetime.fromtimestamp(int(ts), tz=_dt.timezone.utc).isoformat(timespec="seconds")


_MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "DPromptNotOwner": lambda a: f"{a['caller']} is not the DPrompt owner; use the owner's key",
    "SafeERC20FailedOperation": lambda a: f"the stake token {a['token']} refused the transfer (returned false); "
    "check the token and the allowance",
    "ERC20InsufficientAllowance": lambda a: f"the stake token's allowance for DPrompt is {a['allowance']}, "
    f"{a['needed']} is needed; approve DPrompt for the stake first",
    "ERC20InsufficientBalance": lambda a: f"{a['sender']} holds {a['balance']} of the stake token, {a['needed']} "
    "is needed; get more of the token first",
    "ReentrancyGuardReentrantCall": lambda a: "DPrompt was re-entered (a consumer callback or a token called back "
    "into fulfil, reclaim, answer, dispute, finalize, stake or a withdrawal); those calls cannot run inside another",
    "DPromptNotPublisher": lambda a: f"{a['caller']} did not publish model {a['modelId']}; only its publisher may "
    "retire it or register its batch verifiers: use the publisher's key",
    "DPromptIsPaused": lambda a: "DPrompt's owner paused new requests, stakes and publications (an emergency stop); "
    "fulfilment, reclaim and withdrawals still work: try again later",
    "DPromptCallbackGasLimit": lambda a: f"callback gas limit {a['given']} is outside 1..{a['max']}",
    "DPromptInsufficientGasForCallback": lambda a: f"the transaction left too little gas to call request "
    f"{a['requestId']}'s consumer with its {a['callbackGasLimit']} gas; send it with more gas",
    "DPromptStakeValueMismatch": lambda a: f"sent {a['sent']} wei with a stake of {a['amount']}: native stake sends "
    "the amount as value, an ERC-20 stake sends no value (approve the token instead)",
    "DPromptStakeTransferMismatch": lambda a: f"the stake token moved {a['received']} for a transfer of "
    f"{a['amount']}: fee-on-transfer and rebasing tokens cannot be staked",
    "DPromptZeroAddress": lambda a: "the zero address was given where an account is needed",
    "DPromptUnknownModel": lambda a: f"no model {a['modelId']} on this DPrompt; check deployments/<chain>.json",
    "DPromptModelIsRetired": lambda a: f"model {a['modelId']} is retired; use the model id of its successor",
    "DPromptInvalidModelConfig": lambda a: f"model configuration rejected ({a['reason']}); fix it and register again",
    "FeaturizerInvalidTable": lambda a: "the vocabulary table is malformed; rebuild it from the model's input spec",
    "DPromptFeeTooLow": lambda a: f"fee too low: paid {a['paid']} wei, the model's fee is {a['required']} wei; "
    "send at least the fee",
    "DPromptFeeTooHigh": lambda a: f"payment of {a['paid']} wei does not fit the 96-bit fee field; send less",
    "DPromptEmptyPrompt": lambda a: "empty prompt; send at least one character",
    "DPromptPromptTooLong": lambda a: f"prompt is {a['length']} bytes, limit is {a['maxBytes']}; shorten it "
    "(prompts are rejected, never truncated)",
    "DPromptNoProvider": lambda a: f"no provider is staked for model {a['modelId']}; a provider must run "
    "`zkrevox provider stake AMOUNT` first",
    "DPromptNoCapacity": lambda a: f"every provider of model {a['modelId']} holds as many pending requests as it "
    "declared it can answer in time; nothing was charged: try again in a little while",
    "DPromptUnknownRequest": lambda a: f"no request {a['requestId']} on this DPrompt; check the id",
    "DPromptAlreadyFulfilled": lambda a: f"request {a['requestId']} is already fulfilled (a second fulfilment is "
    f"refused); read it with `zkrevox answer {a['requestId']}`",
    "DPromptAlreadyReclaimed": lambda a: f"request {a['requestId']} was settled after its missed deadline "
    "(its payment refunded to its requester); it can no longer be fulfilled",
    "DPromptNotAssigned": lambda a: f"{a['caller']} is not the provider assigned to request {a['requestId']}; "
    "only the assigned provider can fulfil it (its address is in `zkrevox answer`)",
    "DPromptDeadlinePassed": lambda a: f"request {a['requestId']}'s deadline {_when(a['deadline'])} has passed; "
    "it can only be settled now (`zkrevox reclaim ID`, by anyone)",
    "DPromptDeadlineNotPassed": lambda a: f"request {a['requestId']} can be settled only after its deadline "
    f"{_when(a['deadline'])}",
    "DPromptNotDeclinable": lambda a: f"request {a['requestId']} pays {a['pays']} wei, at least the {a['cost']} wei "
    "its fulfilment costs at this block's base fee: answer it (only a request answered at a loss can be declined)",
    "DPromptCallbackExceedsBlock": lambda a: f"a {a['callbackGasLimit']:,}-gas callback cannot fit in one block "
    f"beside its proof (at most {a['max']:,} for this model now); nothing was charged: ask for less callback gas",
    "DPromptNotFulfilled": lambda a: f"request {a['requestId']} has no answer yet (not fulfilled)",
    "DPromptWrongOutputCount": lambda a: f"{a['given']} outputs were submitted, the model has {a['expected']}; "
    "the proof is for another circuit",
    "DPromptOutputOutOfRange": lambda a: f"output {a['index']} is out of range (a zigzag-encoded signed "
    "integer larger than half the BN254 field); send ChainProof.outputs(), not raw field elements",
    "DPromptProofRejected": lambda a: f"the verifier rejected the proof for request {a['requestId']}: it is "
    "tampered, or was made for a different prompt, other outputs or another circuit; prove this request's "
    "prompt with the registered model",
    "DPromptWrongBatchSize": lambda a: f"a batch of {a['size']} request(s) is not allowed: a batch needs 2 to 64 "
    "requests and outputs for each of them",
    "DPromptUnknownBatchVerifier": lambda a: f"model {a['modelId']} has no batch-{a['size']} verifier; register one "
    "(`zkrevox deploy MODEL --batch N`) or send a batch of a registered size",
    "DPromptBatchVerifierExists": lambda a: f"model {a['modelId']} already has a batch-{a['size']} verifier; "
    "a registered verifier is never replaced",
    "DPromptDuplicateRequest": lambda a: f"request {a['requestId']} appears twice in the batch; send each once",
    "DPromptBatchModelMismatch": lambda a: f"request {a['requestId']} is for model {a['modelId']}, the batch is for "
    f"model {a['expected']}; batch requests of one model only",
    "DPromptBatchProofRejected": lambda a: f"the batch verifier rejected the proof for {a['size']} requests from "
    f"{a['firstRequestId']}: it is tampered, or its prompts are not these requests' prompts in this order",
    "DPromptStakeTooLarge": lambda a: f"a stake of {a['stake']} wei does not fit the stake field; stake less",
    "DPromptZeroAmount": lambda a: "amount must be greater than zero",
    "DPromptNotStaked": lambda a: f"{a['provider']} has no stake for model {a['modelId']}",
    "DPromptAlreadyUnbonding": lambda a: f"{a['provider']} is already unbonding from model {a['modelId']}",
    "DPromptNotUnbonding": lambda a: f"{a['provider']} is not unbonding from model {a['modelId']}; "
    "run `zkrevox provider unbond` first",
    "DPromptUnbondingNotOver": lambda a: f"the unbonding delay runs until {_when(a['withdrawableAt'])}; "
    "withdraw after it",
    "DPromptStakeLocked": lambda a: f"stake of {a['provider']} is locked by {a['pending']} pending or optimistically "
    "answered request(s); fulfil them (finalize answered ones after their window) or wait for them to be reclaimed",
    "DPromptNothingToWithdraw": lambda a: f"{a['account']} has no credit to withdraw",
    "DPromptAlreadyAnswered": lambda a: f"request {a['requestId']} already has an optimistic answer; read it with "
    f"`zkrevox answer {a['requestId']}` (it is final after its challenge window: `zkrevox finalize`)",
    "DPromptAlreadyOverturned": lambda a: f"request {a['requestId']}'s optimistic answer was overturned by a "
    f"dispute; its proven answer is final (`zkrevox answer {a['requestId']}`)",
    "DPromptOptimisticNotOffered": lambda a: f"model {a['modelId']} offers no optimistic mode (challenge window 0); "
    "request it without --optimistic",
    "DPromptNotOptimistic": lambda a: f"request {a['requestId']} was not requested optimistically; answer it with a "
    f"proof (`zkrevox fulfil {a['requestId']}`)",
    "DPromptNotAnswered": lambda a: f"request {a['requestId']} has no optimistic answer yet: nothing to dispute or "
    "finalize",
    "DPromptAnswerOutOfRange": lambda a: f"answer {a['answer']:#x} sets a bit at or above the model's "
    f"{a['numOutputs']} outputs",
    "DPromptStakeBelowBonds": lambda a: f"stake {a['stake']} of {a['provider']} for model {a['modelId']} is below "
    f"the answer bonds of the requests it holds ({a['required']}); stake more (`zkrevox provider stake`) first",
    "DPromptChallengeWindowOver": lambda a: f"request {a['requestId']}'s challenge window ended at "
    f"{_when(a['windowEnd'])}: it can no longer be disputed, only finalized",
    "DPromptChallengeWindowOpen": lambda a: f"request {a['requestId']}'s challenge window runs until "
    f"{_when(a['windowEnd'])}; finalize it then",
    "DPromptAnswerNotWrong": lambda a: f"the proof shows request {a['requestId']}'s posted answer {a['answer']:#x} "
    "is the model's answer: nothing to dispute",
    "DPromptAnswerNotFinal": lambda a: f"request {a['requestId']}'s optimistic answer is not final before "
    f"{_when(a['windowEnd'])} (it can still be disputed); finalize it then",
    "DPromptTransferFailed": lambda a: f"sending {a['amount']} wei to {a['account']} failed (the account refuses "
    "payments); the credit is kept",
    # REX staking (verifier-contracts/src/rex/); amounts in REX's smallest unit (18 decimals)
    "StakedRexDeductionTooHigh": lambda a: f"the deduction would be {a['deduction']}, above your limit "
    f"{a['maxDeduction']}; wait for the stake to age (0 from 180 days) or raise --max-deduction",
    "StakedRexInsufficientPoints": lambda a: f"{a['account']} has {a['points']} points, {a['needed']} are needed; "
    "stake REX (`zkrevox rex stake AMOUNT`) and let points accrue",
    "StakedRexNonTransferable": lambda a: "sREX cannot be transferred; unstake it (`zkrevox rex unstake AMOUNT`)",
    "StakedRexInsufficientBalance": lambda a: f"{a['account']} has {a['balance']} staked, less than {a['amount']}",
    "PointsPaymasterBudgetTooLow": lambda a: f"the points paymaster's budget ({a['budget']} wei) cannot pay the fee "
    f"{a['fee']} wei; anyone may fund it by sending native coin, or pay with `zkrevox request PROMPT`",
    "PointsPaymasterFeeTooHigh": lambda a: f"DPrompt asks {a['fee']} wei, above the paymaster's {a['maxFee']} per "
    "request; pay that model's fee in the native coin",
    "PointsPaymasterAlreadyRefunded": lambda a: f"request {a['requestId']}'s points were already refunded",
    "PointsPaymasterConsumerNotApproved": lambda a: f"consumer {a['consumer']} has not approved {a['user']}: a "
    "points request may name only the caller's own consumer contract, or one that called the paymaster's "
    "setRequester(user, true)",
    "PointsPaymasterConsumerHasNoCode": lambda a: f"consumer {a['consumer']} has no code, so no callback could run; "
    "name a consumer contract, or none",
    "PointsPaymasterGasPriceTooHigh": lambda a: f"the transaction's gas price {a['gasPrice']} wei is above the "
    f"paymaster's {a['max']} (base fee + 1 gwei); send with a priority fee of at most 1 gwei",
    "PointsPaymasterCallbackGasLimit": lambda a: f"callback gas limit {a['given']:,} is above the paymaster's "
    f"{a['max']:,} (DPrompt's most less the paymaster's 40,000); ask for less",
    "RewardsPoolFundingClosed": lambda a: f"the foundation stream ended at {_when(a['end'])}; funding is closed",
    "RewardsPoolNothingToClaim": lambda a: f"{a['account']} has no pool reward to claim (enroll: `zkrevox rex enroll`)",
}


class ErrorDecoder:
    """Decodes revert data against the custom errors of one or more ABIs."""

    def __init__(self, *abis: list[dict[str, Any]]) -> None:
        self._by_selector: dict[bytes, tuple[str, list[str], list[str]]] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [i["type"] for i in item["inputs"]]
                names = [i["name"] for i in item["inputs"]]
                sig = f"{item['name']}({','.join(types)})"
                self._by_selector[keccak(text=sig)[:4]] = (item["name"], types, names)

    def decode(self, data: bytes | str | None) -> tuple[str, dict[str, Any]] | None:
        if isinstance(data, str):
            data = bytes.fromhex(data.removeprefix("0x")) if data.startswith("0x") else None
        if not data or len(data) < 4:
            return None
        entry = self._by_selector.get(bytes(data[:4]))
        if entry is None:
            return None
        name, types, names = entry
        try:
            values = abi_decode(types, bytes(data[4:]))
        except Exception:  # malformed revert data: report the name alone
            return name, {}
        decoded = [to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True)]
        return name, dict(zip(names, decoded, strict=True))

    def describe(self, data: bytes | str | None) -> tuple[str | None, dict[str, Any], str]:
        decoded = self.decode(data)
        if decoded is None:
            return None, {}, f"reverted without a known error (data {data!r})"
        name, args = decoded
        render = _MESSAGES.get(name)
        try:
            text = render(args) if render else f"{name}({', '.join(f'{k}={v}' for k, v in args.items())})"
        except KeyError:
            text = name
        return name, args, f"{text} [{name}]"


def revert_data(exc: BaseException) -> bytes | str | None:
    """The revert data carried by a web3 exception, if any."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if data is None and exc.args:
        first = exc.args[-1]
        if isinstance(first, str) and first.startswith("0x"):
            data = first
    return data
