"""Issue 18, item 1b, with a running node: at a 100 gwei base fee the provider loses no money on a
proven request. A request that pays its fulfilment's gas is fulfilled with fees capped at the
break-even price; a fee-only request (0.0009 to the provider, ~500k gas: 0.05 at 100 gwei) is
declined on-chain (the requester refunded less the decline's gas, no slash), never answered at a loss."""

from __future__ import annotations

import threading

import pytest
from nodeenv import STAKE, NodeEnv, config, node_thread, wait_states

pytestmark = [pytest.mark.chain, pytest.mark.slow]

GWEI = 10**9
BASE = 100 * GWEI


def _held_base_fee(env: NodeEnv, stop: threading.Event) -> None:
    """Mines a block every 0.2 s at a 100 gwei base fee (automining off): the chain's price stays there."""
    while not stop.is_set():
        env.rpc_call("anvil_setNextBlockBaseFeePerGas", [hex(BASE)])
        env.rpc_call("evm_mine", [])
        stop.wait(0.2)


def _at_base_fee(env: NodeEnv) -> None:
    """The latest block's base fee and the next one's are 100 gwei (clients price from the latest)."""
    env.rpc_call("anvil_setNextBlockBaseFeePerGas", [hex(BASE)])
    env.rpc_call("evm_mine", [])
    env.rpc_call("anvil_setNextBlockBaseFeePerGas", [hex(BASE)])


def _gas_paid(env: NodeEnv, account: str, since_block: int) -> int:
    """Wei ``account`` paid for the gas of its transactions mined after ``since_block``."""
    paid = 0
    for number in range(since_block + 1, env.w3.eth.block_number + 1):
        for tx in env.w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] == account:
                receipt = env.w3.eth.get_transaction_receipt(tx["hash"])
                paid += receipt["gasUsed"] * receipt["effectiveGasPrice"]
    return paid


def test_node_atAHundredGwei_neverAnswersAtALoss(env: NodeEnv, tmp_path):
    before_base = int(env.w3.eth.get_block("latest")["baseFeePerGas"])
    client = env.client()
    info = client.model(env.model_id)
    covering = info.fee + 2 * BASE * info.fulfil_gas  # pays the fulfil gas at twice the base fee
    stop = threading.Event()
    miner = threading.Thread(target=_held_base_fee, args=(env, stop), daemon=True)
    try:
        with node_thread(config(env, tmp_path / "node.db", metrics_port=0), env.provider):  # it stakes
            start = env.w3.eth.block_number
            _at_base_fee(env)
            env.rpc_call("evm_setAutomine", [False])
            miner.start()  # from here every block is mined at a 100 gwei base fee
            fee_only = env.request("swap 2 bnb for cake")
            paid, _ = env.client(env.user).request(env.model_id, "buy some pepe", value=covering)
            jobs = wait_states(tmp_path / "node.db", [fee_only, paid], {"confirmed", "skipped", "failed"},
                               timeout=180)
    finally:
        stop.set()
        if miner.is_alive():
            miner.join(timeout=10)
        env.rpc_call("anvil_setNextBlockBaseFeePerGas", [hex(before_base)])
    assert jobs[paid]["state"] == "confirmed", jobs[paid]
    assert jobs[fee_only]["state"] == "skipped" and jobs[fee_only]["reason"] == "declined", jobs[fee_only]
    assert client.request_info(fee_only).status == "reclaimed"  # declined: refunded less the decline's gas
    assert client.credits(env.user.address) >= info.fee - 75_000 * (BASE + GWEI)
    assert client.provider(env.model_id, env.provider.address).stake == STAKE  # nothing slashed
    cut = info.fee * info.developer_share_bps // 10_000
    spent = _gas_paid(env, env.provider.address, start)  # the fulfilment and the decline
    earned = client.provider(env.model_id, env.provider.address).earned  # both pays: fee less cut, decline gas
    assert earned - spent > 0 and earned >= covering - cut, (earned, spent)
