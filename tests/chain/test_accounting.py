"""DPrompt's books balance after every step of random sequences (hypothesis stateful, real anvil).

Invariant: DPrompt's balance = the providers' stakes + their earned fees + the publisher's
uncollected developer shares + the fees escrowed in requests not yet final or reclaimed (pending,
expired, optimistically answered) + every account's withdrawable credit + the burned slashes.
Missed requests are settled by any account (the refund is credited to the requester).
The optimistic mode is in the mix: optimistic requests, right and wrong answers, disputes (the bond
moves from a stake to credits, the fee back to the requester) and finalization.
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
_DONE: dict[str, int] = {}  # rule -> transactions that went through, over every example
HELD = ("pending", "expired", "answered", "finalizable")  # statuses whose fee is escrowed, provider assigned


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
            out = fn(*args, **kwargs)
        except RevertedError:
            return None  # a refused call changes nothing; the invariant checks it
        _DONE[fn.__name__] = _DONE.get(fn.__name__, 0) + 1
        return out

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

    @rule(who=st.sampled_from([3, 4]), prompt=st.sampled_from(PROMPTS), tip=st.sampled_from([0, 7]),
          then=st.sampled_from([None, False, True]))
    def request_optimistic(self, who: int, prompt: str, tip: int, then: bool | None) -> None:
        """An optimistic request; ``then``: its provider answers at once, right (False) or wrong (True)."""
        value = self.env.params.optimistic_fee + tip
        out = self._try(self._client(self.accounts[who]).request, self.env.model_id, prompt, value=value,
                        optimistic=True)
        if out is not None:
            self.requests[out[0]] = prompt
            if then is not None:
                self._answer(out[0], then)

    def _answer(self, rid: int, wrong: bool) -> None:
        info = self._client(self.env.user).request_info(rid)
        account = next(a for a in self.providers if a.address == info.provider)
        outputs = self._proof(rid).signed_outputs(self.env.toy.num_outputs)
        right = sum(1 << i for i, v in enumerate(outputs) if v > 0)
        self._try(self._client(account).post_answer, rid, right ^ 1 if wrong else right)

    def _proof(self, rid: int):
        prompt = self.requests[rid]
        return _PROOFS.get(prompt) or _PROOFS.setdefault(prompt, self.env.toy.prove(prompt))

    def _pick(self, pick: int):
        rid = sorted(self.requests)[pick % len(self.requests)]
        return rid, self._client(self.env.user).request_info(rid)

    @precondition(lambda self: self.requests)
    @rule(pick=st.integers(0, 2**16))
    def fulfil(self, pick: int) -> None:
        rid, info = self._pick(pick)
        if info.status != "pending":
            return
        account = next(a for a in self.providers if a.address == info.provider)
        proof = self._proof(rid)
        self._try(self._client(account).fulfil, rid, proof.proof_bytes, proof.outputs(self.env.toy.num_outputs))

    def _optimistic(self, pick: int, statuses: tuple[str, ...]):
        """A request (id, info) among the optimistic ones in ``statuses``, or None: the optimistic rules
        act on requests they can change, so random sequences reach disputes and finalization."""
        client = self._client(self.env.user)
        infos = [client.request_info(rid) for rid in sorted(self.requests)]
        fit = [i for i in infos if i.optimistic and i.status in statuses]
        return (fit[pick % len(fit)].request_id, fit[pick % len(fit)]) if fit else None

    @precondition(lambda self: self.requests)
    @rule(pick=st.integers(0, 2**16), wrong=st.booleans())
    def answer(self, pick: int, wrong: bool) -> None:
        found = self._optimistic(pick, ("pending", "expired"))
        if found is None:
            return
        self._answer(found[0], wrong)

    @precondition(lambda self: self.requests)
    @rule(pick=st.integers(0, 2**16), who=st.integers(0, 4))
    def dispute(self, pick: int, who: int) -> None:
        found = self._optimistic(pick, ("answered", "finalizable"))
        if found is None:
            return
        rid, _ = found
        proof = self._proof(rid)
        self._try(self._client(self.accounts[who]).dispute, rid, proof.proof_bytes,
                  proof.outputs(self.env.toy.num_outputs))

    @precondition(lambda self: self.requests)
    @rule(pick=st.integers(0, 2**16), more=st.integers(0, 2**16))
    def finalize(self, pick: int, more: int) -> None:
        found = [self._optimistic(p, ("answered", "finalizable")) for p in (pick, more)]
        ids = sorted({f[0] for f in found if f is not None})
        if ids:
            self._try(self._client(self.env.other).finalize, ids)

    @rule(seconds=st.sampled_from([1, 60, 300, 601, 3601]))
    def advance(self, seconds: int) -> None:
        self.env.advance(seconds)

    @precondition(lambda self: self.requests)
    @rule(pick=st.integers(0, 2**16), who=st.integers(0, 4))
    def reclaim(self, pick: int, who: int) -> None:
        """Anyone settles a missed request: the refund is the requester's credit, whoever sends it."""
        rid = sorted(self.requests)[pick % len(self.requests)]
        self._try(self._client(self.accounts[who]).reclaim, rid)

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
            if info.status in HELD:
                escrow += info.fee
        credits = sum(client.credits(a.address) for a in self.accounts)
        developer = client.developer_earnings(env.model_id)
        held = sum(p.stake + p.earned for p in positions) + developer + escrow + credits + client.burned()
        assert env.w3.eth.get_balance(env.dep.dprompt.address) == held
        assert client.token_books() == (0, 0)  # a native stake: nothing owed or held in a token
        for p in positions:
            assert p.pending <= max(p.capacity, p.pending)  # capacity may be lowered below pending
        assigned = sum(1 for rid in self.requests if client.request_info(rid).status in HELD)
        assert sum(p.pending for p in positions) == assigned


def test_accounting_invariantHoldsThroughRandomSequences(env: Env):
    from hypothesis.stateful import run_state_machine_as_test

    Books.env = env
    run_state_machine_as_test(Books, settings=settings(
        max_examples=15, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))


def test_accounting_invariantHoldsThroughEveryOptimisticPath(env: Env):
    """The optimistic steps random sequences reach only sometimes, in a fixed order: a wrong answer
    disputed, a right one whose dispute is refused and that is finalized, an unanswered one reclaimed."""
    Books.env = env
    books = Books()
    try:
        books.stake(0, MIN_STAKE)  # stays in the pool after one slashed bond
        _DONE.clear()
        books.request_optimistic(3, PROMPTS[0], 7, True)  # request 1: answered wrong
        books.books_balance()
        books.dispute(0, 4)  # overturned: bond to the disputer and the requester
        books.books_balance()
        books.request_optimistic(4, PROMPTS[1], 0, False)  # request 2: answered right
        books.dispute(1, 4)  # refused: the answer is right
        books.request_optimistic(3, PROMPTS[2], 0, None)  # request 3: never answered
        books.books_balance()
        books.advance(601)
        books.finalize(0, 0)
        books.reclaim(2, 0)  # settled by the owner, a third party: the refund is request 3's requester's
        books.withdraw(4)
        books.books_balance()
        assert _DONE == {"request": 3, "post_answer": 2, "dispute": 1, "finalize": 1, "reclaim": 1, "withdraw": 1}
    finally:
        books.teardown()
