"""Attack harness: a fresh anvil (stopped on exit), the REX contracts, send/call helpers."""
from __future__ import annotations

from pathlib import Path

from eth_account import Account
from web3 import Web3

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.deploy import deploy_contract
from zkrevox.chain.keys import ANVIL_DEV_KEYS_ALL
from zkrevox.chain.solc import compile_files, project_contracts

UNIT = 10**18
DAY = 86_400
HERE = Path(__file__).resolve().parent


class H:
    def __init__(self, chain: Anvil):
        self.w3 = Web3(Web3.HTTPProvider(chain.url))
        self.acct = [Account.from_key(k) for k in ANVIL_DEV_KEYS_ALL]
        self.c = project_contracts()

    def deploy(self, compiled, *args, by=0):
        rec = deploy_contract(self.w3, self.acct[by], compiled, *args)
        return self.w3.eth.contract(address=rec.address, abi=compiled.abi)

    def send(self, who, fn, value=0, gas=2_000_000, gas_price=None, ok=True):
        a = self.acct[who] if isinstance(who, int) else who
        tx = fn.build_transaction({"from": a.address, "value": value, "gas": gas,
                                   "nonce": self.w3.eth.get_transaction_count(a.address),
                                   "chainId": self.w3.eth.chain_id,
                                   **({"gasPrice": gas_price} if gas_price else {})})
        r = self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_raw_transaction(a.sign_transaction(tx).raw_transaction))
        if ok:
            assert r["status"] == 1, f"reverted: {fn.fn_name}"
        return r

    def advance(self, s):
        self.w3.provider.make_request("evm_increaseTime", [s])
        self.w3.provider.make_request("evm_mine", [])

    def now(self):
        return self.w3.eth.get_block("latest")["timestamp"]

    def rex_setup(self, d0=2000, T=180 * DAY, ppd=UNIT, cap=30):
        self.rex = self.deploy(self.c["Rex"], 3_000_000_000 * UNIT, self.acct[0].address)
        self.srex = self.deploy(self.c["StakedRex"], self.rex.address, d0, T, ppd, cap)
        for i in range(1, 6):
            self.send(0, self.rex.functions.transfer(self.acct[i].address, 100_000_000 * UNIT))
        for i in range(0, 6):
            self.send(i, self.rex.functions.approve(self.srex.address, 2**256 - 1))

    def books(self):
        held = self.rex.functions.balanceOf(self.srex.address).call()
        sup = self.srex.functions.totalSupply().call()
        res = self.srex.functions.rewardReserve().call()
        return held, sup, res, held - sup - res


def mocks():
    return compile_files([HERE / "Mocks.sol"], base=HERE)
