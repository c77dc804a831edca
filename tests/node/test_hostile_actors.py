"""Issue #18, item 7: a standing test that looks for the next way to hurt an honest provider.

Hostile actors take random steps (hypothesis stateful) against a running node on a real anvil,
with the real ticker circuit and real proofs: requesters send floods, arbitrary bytes and maximal
prompts, proven and optimistic; consumer contracts with no reclaim function call back with
callbacks that revert, burn their whole gas (up to 2M) or return 64 KiB; the chain's clock moves.

Invariant, after every step: DPrompt's books balance (balance = stakes + earned + developer
shares + escrowed fees + credits + burned) and the honest provider's stake never falls. At the end
of each example every request is fulfilled (proven, or optimistic and finalized): nothing stuck,
nothing missed. A few examples run in the default suite; more behind ``-m hostile`` (``make test``
runs it: 10 examples x 10 steps, ~7 min here).

The books are read with mining stopped: a first version read them while the node's finalize
transactions landed between the reads and saw the books off by 2e14 wei; read at one block, the
same 10-example run passes.
"""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from nodeenv import NodeEnv, config, node_thread, wait_for

from zkrevox.chain.deploy import deploy_contract
from zkrevox.chain.solc import project_contracts

pytestmark = [pytest.mark.chain, pytest.mark.slow]

STORE, REVERT, BURN_GAS, HUGE_RETURN = 0, 1, 2, 3  # HostileConsumer modes (verifier-contracts/test)
CAPACITY = 8  # the node's declared capacity: requests beyond it are refused by the contract, not missed
PROMPTS = [b"swap 2 bnb for cake", b"price of eth", b"buy some pepe"]
HELD = ("pending", "expired", "answered", "finalizable")
MAX_ADVANCE = 120  # seconds the clock may move per example (the response window is 600)


class HostileActors(RuleBasedStateMachine):
    env: NodeEnv  # set by the test
    tmp: object

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        self.snapshot = env.rpc_call("evm_snapshot", [])
        self.stack = contextlib.ExitStack()
        self.requests: list[int] = []
        self.advanced = 0
        compiled = project_contracts()
        record = deploy_contract(env.w3, env.owner, compiled["HostileConsumer"], env.dep.dprompt.address)
        self.consumer = env.w3.eth.contract(address=record.address, abi=compiled["HostileConsumer"].abi)
        db = self.tmp / f"node-{time.time_ns()}.db"  # type: ignore[operator]
        self.node = self.stack.enter_context(node_thread(
            config(env, db, max_batch_wait=0.3, capacity=CAPACITY), env.provider))
        self.client = env.client()
        self.model = self.client.model(env.model_id)
        self.stake = self.client.provider(env.model_id, env.provider.address).stake
        self.accounts = [env.owner.address, env.provider.address, env.provider2.address, env.user.address,
                         env.other.address, self.consumer.address]

    def teardown(self) -> None:
        try:
            self._all_final()
        finally:
            self.stack.close()
            self.env.rpc_call("evm_revert", [self.snapshot])
            self.env.rpc_call("anvil_setTime", [int(time.time())])

    def _room(self) -> int:
        return CAPACITY - self.client.provider(self.env.model_id, self.env.provider.address).pending

    # ------------------------------------------------------------ hostile steps

    @rule(prompt=st.one_of(st.sampled_from(PROMPTS), st.binary(min_size=1, max_size=64), st.just(b"\xff" * 512)),
          optimistic=st.booleans())
    def request(self, prompt: bytes, optimistic: bool) -> None:
        if self._room() < 1:
            return
        prompt = prompt[: int(self.model.spec[0])]  # maxBytes: a maximal prompt is exactly that long
        rid, _ = self.env.client(self.env.user).request(self.env.model_id, prompt, optimistic=optimistic)
        self.requests.append(rid)

    @rule(n=st.integers(2, 5))
    def flood(self, n: int) -> None:
        for i in range(min(n, self._room())):
            rid, _ = self.env.client(self.env.user).request(self.env.model_id, PROMPTS[i % len(PROMPTS)])
            self.requests.append(rid)

    @rule(mode=st.sampled_from([STORE, REVERT, BURN_GAS, HUGE_RETURN]),
          gas=st.sampled_from([50_000, 500_000, 2_000_000]), prompt=st.sampled_from(PROMPTS))
    def consumer_asks(self, mode: int, gas: int, prompt: bytes) -> None:
        """A consumer contract without a reclaim function, whose callback misbehaves."""
        if self._room() < 1:
            return
        env = self.env
        self.consumer.functions.setMode(mode, gas).transact({"from": env.owner.address})
        price = env.w3.eth.gas_price
        pay = self.client.required_payment(env.model_id, gas, price)
        tx = self.consumer.functions.ask(env.model_id, prompt).transact(
            {"from": env.user.address, "value": pay, "gasPrice": price})
        receipt = env.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1
        (ev,) = self.client.contract.events.DPromptRequested().process_receipt(receipt)
        self.requests.append(int(ev.args.requestId))

    @rule(seconds=st.sampled_from([1, 20, 61]))
    def advance(self, seconds: int) -> None:
        if self.advanced + seconds > MAX_ADVANCE:
            return
        self.advanced += seconds
        self.env.advance(seconds)

    # ------------------------------------------------------------ invariants

    @invariant()
    def books_balance_and_the_honest_provider_is_never_slashed(self) -> None:
        """Read at one block: the node runs meanwhile, so mining stops while the books are read (its
        transactions wait in the pool and are mined right after)."""
        self.env.rpc_call("evm_setAutomine", [False])
        try:
            self._books()
        finally:
            self.env.rpc_call("evm_setAutomine", [True])
            self.env.rpc_call("evm_mine", [])

    def _books(self) -> None:
        env, client = self.env, self.client
        positions = [client.provider(env.model_id, a.address) for a in (env.provider, env.provider2)]
        escrow = sum(info.fee for info in (client.request_info(r) for r in self.requests) if info.status in HELD)
        credits = sum(client.credits(a) for a in self.accounts)
        held = (sum(p.stake + p.earned for p in positions) + client.developer_earnings(env.model_id) + escrow
                + credits + client.burned())
        balance = env.w3.eth.get_balance(env.dep.dprompt.address)
        assert balance == held, (
            f"books: balance {balance} != held {held} (stakes+earned {[(p.stake, p.earned) for p in positions]}, "
            f"developer {client.developer_earnings(env.model_id)}, escrow {escrow}, credits {credits}, burned "
            f"{client.burned()}; requests {[(r, client.request_info(r).status) for r in self.requests]})")
        assert positions[0].stake >= self.stake, "the honest provider was slashed"

    def _all_final(self) -> None:
        """Every request ends fulfilled (optimistic ones once their window passed and the node finalized)."""
        env, client = self.env, self.client

        def settled() -> bool:
            statuses = [client.request_info(r).status for r in self.requests]
            waiting = [s for s in statuses if s != "fulfilled"]
            if "answered" in waiting and all(s in ("answered", "finalizable") for s in waiting):
                env.advance(self.model.challenge_window + 1)  # only optimistic answers left: end their window
            return not waiting

        wait_for(settled, 600, f"all {len(self.requests)} request(s) fulfilled", interval=1.0)
        assert client.provider(env.model_id, env.provider.address).stake >= self.stake
        assert client.provider(env.model_id, env.provider.address).pending == 0


def _run(env: NodeEnv, tmp_path, examples: int, steps: int) -> None:
    HostileActors.env, HostileActors.tmp = env, tmp_path
    run_state_machine_as_test(HostileActors, settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, derandomize=False,
        # no shrinking: each replay restarts a node on a chain, costly, and timing makes it inexact
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))


def test_hostileActors_honestProviderNeverSlashed_nothingStuck(env: NodeEnv, tmp_path):
    _run(env, tmp_path, examples=2, steps=5)


@pytest.mark.hostile
def test_hostileActors_moreExamples(env: NodeEnv, tmp_path):
    _run(env, tmp_path, examples=10, steps=10)
