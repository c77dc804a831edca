"""Front-running a watcher's dispute, step 1: an optimistic request on model 1 answered wrongly by its
provider. Prints the request id. (frontrun.sh runs the rest.)"""
import attacks as a
c = a.model_cfg(1)
p = a.C[a.prov2.address]
st = a.d.functions.providerState(1, a.prov2.address).call()
if st[0] < c[a.MINSTAKE] or not st[5]:
    p.stake(1, c[a.MINSTAKE])
fee = a.d.functions.requiredPayment(1, 0, 0).call()
ofee = c[a.OFEE]
tx = a.d.functions.requestOptimistic(1, b"buy 1 eth", 0).transact({"from": a.user.address, "value": ofee}) \
    if False else None
a.C[a.user.address]._send(a.d.functions.requestOptimistic(1, b"buy 1 eth", 0), value=ofee)
rid = a.d.functions.nextRequestId().call() - 1
a.C[a.prov2.address]._send(a.d.functions.answer(rid, (1 << 42) - 1))  # every label: surely wrong
print(rid)
