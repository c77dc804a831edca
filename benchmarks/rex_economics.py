"""REX staking on a fresh anvil, with the real contracts and the default parameters
(``zkrevox.chain.rex_deploy.RexParams``): the rewards pool's yield for a long-term staker when 5 %,
20 % and 50 % of the supply is staked (all of it enrolled), from the foundation's stream and from
early exits' deductions; and the gas of each path, read from the receipts.

    PYTHONPATH=python ZKREVOX_ARTIFACTS=... .venv/bin/python benchmarks/rex_economics.py

Yield, per staked fraction s of the 3 billion supply (S = s x supply, one staker enrolls it all):
- ``foundation_apr``: the REX claimed over 30 days of the foundation's 180-day stream, x 365/30, / S;
- ``deduction_apr``: if 10 % of S is redeemed at once at age 0 (20 % deduction, half pooled = 1 % of
  S), what the staker claims of it over the 7-day re-stream, counted as a once-a-year event, / S.
Prints one JSON line per staked fraction, then one with the gas of every path.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from eth_account import Account
from web3 import Web3

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.deploy import current_verifier, deploy, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.rex import RexClient
from zkrevox.chain.rex_deploy import RexParams, deploy_rex

UNIT = 10**18
DAY = 86_400


def _advance(w3: Web3, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [seconds])
    w3.provider.make_request("evm_mine", [])


def _pool_yield(w3: Web3, record, owner, staker, leaver, bps: int, params: RexParams) -> dict:
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        big, me, other = RexClient(w3, record, owner), RexClient(w3, record, staker), RexClient(w3, record, leaver)
        stake = params.supply * bps // 10_000
        big._send(big.rex.functions.transfer(staker.address, stake))
        big._send(big.rex.functions.transfer(leaver.address, stake // 10))
        me.stake(stake)
        me.enroll()
        big.fund_pool(params.foundation_funding)
        _advance(w3, 30 * DAY)
        foundation, _ = me.claim()
        _advance(w3, 151 * DAY)  # past the foundation stream's end
        me.claim()
        other.stake(stake // 10)
        exit_ = other.redeem(stake // 10)
        _advance(w3, 8 * DAY)
        from_deductions, _ = me.claim()
        return {"staked_pct": bps / 100, "staked_rex": stake // UNIT,
                "foundation_apr": round(foundation * 365 / 30 / stake, 4),
                "deduction_apr": round(from_deductions / stake, 4),
                "pooled_of_exit": exit_.pooled, "claimed_of_pooled": from_deductions}
    finally:
        w3.provider.make_request("evm_revert", [snap])


def _gas(w3: Web3, record, dep, owner, provider, user) -> dict:
    def used(receipt) -> int:
        return int(receipt["gasUsed"])

    me, big = RexClient(w3, record, user), RexClient(w3, record, owner)
    big._send(big.rex.functions.transfer(user.address, 1_000_000 * UNIT))
    me.approve(record.srex, 10**30)
    gas = {"stake_first": used(me._send(me.srex.functions.stake(1_000 * UNIT))),
           "stake_same_lot": used(me._send(me.srex.functions.stake(1_000 * UNIT))),
           "fund": used(big.fund_pool(1_000_000 * UNIT))}
    for _ in range(30):  # one lot a week for 30 weeks: the most lots an account can hold (T / week + 2)
        _advance(w3, 7 * DAY)
        me._send(me.srex.functions.stake(UNIT))
    gas["stake_new_lot_folding_matured"] = used(me._send(me.srex.functions.stake(UNIT)))
    gas["enroll"] = used(me.enroll())
    _advance(w3, DAY)
    gas["claim"] = used(me.claim()[1])
    receipt = w3.eth.get_transaction_receipt(me.redeem(10 * UNIT).tx)
    gas["redeem_matured_nothing_pooled"] = used(receipt)
    gas["lots_redeemed_at_once"] = len(me.lots()["lots"])
    receipt = w3.eth.get_transaction_receipt(me.redeem(me.staked()).tx)
    gas["redeem_all_lots"] = used(receipt)
    me.stake(1_000 * UNIT)
    _advance(w3, DAY)
    from zkrevox.chain.client import DPromptClient

    model_id = dep.models["ticker"].model_id
    DPromptClient(w3, dep.dprompt.address, provider).stake(model_id, 10**18)
    direct = DPromptClient(w3, dep.dprompt.address, user)
    gas["request_direct"] = used(direct.request(model_id, "swap 2 bnb for cake")[1])
    rid, _, receipt = me.request_with_points(model_id, "swap 2 bnb for cake")
    gas["request_through_paymaster"] = used(receipt)
    _advance(w3, 3_600)  # past the response window (600 s): nobody answered
    gas["refund_after_miss"] = used(me.refund(rid)[1])
    return gas


def main() -> None:
    params = RexParams()
    owner, provider, user, staker, leaver = (Account.from_key(k) for k in ANVIL_DEV_KEYS)
    with Anvil() as chain, tempfile.TemporaryDirectory() as work:
        w3 = Web3(Web3.HTTPProvider(chain.url))
        ticker = model_params("ticker")
        dep = deploy(w3, owner, ticker, verifier_sol=current_verifier(ticker), directory=Path(work))
        record = deploy_rex(w3, owner, dep.dprompt.address, params=RexParams(foundation_funding=0),
                            directory=Path(work))
        for bps in (500, 2_000, 5_000):
            print(json.dumps(_pool_yield(w3, record, owner, staker, leaver, bps, params)), flush=True)
        print(json.dumps({"gas": _gas(w3, record, dep, owner, provider, user)}), flush=True)


if __name__ == "__main__":
    main()
