"""fulfilBatch with the real ticker batch circuits: one proof answers N requests, each bound to its
own stored prompt; every request gets fulfil's checks and effects, except that a member past its
deadline or reclaimed is skipped (no answer, no fee) instead of sinking the others.

The session fixture ``batch_provers`` (tests/conftest.py) builds the batch-4 and batch-8
circuits when they are missing.
"""

from __future__ import annotations

import pytest
from chainenv import FEE, MIN_STAKE, PROVIDER_FEE
from web3.logs import DISCARD

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient, bitmap_indices
from zkrevox.chain.deploy import current_verifier, deploy, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.chain.proofs import ChainProof
from zkrevox.chain.revert import RevertedError
from zkrevox.encoding import FIELD_MODULUS

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPTS = [
    "swap 2 bnb for cake",
    "buy some pepe",
    "what is the price of eth today",
    "bridge my usdc to arbitrum",
    "chart for link please",
    "stake my uni",
    "send 5 dai to bob",
    "good morning everyone",
]


@pytest.fixture(scope="module")
def chain(batch_provers, tmp_path_factory):
    from eth_account import Account

    params = model_params("ticker", min_stake_wei=MIN_STAKE)
    sizes = sorted(batch_provers)
    owner, provider, provider2, user = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:4])
    with Anvil() as anvil:
        w3 = connect(anvil.url)
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), batch_sizes=sizes,
                     directory=tmp_path_factory.mktemp("batch-deployments"))
        assert params.num_outputs == 42
        address = dep.dprompt.address
        yield {
            "w3": w3, "dep": dep, "params": params, "model_id": dep.models["ticker"].model_id,
            "provider": DPromptClient(w3, address, provider), "provider2": DPromptClient(w3, address, provider2),
            "user": DPromptClient(w3, address, user),
        }


@pytest.fixture()
def fresh(chain):
    """``chain`` with the provider staked, reverted to its state before the test afterwards."""
    snap = chain["w3"].provider.make_request("evm_snapshot", [])["result"]
    try:
        chain["provider"].stake(chain["model_id"], MIN_STAKE)
        yield chain
    finally:
        chain["w3"].provider.make_request("evm_revert", [snap])


_proofs: dict[int, object] = {}


def batch_proof(n: int):
    """One real proof of the ticker batch-n circuit for PROMPTS[:n], made once per session."""
    if n not in _proofs:
        from zkrevox import Prover

        _proofs[n] = Prover.load("ticker", batch=n).prove_batch(PROMPTS[:n])
    return _proofs[n]


def _chain_proof(n: int) -> tuple[object, ChainProof, list[int]]:
    proof = batch_proof(n)
    chain_proof = ChainProof.from_proof(proof)
    return proof, chain_proof, chain_proof.outputs(n * 42)


def _request(chain, prompts: list[str]) -> list[int]:
    return [chain["user"].request(chain["model_id"], p)[0] for p in prompts]


def _tickers(chain, request_id: int) -> list[str]:
    labels = list(chain["params"].labels)
    return [labels[i] for i in bitmap_indices(chain["user"].answer(request_id), chain["params"].num_outputs)]


def _statuses(chain, ids: list[int]) -> list[str]:
    return [chain["user"].request_info(r).status for r in ids]


@pytest.mark.parametrize("n", [4, 8])
def test_fulfilBatch_storesEachRequestsAnswerAndCreditsOnce(fresh, n: int):
    proof, chain_proof, outputs = _chain_proof(n)
    assert len({tuple(a) for a in proof.answers}) == n  # distinct answers: a mix-up would show
    ids = _request(fresh, PROMPTS[:n])
    provider = fresh["provider"]
    assert provider.batch_public_instances(ids, outputs) == chain_proof.instances
    receipt = provider.fulfil_batch(ids, chain_proof.proof_bytes, outputs)
    assert receipt["status"] == 1
    assert [_tickers(fresh, r) for r in ids] == proof.answers
    assert _statuses(fresh, ids) == ["fulfilled"] * n
    state = provider.provider(fresh["model_id"], provider.account.address)
    assert (state.earned, state.pending) == (n * PROVIDER_FEE, 0)
    events = provider.contract.events.DPromptFulfilled().process_receipt(receipt)
    assert [(e.args.requestId, e.args.provider) for e in events] == [(r, provider.account.address) for r in ids]
    assert [e.args.answer for e in events] == [provider.answer(r) for r in ids]


def test_fulfilBatch_revertsIfProofsPromptsAreInAnotherOrderThanTheRequestIds(fresh):
    _, chain_proof, outputs = _chain_proof(4)
    order = [1, 0, 2, 3]
    ids = _request(fresh, [PROMPTS[i] for i in order])  # ids ascending, prompts in another order
    with pytest.raises(RevertedError) as err:
        fresh["provider"].fulfil_batch(ids, chain_proof.proof_bytes, outputs)
    assert err.value.error_name == "DPromptBatchProofRejected"
    assert err.value.error_args == {"firstRequestId": ids[0], "size": 4}
    # the same requests in the proof's order go through
    by_prompt = [ids[order.index(i)] for i in range(4)]
    fresh["provider"].fulfil_batch(by_prompt, chain_proof.proof_bytes, outputs)
    assert _statuses(fresh, ids) == ["fulfilled"] * 4


def test_fulfilBatch_revertsWholeBatchIfOneRequestIsNotAssignedToCaller(fresh):
    _, chain_proof, outputs = _chain_proof(4)
    fresh["provider2"].stake(fresh["model_id"], MIN_STAKE)  # round-robin now alternates
    ids = _request(fresh, PROMPTS[:4])
    provider = fresh["provider"]
    foreign = [r for r in ids if provider.request_info(r).provider != provider.account.address]
    assert foreign
    with pytest.raises(RevertedError) as err:
        provider.fulfil_batch(ids, chain_proof.proof_bytes, outputs)
    assert err.value.error_name == "DPromptNotAssigned"
    assert err.value.error_args == {"requestId": foreign[0], "caller": provider.account.address}
    assert _statuses(fresh, ids) == ["pending"] * 4


def _mine_next_at(chain, timestamp: int) -> None:
    """The next block (the next transaction's, under automine) gets exactly ``timestamp``."""
    chain["w3"].provider.make_request("anvil_setNextBlockTimestamp", [timestamp])


def _skips(chain, receipt) -> dict[int, bytes]:
    events = chain["provider"].contract.events.DPromptFulfilSkipped().process_receipt(receipt, errors=DISCARD)
    return {e.args.requestId: bytes(e.args.reason) for e in events}


@pytest.mark.parametrize(("late", "expected"), [(0, "fulfilled"), (1, "skipped")])
def test_fulfilBatch_memberAtItsDeadlineIsAnsweredOneSecondLaterIsSkipped(fresh, late: int, expected: str):
    proof, chain_proof, outputs = _chain_proof(4)
    window = fresh["params"].response_window_s
    first = _request(fresh, PROMPTS[:1])
    _advance(fresh, window - 100)
    ids = first + _request(fresh, PROMPTS[1:4])
    deadline = fresh["user"].request_info(ids[0]).deadline
    provider = fresh["provider"]
    _mine_next_at(fresh, deadline + late)
    receipt = provider.fulfil_batch(ids, chain_proof.proof_bytes, outputs)
    assert receipt["status"] == 1
    assert _statuses(fresh, ids[1:]) == ["fulfilled"] * 3  # the others never sink with it
    assert [_tickers(fresh, r) for r in ids[1:]] == proof.answers[1:]
    state = provider.provider(fresh["model_id"], provider.account.address)
    if expected == "fulfilled":
        assert _statuses(fresh, ids[:1]) == ["fulfilled"] and _skips(fresh, receipt) == {}
        assert (state.earned, state.pending) == (4 * PROVIDER_FEE, 0)
    else:
        assert _statuses(fresh, ids[:1]) == ["expired"]
        assert _skips(fresh, receipt) == {ids[0]: _selector("DPromptDeadlinePassed(uint256,uint256)")}
        assert (state.earned, state.pending) == (3 * PROVIDER_FEE, 1)  # no fee for the late one; still owed to reclaim
        fresh["user"].reclaim(ids[0])
        assert fresh["user"].credits(fresh["user"].account.address) == FEE


def test_fulfilBatch_skipsAMemberReclaimedMeanwhile(fresh):
    _, chain_proof, outputs = _chain_proof(4)
    window = fresh["params"].response_window_s
    first = _request(fresh, PROMPTS[:1])
    _advance(fresh, window - 100)
    ids = first + _request(fresh, PROMPTS[1:4])
    _advance(fresh, 150)
    fresh["user"].reclaim(ids[0])  # the features stay: the proof still verifies for the others
    receipt = fresh["provider"].fulfil_batch(ids, chain_proof.proof_bytes, outputs)
    assert _statuses(fresh, ids) == ["reclaimed", "fulfilled", "fulfilled", "fulfilled"]
    assert _skips(fresh, receipt) == {ids[0]: _selector("DPromptAlreadyReclaimed(uint256)")}
    state = fresh["provider"].provider(fresh["model_id"], fresh["provider"].account.address)
    assert (state.earned, state.pending) == (3 * PROVIDER_FEE, 0)


def test_fulfilBatch_tamperedProofStillRevertsWhenAMemberIsSkipped(fresh):
    _, chain_proof, outputs = _chain_proof(4)
    window = fresh["params"].response_window_s
    first = _request(fresh, PROMPTS[:1])
    _advance(fresh, window - 100)
    ids = first + _request(fresh, PROMPTS[1:4])
    _advance(fresh, 150)
    bad = list(outputs)
    bad[0] += 2  # the skipped member's outputs are still bound by the proof
    with pytest.raises(RevertedError) as err:
        fresh["provider"].fulfil_batch(ids, chain_proof.proof_bytes, bad)
    assert err.value.error_name == "DPromptBatchProofRejected"


def _selector(signature: str) -> bytes:
    from eth_utils import keccak

    return keccak(text=signature)[:4]


def test_fulfilBatch_revertsForDuplicateRequestId(fresh):
    _, chain_proof, outputs = _chain_proof(4)
    a, b, _, d = _request(fresh, PROMPTS[:4])
    with pytest.raises(RevertedError) as err:
        fresh["provider"].fulfil_batch([a, b, a, d], chain_proof.proof_bytes, outputs)
    assert err.value.error_name == "DPromptDuplicateRequest"
    assert err.value.error_args == {"requestId": a}


def test_fulfilBatch_revertsForWrongBatchSize(fresh):
    _, chain_proof, outputs = _chain_proof(4)
    ids = _request(fresh, PROMPTS[:4])
    provider = fresh["provider"]
    with pytest.raises(RevertedError) as err:  # no batch-3 verifier
        provider.fulfil_batch(ids[:3], chain_proof.proof_bytes, outputs[: 3 * 42])
    assert err.value.error_name == "DPromptUnknownBatchVerifier"
    assert err.value.error_args == {"modelId": fresh["model_id"], "size": 3}
    with pytest.raises(RevertedError) as err:  # outputs of three requests for four
        provider.fulfil_batch(ids, chain_proof.proof_bytes, outputs[: 3 * 42])
    assert err.value.error_name == "DPromptWrongOutputCount"
    assert err.value.error_args == {"given": 3 * 42, "expected": 4 * 42}
    with pytest.raises(RevertedError) as err:  # a single request goes through fulfil
        provider.fulfil_batch(ids[:1], chain_proof.proof_bytes, outputs[:42])
    assert err.value.error_name == "DPromptWrongBatchSize"


@pytest.mark.parametrize("what", ["proof byte", "output", "output not in field"])
def test_fulfilBatch_revertsIfTampered(fresh, what: str):
    _, chain_proof, outputs = _chain_proof(4)
    ids = _request(fresh, PROMPTS[:4])
    proof_bytes, outputs = bytearray(chain_proof.proof_bytes), list(outputs)
    if what == "proof byte":
        proof_bytes[200] ^= 0x01
    elif what == "output":
        outputs[42 * 2 + 5] = (outputs[42 * 2 + 5] + 1) % FIELD_MODULUS  # request 2's output 5
    else:
        outputs[42 * 3 + 7] = FIELD_MODULUS
    with pytest.raises(RevertedError) as err:
        fresh["provider"].fulfil_batch(ids, bytes(proof_bytes), outputs)
    if what == "output not in field":
        assert err.value.error_name == "DPromptOutputOutOfRange"
        assert err.value.error_args == {"index": 42 * 3 + 7}  # counted over the whole batch
    else:
        assert err.value.error_name == "DPromptBatchProofRejected"
    assert _statuses(fresh, ids) == ["pending"] * 4


def test_fulfilBatch_revertsOnChainWithoutSimulation(fresh):
    _, chain_proof, outputs = _chain_proof(4)
    ids = _request(fresh, PROMPTS[:4])
    tampered = bytearray(chain_proof.proof_bytes)
    tampered[-1] ^= 0x01
    with pytest.raises(RevertedError) as err:
        fresh["provider"].fulfil_batch(ids, bytes(tampered), outputs, simulate=False)
    assert err.value.error_name == "DPromptBatchProofRejected"
    assert fresh["w3"].eth.get_transaction_receipt(err.value.tx_hash)["status"] == 0
    assert _statuses(fresh, ids) == ["pending"] * 4


def test_fulfilBatch_revertsIfARequestWasFulfilledAlone(fresh):
    from zkrevox import Prover

    _, chain_proof, outputs = _chain_proof(4)
    ids = _request(fresh, PROMPTS[:4])
    single = ChainProof.from_proof(Prover.load("ticker").prove(PROMPTS[2]))
    fresh["provider"].fulfil(ids[2], single.proof_bytes, single.outputs(42))
    with pytest.raises(RevertedError) as err:
        fresh["provider"].fulfil_batch(ids, chain_proof.proof_bytes, outputs)
    assert err.value.error_name == "DPromptAlreadyFulfilled"
    assert err.value.error_args == {"requestId": ids[2]}
    assert _statuses(fresh, ids) == ["pending", "pending", "fulfilled", "pending"]


def test_fulfilBatch_secondFulfilmentReverts(fresh):
    _, chain_proof, outputs = _chain_proof(4)
    ids = _request(fresh, PROMPTS[:4])
    provider = fresh["provider"]
    provider.fulfil_batch(ids, chain_proof.proof_bytes, outputs)
    with pytest.raises(RevertedError) as err:
        provider.fulfil_batch(ids, chain_proof.proof_bytes, outputs)
    assert err.value.error_name == "DPromptAlreadyFulfilled"
    assert provider.provider(fresh["model_id"], provider.account.address).earned == 4 * PROVIDER_FEE


def _advance(chain, seconds: int) -> None:
    chain["w3"].provider.make_request("evm_increaseTime", [seconds])
    chain["w3"].provider.make_request("evm_mine", [])


def test_fulfilBatch_eachMembersCallbackIsIsolatedFromTheOthers(fresh):
    from zkrevox.chain.deploy import deploy_contract
    from zkrevox.chain.solc import project_contracts

    compiled = project_contracts()
    w3, owner = fresh["w3"], fresh["provider"].account  # any funded account can deploy the consumers
    consumers = []
    for mode in (0, 1):  # HostileConsumer.Mode.Store, Mode.Revert
        record = deploy_contract(w3, owner, compiled["HostileConsumer"], fresh["dep"].dprompt.address)
        consumer = w3.eth.contract(address=record.address, abi=compiled["HostileConsumer"].abi)
        consumer.functions.setMode(mode, 100_000).transact({"from": owner.address})
        consumers.append(consumer)
    _, chain_proof, outputs = _chain_proof(4)
    user = fresh["user"]
    price = w3.eth.gas_price
    pay = user.required_payment(fresh["model_id"], 100_000, price)
    ids = []
    for consumer, prompt in zip(consumers, PROMPTS[:2], strict=True):
        tx = consumer.functions.ask(fresh["model_id"], prompt.encode()).transact(
            {"from": user.account.address, "value": pay, "gasPrice": price})
        w3.eth.wait_for_transaction_receipt(tx)
        ids.append(user.contract.functions.nextRequestId().call() - 1)
    ids += _request(fresh, PROMPTS[2:4])
    receipt = fresh["provider"].fulfil_batch(ids, chain_proof.proof_bytes, outputs)
    events = user.contract.events.DPromptCallback().process_receipt(receipt, errors=DISCARD)
    assert [(e.args.requestId, e.args.success) for e in events] == [(ids[0], True), (ids[1], False)]
    assert _statuses(fresh, ids) == ["fulfilled"] * 4  # the failing callback sinks nothing
    assert consumers[0].functions.lastAnswer().call() == user.answer(ids[0])
