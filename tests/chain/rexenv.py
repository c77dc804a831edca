"""Shared state of the REX tests: the REX contracts deployed beside the session's DPrompt, and
helpers to read them and to put several transactions in one block."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chainenv import Env
from eth_account.signers.local import LocalAccount

from zkrevox.chain.rex import RexClient
from zkrevox.chain.rex_deploy import RexParams, RexRecord

UNIT = 10**18
DAY = 86_400
PARAMS = RexParams(budget_wei=10**17, foundation_funding=0)  # each test funds the pool itself
GRANT = PARAMS.dev_grant


@dataclass
class RexEnv:
    env: Env
    record: RexRecord
    params: RexParams

    def client(self, account: LocalAccount | None) -> RexClient:
        return RexClient(self.env.w3, self.record, account)

    @property
    def w3(self) -> Any:
        return self.env.w3

    def advance(self, seconds: int) -> None:
        self.env.advance(seconds)

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def held(self) -> int:
        """REX held by the StakedRex contract."""
        return self.client(None).rex_balance(self.record.srex)

    def one_block(self, calls: list[tuple[LocalAccount, Any]], gas: int = 600_000) -> list[Any]:
        """Mines ``(account, contract function)`` calls in one block, in order; returns their receipts."""
        w3 = self.w3
        w3.provider.make_request("evm_setAutomine", [False])
        hashes = []
        nonces: dict[str, int] = {}
        try:
            base = w3.eth.get_block("latest")["baseFeePerGas"]
            for account, fn in calls:
                nonce = nonces.get(account.address, w3.eth.get_transaction_count(account.address, "pending"))
                nonces[account.address] = nonce + 1
                tx = fn.build_transaction({"from": account.address, "nonce": nonce, "gas": gas,
                                           "chainId": int(w3.eth.chain_id), "maxFeePerGas": 4 * base + 10**9,
                                           "maxPriorityFeePerGas": 10**9})
                hashes.append(w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction))
            w3.provider.make_request("evm_mine", [])
        finally:
            w3.provider.make_request("evm_setAutomine", [True])
        receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=60) for h in hashes]
        assert len({r["blockNumber"] for r in receipts}) == 1
        return receipts


def redeemed(client: Any, receipt: Any) -> list[Any]:
    """The ``StakedRexRedeemed`` events of ``receipt`` (other contracts' logs in it skipped)."""
    from web3.logs import DISCARD

    return list(client.srex.events.StakedRexRedeemed().process_receipt(receipt, errors=DISCARD))
