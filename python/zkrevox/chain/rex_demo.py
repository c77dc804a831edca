"""``make demo``'s REX part, on the demo's chain with its node running: REX, StakedRex and the points
paymaster deployed beside DPrompt; a long-term staker stakes and enrolls in the rewards pool; the
user stakes; a day passes; the user's points; a request paid with points, answered by the node; an
early unstake, its deduction split (burned, pooled); the long-term staker's reward."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from eth_account import Account
from web3 import Web3
from web3.types import RPCEndpoint

from zkrevox.chain.client import DPromptClient, bitmap_indices
from zkrevox.chain.deploy import Deployment
from zkrevox.chain.keys import ANVIL_DEV_KEYS_ALL
from zkrevox.chain.rex import RexClient, format_rex
from zkrevox.chain.rex_deploy import deploy_rex

UNIT = 10**18
ANSWER_TIMEOUT_S = 180


def run(w3: Web3, dep: Deployment, model: str, say: Callable[[str], None], prompt: str = "swap 2 bnb for cake"
        ) -> dict[str, Any]:
    """The REX steps; returns what they showed (amounts in REX's smallest unit)."""
    owner, user, holder = (Account.from_key(ANVIL_DEV_KEYS_ALL[i]) for i in (0, 2, 5))
    record = deploy_rex(w3, owner, dep.dprompt.address, grants=[user.address, holder.address],
                        directory=dep.path.parent if dep.path else None)
    p = record.params
    say(f"REX {record.rex} (3 billion, fixed), sREX (StakedRex) {record.srex}, points paymaster {record.paymaster}: "
        f"deduction {p['deduction_bps'] / 100:g} % of a fresh stake falling to 0 at {p['maturity_s'] // 86400} days, "
        f"{format_rex(p['points_per_day'])} point per sREX per day (cap {p['points_cap_days']} days), a request costs "
        f"{format_rex(p['points_price'])} points; the foundation streams {format_rex(p['foundation_funding'])} REX "
        "to the pool over 180 days")
    me, long_term = RexClient(w3, record, user), RexClient(w3, record, holder)
    long_term.stake(10_000 * UNIT)
    long_term.enroll()
    me.stake(1_000 * UNIT)
    say(f"stake: the user staked 1000 REX (sREX {format_rex(me.staked())}); a long-term staker staked 10000 and "
        "enrolled in the rewards pool")
    w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [86_400])
    w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    points = me.points()
    say(f"a day passes: the user has {format_rex(points)} points")
    model_id = dep.model(model).model_id
    labels = dep.model(model).labels
    rid, spent, _ = me.request_with_points(model_id, prompt)
    say(f"request {rid} {prompt!r} paid with {format_rex(spent)} points (points now {format_rex(me.points())}); the "
        f"paymaster paid DPrompt's fee from its budget")
    reader = DPromptClient(w3, dep.dprompt.address)
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while (info := reader.request_info(rid)).status != "fulfilled":
        if time.monotonic() > deadline:
            raise TimeoutError(f"points request {rid} was not answered in {ANSWER_TIMEOUT_S} s ({info.status})")
        time.sleep(0.5)
    tickers = [labels[i] if i < len(labels) else str(i) for i in bitmap_indices(info.answer, len(labels))]
    say(f"answered by the node with a verified proof: {', '.join(tickers) or 'no ticker'} (the user reads it with "
        f"`zkrevox answer {rid}`)")
    supply = me.rex_total_supply()
    me.stake(100 * UNIT)
    r = me.redeem(100 * UNIT)
    say(f"early unstake of 100: {format_rex(r.out)} REX out, deduction {format_rex(r.deduction)} "
        f"({format_rex(r.burned)} burned: REX supply {format_rex(supply)} -> {format_rex(me.rex_total_supply())}; "
        f"{format_rex(r.pooled)} streamed to the pool over 7 days)")
    w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [7 * 86_400])
    w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    reward, _ = long_term.claim()
    say(f"a week later the long-term staker claims {format_rex(reward)} REX of pool reward (the foundation's stream "
        "and the deductions re-streamed)")
    return {"points": points, "points_spent": spent, "request_id": rid, "tickers": tickers,
            "unstake": {"out": r.out, "deduction": r.deduction, "burned": r.burned, "pooled": r.pooled},
            "rex_supply_fell_by": supply - me.rex_total_supply(), "reward": reward}
