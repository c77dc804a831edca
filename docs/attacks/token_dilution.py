"""1c follow-up: after a stake token shrinks in DPrompt's hands, a provider who stakes *later* pays
for the earlier shortfall: withdrawTokens pays every withdrawal balance/held, and a new stake joins
both. Run: . env.sh && .venv/bin/python docs/attacks/token_dilution.py"""
from web3.logs import DISCARD
import attacks as a
from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import deploy_contract, deploy_dprompt

w3, owner, first, late = a.w3, a.owner, a.prov, a.prov2
compiled = a.project_contracts()
token = deploy_contract(w3, owner, compiled["ShrinkingToken"]).address
record, _ = deploy_dprompt(w3, owner, owner.address, 60, token)
erc20 = w3.eth.contract(address=token, abi=compiled["ShrinkingToken"].abi)
cfg = a.model_cfg(1)
spec = list(cfg[10]); tbl = a.table_bytes(cfg); spec[6] = "0x" + "00" * 20; cfg[10] = tuple(spec)
mid, _ = DPromptClient(w3, record.address, owner).publish_model(tuple(cfg), tbl)
S = cfg[a.MINSTAKE]
for acct in (first, late):
    erc20.functions.mint(acct.address, S).transact({"from": owner.address})
c1, c2 = (DPromptClient(w3, record.address, x) for x in (first, late))
c1.stake(mid, S)
erc20.functions.shrink(record.address, S // 2).transact({"from": owner.address})  # half of it vanishes
print("after the shrink: (owed, balance) =", c1.token_books())
c2.stake(mid, S)  # a new provider joins afterwards, with the full amount
print("after the late stake: (owed, balance) =", c1.token_books())
for c in (c1, c2):
    c.unbond(mid)
a.advance(61)
for name, c, acct in (("early provider", c1, first), ("late provider", c2, late)):
    c.withdraw_stake(mid)
    before = erc20.functions.balanceOf(acct.address).call()
    c.withdraw_tokens()
    got = erc20.functions.balanceOf(acct.address).call() - before
    print(f"{name}: staked {S/1e18}, withdrew {got/1e18} ({got*100//S}%)")
