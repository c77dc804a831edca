"""Item 2 follow-up: the README's consumer (examples/TickerConsumer.sol, and MyAgent) has no way to
withdraw. Once anyone settles its missed request, the refund is a DPrompt credit of the consumer that
no one can ever pull: the asker's payment is stranded for good.
Run: . env.sh && .venv/bin/python docs/attacks/stranded_consumer.py"""
import attacks as a
from zkrevox.chain.deploy import deploy_contract

w3, d = a.w3, a.d
compiled = a.project_contracts()
c = a.model_cfg(1)
st = d.functions.providerState(1, a.prov2.address).call()
if st[0] < c[a.MINSTAKE] or not st[5]:
    a.C[a.prov2.address].stake(1, c[a.MINSTAKE])
consumer = deploy_contract(w3, a.owner, compiled["TickerConsumer"], d.address, 1)
tc = w3.eth.contract(address=consumer.address, abi=compiled["TickerConsumer"].abi)
pay = d.functions.requiredPayment(1, 50_000, w3.eth.gas_price).call() * 2
tc.functions.ask(b"buy 1 eth").transact({"from": a.user.address, "value": pay, "gasPrice": w3.eth.gas_price})
rid = d.functions.nextRequestId().call() - 1
r = d.functions.requestState(rid).call()
print("asker paid", pay / 1e18, "ETH; request", rid, "assigned to", r[3], "deadline", r[4])
a.advance(r[4] - w3.eth.get_block("latest").timestamp + 1)  # the provider misses it
a.tryit("anyone settles it", lambda: a.C[a.other.address].reclaim(rid))
print("consumer's DPrompt credit:", d.functions.credits(consumer.address).call() / 1e18, "ETH")
fns = sorted(x["name"] for x in compiled["TickerConsumer"].abi if x.get("type") == "function")
print("consumer's functions:", fns, "— none calls dprompt.withdraw(), and it has no receive(): stranded")
