"""DPrompt's books balance after every step of random sequences (hypothesis stateful, real anvil).

Invariant: DPrompt's balance = the providers' stakes + their earned fees + the publisher's
uncollected developer shares + the fees escrowed in requests not yet fulfilled or reclaimed + every
account's withdrawable credit + the burned slashes.
Every rule is a real transaction (or a call that reverts and must change nothing); fulfilments
carry real proofs of the toy circuit. Each example starts from the same chain snapshot.
"""

from __future__ import annotations

import pytest
from chainenv import FEE, MIN_STAKE, Env
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from zkrevox.chain.revert import RevertedError

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPTS = ["swap 2 bnb for cake", "eth", "price of pepe", "buy some doge"]
_PROOFS: dict = {}  # prompt -> toy proof (a proof depends on the prompt only)


class Books(RuleBasedStateMachine):
    env: Env  # set by the test before the machine runs

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        self.snapshot = env.w3.provider.make_request("evm_snapshot", [])["result"]
        self.providers = [env.provider, env.provider2]
        self.accounts = [env.owner, env.provider, env.provider2, env.user, env.other]
        self.requests: dict[int, str] = {}  # request id -> prompt
        env.client(env.provider).stake(env.model_id, MIN_STAKE)  # start with one provider in the pool

    def teardown(self) -> None:
        self.env.w3.provider.make_request("evm_revert", [self.snapshot])

    def _client(self, account):
        return self.env.client(account)

    def _try(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RevertedError:
            return None  # a refused call changes nothing; the invariant checks it

    @rule(who=st.integers(0, 1), amount=st.sampled_from([MIN_STAKE // 2, MIN_STAKE, 3 * MIN_STAKE]))
    def stake(self, who: int, amount: int) -> None:
        self._try(self._client(self.providers[who]).stake, self.env.model_id, amount)

    @rule(who=st.integers(0, 1), capacity=st.integers(1, 3))
    def set_capacity(self, who: int, capacity: int) -> None:
        self._try(self._client(self.providers[who]).set_capacity, self.env.model_id, capacity)

    @rule(who=st.sampled_from([3, 4]), prompt=st.sampled_from(PROMPTS), tip=st.sampled_from([0, 7]))
    def request(self, who: int, prompt: str, tip: int) -> None:
        out = self._try(self._client(self.accounts[who]).request, self.env.model_id, prompt, value=FEE + tip)
        if out is not None:
            self.requests[out[0]] = prompt

    @precondition(lambda self: self.requests)
    @rule(pick=st.integers(0, 2**16))
    def fulfil(self, pick: int) -> None:
        rid = sorted(self.requests)[pick % len(self.requests)]
        client = self._client(self.env.user)
        info = client.request_info(rid)
        if info.status != "pending":
            return
        account = next(a for a in self.providers if a.address == info.provider)
        prompt = self.requests[rid]
        proof = _PROOFS.get(prompt) or _PROOFS.setdefault(prompt, self.env.toy.prove(prompt))
        self._try(self._client(account).fulfil, rid, proof.proof_bytes, proof.outputs(self.env.toy.num_outputs))

    @rule(seconds=st.sampled_from([1, 300, 601, 3601]))
    def advance(self, seconds: int) -> None:
        self.env.advance(seconds)

    @precondition(lambda self: self.requests)
    @rule(pick=st.integers(0, 2**16))
    def reclaim(self, pick: int) -> None:
        rid = sorted(self.requests)[pick % len(self.requests)]
        info = self._client(self.env.user).request_info(rid)
        requester = next(a for a in self.accounts if a.address == info.requester)
        self._try(self._client(requester).reclaim, rid)

    @rule(who=st.integers(0, 1))
    def collect(self, who: int) -> None:
        self._try(self._client(self.providers[who]).collect_earnings, self.env.model_id)

    @rule()
    def collect_developer_share(self) -> None:
        self._try(self._client(self.env.owner).collect_developer_earnings, self.env.model_id)

    @rule(who=st.integers(0, 1))
    def unbond(self, who: int) -> None:
        self._try(self._client(self.providers[who]).unbond, self.env.model_id)

    @rule(who=st.integers(0, 1))
    def withdraw_stake(self, who: int) -> None:
        self._try(self._client(self.providers[who]).withdraw_stake, self.env.model_id)

    @rule(who=st.integers(0, 4))
    def withdraw(self, who: int) -> None:
        self._try(self._client(self.accounts[who]).withdraw)

    @invariant()
    def books_balance(self) -> None:
        env = self.env
        client = self._client(None)
        positions = [client.provider(env.model_id, a.address) for a in self.providers]
        escrow = 0
        for rid in self.requests:
            info = client.request_info(rid)
            if info.status in ("pending", "expired"):
                escrow += info.fee
        credits = sum(client.credits(a.address) for a in self.accounts)
        developer = client.developer_earnings(env.model_id)
        held = sum(p.stake + p.earned for p in positions) + developer + escrow + credits + client.burned()
        assert env.w3.eth.get_balance(env.dep.dprompt.address) == held
        for p in positions:
            assert p.pending <= max(p.capacity, p.pending)  # capacity may be lowered below pending
        assigned = sum(1 for rid in self.requests if client.request_info(rid).status in ("pending", "expired"))
        assert sum(p.pending for p in positions) == assigned


def test_accounting_invariantHoldsThroughRandomSequences(env: Env):
    from hypothesis.stateful import run_state_machine_as_test

    Books.env = env
    run_state_machine_as_test(Books, settings=settings(
        max_examples=15, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
