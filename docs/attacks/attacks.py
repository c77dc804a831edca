"""Outsider attacks on DPrompt (issues 18/19 follow-up), against a local anvil at $RPC with a
`zkrevox deploy ticker` deployment recorded in $ZKREVOX_DEPLOYMENTS. Each attack prints what it saw.
Run: . env.sh && .venv/bin/python docs/attacks/attacks.py [names...]"""
import json, os, sys
from eth_account import Account
from web3 import Web3
from zkrevox.chain.client import DPromptClient
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.revert import RevertedError
from zkrevox.chain.solc import project_contracts
from zkrevox.chain.deploy import deploy_contract, deploy_dprompt

w3 = Web3(Web3.HTTPProvider(os.environ["RPC"]))
owner, prov, prov2, user, other = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:5])
rec = json.load(open(os.environ.get("REC") or os.path.join(os.environ["ZKREVOX_DEPLOYMENTS"], "31337.json")))
ADDR = rec["dprompt"]["address"] if isinstance(rec["dprompt"], dict) else rec["dprompt"]
C = {a.address: DPromptClient(w3, ADDR, a) for a in (owner, prov, prov2, user, other)}
d = C[owner.address].contract
GWEI = 10**9


def advance(s):
    w3.provider.make_request("evm_increaseTime", [s]); w3.provider.make_request("evm_mine", [])


def base_fee(wei):
    w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(wei)])


def model_cfg(mid=1):
    cfg, pub, retired = d.functions.model(mid).call()
    return list(cfg)


def table_bytes(cfg):
    spec = cfg[10]
    code = w3.eth.get_code(spec[6])
    return bytes(code[1:])


def publish(cfg, who=other):
    spec = list(cfg[10]); tbl = table_bytes(cfg); spec[6] = "0x" + "00" * 20
    cfg = list(cfg); cfg[10] = tuple(spec)
    try:
        mid, _ = DPromptClient(w3, ADDR, who).publish_model(tuple(cfg), tbl)
        return mid
    except RevertedError as e:
        return f"REFUSED {e}"


def tryit(label, fn):
    try:
        r = fn()
        print(f"  {label}: ok", getattr(r, "gasUsed", "") if r is not None else "")
        return r
    except RevertedError as e:
        print(f"  {label}: reverted {e.error_name} {getattr(e, 'args', '')}")
    except Exception as e:  # noqa: BLE001
        print(f"  {label}: error {type(e).__name__}: {str(e)[:200]}")


# field indexes of ModelConfig
FEE, MINSTAKE, RESP, SLASH, DEVBPS, CW, OFEE, BOND, FGAS = 3, 4, 5, 6, 7, 11, 12, 13, 15


def windows():
    print("== item 0 / #19: upper bounds of windows (direct publishModel, no CLI)")
    base = model_cfg()
    for idx, v, name in ((RESP, 7 * 86400 + 1, "responseWindow 7d+1"), (RESP, 4294967295, "responseWindow 2^32-1"),
                         (CW, 30 * 86400 + 1, "challengeWindow 30d+1"), (CW, 59, "challengeWindow 59")):
        c = list(base); c[idx] = v
        print(f"  {name}: {publish(c)}")


def bond_floor():
    print("== #19 bond floor: a publisher declaring a 2-wei bond directly on the contract")
    c = model_cfg(); c[BOND] = 2
    print("  bond=2 wei, window 60 s:", (mid := publish(c)))
    return mid


def fulfilgas_lie():
    print("== 1b: a publisher states fulfilGas 50,000 (a ticker fulfil is ~510k); the provider cannot decline")
    c = model_cfg(); c[FGAS] = 50_000
    mid = publish(c); print("  published model", mid, "fulfilGas", c[FGAS], "fee", c[FEE])
    p = C[prov.address]
    p.stake(mid, c[MINSTAKE])
    base_fee(10 * GWEI); w3.provider.make_request("evm_mine", [])
    rcpt = C[user.address].request(mid, "buy 1 eth and sell 2 btc")
    rid = d.functions.nextRequestId().call() - 1
    base_fee(10 * GWEI)
    print("  request", rid, "base fee", w3.eth.get_block("latest").baseFeePerGas / GWEI, "gwei")
    tryit("provider declines at 10 gwei", lambda: p.decline(rid))
    print(f"  provider's pay {(c[FEE] - c[FEE]*c[DEVBPS]//10000)/1e18} ETH vs a real fulfil ~510k gas*10 gwei = {510_000*10*GWEI/1e18} ETH")
    # the same request on the honest model (fulfilGas as deployed)
    c1 = model_cfg(1); print("  model 1 fulfilGas as deployed by the CLI:", c1[FGAS])
    return mid, rid


def settle():
    print("== item 2: anyone settles a missed request; double/early settlement")
    c = model_cfg(1)
    p = C[prov2.address]
    st = d.functions.providerState(1, prov2.address).call()
    if st[0] < c[MINSTAKE]:
        p.stake(1, c[MINSTAKE])
    # only prov2 in pool? count members
    print("  providers of model 1:", d.functions.providers(1).call())
    C[user.address].request(1, "sell 3 sol")
    rid = d.functions.nextRequestId().call() - 1
    r = d.functions.requestState(rid).call(); print("  request", rid, "provider", r[3], "deadline", r[4])
    tryit("third party settles before deadline", lambda: C[other.address].reclaim(rid))
    now = w3.eth.get_block("latest").timestamp
    advance(r[4] - now)  # to exactly the deadline
    tryit("third party settles at timestamp == deadline (+mine)", lambda: C[other.address].reclaim(rid))
    advance(1)
    before = d.functions.credits(user.address).call()
    tryit("third party settles after deadline", lambda: C[other.address].reclaim(rid))
    print("  requester credit +", (d.functions.credits(user.address).call() - before) / 1e18)
    tryit("second settlement", lambda: C[other.address].reclaim(rid))


def settle_states():
    print("== item 2: settling a request that is answered (window open), overturned, or finalized")
    c = model_cfg(2)
    P = C[prov.address]
    C[user.address]._send(d.functions.requestOptimistic(2, b"buy 1 eth", 0), value=c[OFEE])
    rid = d.functions.nextRequestId().call() - 1
    P._send(d.functions.answer(rid, 1))
    tryit(f"settle answered request {rid} (window open)", lambda: C[other.address].reclaim(rid))
    advance(c[RESP] + 1)  # past the response deadline; the 60 s window is over too
    tryit(f"settle answered request {rid} past its deadline", lambda: C[other.address].reclaim(rid))
    tryit(f"finalize {rid}", lambda: C[other.address]._send(d.functions.finalize([rid])))
    tryit(f"settle finalized {rid}", lambda: C[other.address].reclaim(rid))
    tryit("settle overturned request 3", lambda: C[other.address].reclaim(3))
    tryit(f"dispute-free second finalize {rid}", lambda: C[other.address]._send(d.functions.finalize([rid])))


if __name__ == "__main__":
    for name in sys.argv[1:] or ["windows", "bond_floor", "fulfilgas_lie", "settle"]:
        globals()[name]()
