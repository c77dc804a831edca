"""Issue 18, 1b: what a provider nets per proven ticker request at base fees of 1, 10 and 100 gwei.

On a fresh anvil with the committed ticker model (real proofs, ``zkrevox build ticker``), for each base
fee (``anvil_setNextBlockBaseFeePerGas``): a fee-only request and a request paying its fulfilment's gas
(``fulfilGas``) at twice the base fee. The provider does what its node does (``zkrevox.node.economics``):
it fulfils with every fee capped at the break-even price when the pay covers the gas, and declines
otherwise (the contract checks the loss itself). Prints one JSON line per case: wei paid, gas used,
gas cost, and the provider's net (pay less gas for a fulfilment; minus the decline's gas for a decline).

    ZKREVOX_ARTIFACTS=... python benchmarks/provider_net_by_gas_price.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from eth_account import Account

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import current_verifier, deploy, model_params
from zkrevox.chain.gasbench import eval_prompts
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.chain.proofs import ChainProof
from zkrevox.chain.quote import fulfilment_gas
from zkrevox.node.economics import at_a_loss, break_even, capped, tx_fields
from zkrevox.prover import Prover

GWEI = 10**9


def main() -> None:
    prover = Prover.load("ticker")
    params = model_params("ticker", min_stake_wei=10**17)
    prompt = eval_prompts("ticker", 1)[0]
    proof = ChainProof.from_proof(prover.prove(prompt))
    outputs = proof.outputs(params.num_outputs)
    owner, provider_acct, user_acct = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:3])
    with tempfile.TemporaryDirectory() as tmp, Anvil() as chain:
        w3 = connect(chain.url)
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), directory=Path(tmp), write=False)
        model_id = dep.models["ticker"].model_id
        provider = DPromptClient(w3, dep.dprompt.address, provider_acct)
        user = DPromptClient(w3, dep.dprompt.address, user_acct)
        provider.stake(model_id, 10**17)
        provider.set_capacity(model_id, 100)
        units = fulfilment_gas(params.fulfil_gas, 0)
        cut = params.fee_wei * params.developer_share_bps // 10_000

        def next_base(wei: int) -> None:
            w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(wei)])
            w3.provider.make_request("evm_mine", [])
            w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(wei)])

        for gwei in (1, 10, 100):
            base = gwei * GWEI
            for case, payment in (("fee only", params.fee_wei), ("gas at 2x base", params.fee_wei + 2 * base * units)):
                next_base(base)
                rid, _ = user.request(model_id, prompt, value=payment)
                pays = payment - cut
                fn = provider.contract.functions.fulfil(rid, proof.proof_bytes, outputs)
                gas = fn.estimate_gas({"from": provider_acct.address})
                cap = break_even(pays, gas)
                next_base(base)
                market = {"maxFeePerGas": 2 * base + GWEI, "maxPriorityFeePerGas": GWEI}
                if at_a_loss(base, cap):
                    # the decline's gas comes back from the payment (75,000 at its price, at most base + 1 gwei)
                    fn, action = provider.contract.functions.decline(rid), "declined"
                    income = min(75_000 * (base + GWEI), pays)
                    fees = market
                else:
                    action, income = "fulfilled", pays
                    fees = tx_fields(capped(market, cap))
                tx = fn.transact({"from": provider_acct.address, "gas": gas + 100_000, **fees})
                receipt = w3.eth.wait_for_transaction_receipt(tx)
                cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
                print(json.dumps({"base_fee_gwei": gwei, "request": case, "payment_wei": payment, "action": action,
                                  "status": receipt["status"], "gas_used": receipt["gasUsed"],
                                  "effective_gwei": receipt["effectiveGasPrice"] / GWEI, "gas_cost_wei": cost,
                                  "provider_net_eth": (income - cost) / 1e18,
                                  "requester_refunded_wei": payment - income if action == "declined" else 0}))


if __name__ == "__main__":
    main()
