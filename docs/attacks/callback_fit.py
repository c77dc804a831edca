"""Item 1 follow-up: the request-time callback refusal trusts the publisher's fulfilGas. With the block
gas limit at 2,500,000 (a small-block chain), model 1 (fulfilGas 1,000,000 as `zkrevox deploy` states)
refuses a 2,000,000-gas callback, but model 3 (same verifier, fulfilGas stated 50,000) accepts it,
although a real fulfilment (~510-545k + 2,000,000 + overhead) cannot fit in the block: the provider
can neither fulfil nor decline it. Run: . env.sh && REC=... python callback_fit.py"""
import attacks as a

w3, d = a.w3, a.d
w3.provider.make_request("evm_setBlockGasLimit", [hex(2_500_000)]); w3.provider.make_request("evm_mine", [])
print("block gas limit", w3.eth.get_block("latest").gasLimit)
for mid in (1, 3):
    print(f"model {mid}: fulfilGas {a.model_cfg(mid)[a.FGAS]}, maxCallbackGasLimit {d.functions.maxCallbackGasLimit(mid).call()}")
gp = w3.eth.gas_price
for mid in (1, 3):
    pay = d.functions.requiredPayment(mid, 2_000_000, gp).call() * 2
    a.tryit(f"requestWithCallback(model {mid}, 2,000,000 gas)",
            lambda: a.C[a.user.address]._send(d.functions.requestWithCallback(mid, b"buy 1 eth", 2_000_000), value=pay))
rid = d.functions.nextRequestId().call() - 1
r = d.functions.requestState(rid).call()
print("request", rid, "model", r[1], "provider", r[3])
prov = {a.prov.address: a.C[a.prov.address]}.get(r[3])
if prov:
    a.tryit(f"its provider declines {rid}", lambda: prov.decline(rid))
w3.provider.make_request("evm_setBlockGasLimit", [hex(30_000_000)]); w3.provider.make_request("evm_mine", [])

