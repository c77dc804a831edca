"""StakedRex / RewardsPool attacks on a fresh anvil (real contracts, default parameters).

1. Restream delay: 1 wei REX sent to StakedRex + collectSurplus() (anyone, ~1 wei each) restarts the
   7-day deduction stream every hour; what an enrolled staker has after 7 days, with and without.
2. Self-rebate: a dominant enrolled staker redeems a fresh stake; what comes back through the pool.
3. Splitting / lot boundaries: 1-wei and many-small redemptions vs one; a stake at a span's end.
4. Carried-forward grab: nobody enrolled for 30 days of foundation stream; a late 1-wei enroller.
5. Books: REX held == sREX supply + reserve after all of the above; claim twice.
"""
import sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import DAY, UNIT, Anvil, H  # noqa: E402

ZERO = "0x" + "00" * 20


def run_restream(poke: bool):
    with Anvil(port=29624) as chain:
        h = H(chain)
        h.rex_setup()
        s = h.srex.functions
        h.send(1, s.stake(1_000_000 * UNIT)); h.send(1, s.enroll())        # long-term staker
        h.send(2, s.stake(10_000_000 * UNIT))
        h.send(2, s.redeem(10_000_000 * UNIT, 2**256 - 1))                     # 2M deduction, 1M pooled
        for hour in range(7 * 24):
            h.advance(3600)
            if poke:
                h.send(3, h.rex.functions.transfer(h.srex.address, 1))
                h.send(3, s.collectSurplus())
        got = s.claimable(h.acct[1].address).call()
        pooled = h.srex.functions.rewardTotals().call()[1]
        return got, pooled, h.books()


if "--skip1" not in sys.argv:
  a, pooled, _ = run_restream(False)
  b, _, books = run_restream(True)
  print(f"1. pooled {pooled / UNIT:,.0f} REX; staker's claimable after 7 days: untouched {a / UNIT:,.0f}, "
      f"with 168 hourly 1-wei collectSurplus pokes {b / UNIT:,.0f} ({100 * b / a:.1f} %); books diff {books[3]}")

with Anvil(port=29625) as chain:
    h = H(chain)
    h.rex_setup()
    s = h.srex.functions
    w = h.acct[1].address
    # 2. self-rebate: whale W holds 9M (enrolled), small honest holder E 1M (enrolled)
    h.send(1, s.stake(9_000_000 * UNIT)); h.send(1, s.enroll())
    h.send(2, s.stake(1_000_000 * UNIT)); h.send(2, s.enroll())
    bal0 = h.rex.functions.balanceOf(w).call()
    r = h.send(1, s.redeem(1_000_000 * UNIT, 2**256 - 1))
    ev = h.srex.events.StakedRexRedeemed().process_receipt(r)[0].args
    h.advance(8 * DAY)
    h.send(1, s.claim())
    net = 1_000_000 * UNIT - (h.rex.functions.balanceOf(w).call() - bal0)
    print(f"2. whale (90 % of enrolled) stakes and redeems 1M fresh: deduction {ev.deduction / UNIT:,.0f} "
          f"(burned {ev.burned / UNIT:,.0f}, pooled {ev.pooled / UNIT:,.0f}); net cost after claiming 8 days later "
          f"{net / UNIT:,.0f} REX ({net / 10**22:.1f} % instead of 20 %)")
    h.advance(200 * DAY)
    # 3. splitting
    c = h.acct[3].address
    h.send(3, s.stake(1000 * UNIT))
    h.advance(DAY)
    one = s.deductionOf(c, 1000 * UNIT).call()
    tot = 0
    for _ in range(20):
        r = h.send(3, s.redeem(1, 2**256 - 1))
        tot += h.srex.events.StakedRexRedeemed().process_receipt(r)[0].args.deduction
    print(f"3. 20 redemptions of 1 wei: deduction {tot} wei (100 %); "
          f"deductionOf 1000 REX at age 1 day = {one / UNIT:.4f} REX = {one / 10**19:.4f} %")
    parts = 0
    for _ in range(10):
        r = h.send(3, s.redeem(99 * UNIT, 2**256 - 1))
        parts += h.srex.events.StakedRexRedeemed().process_receipt(r)[0].args.deduction
    print(f"   10 x 99 REX in one block-time row: {parts / UNIT:.6f} vs one 990 REX quote {s.deductionOf(c, 0).call()}"
          f" (quote for 990 before: {one * 990 / 1000 / UNIT:.6f})")
    # lot boundary: stake at the last second of a span, then at the first of the next
    now = h.now()
    edge = (now // (7 * DAY) + 1) * 7 * DAY - 1
    h.w3.provider.make_request("evm_setNextBlockTimestamp", [edge]); h.send(4, s.stake(100 * UNIT))
    h.w3.provider.make_request("evm_setNextBlockTimestamp", [edge + 1]); h.send(4, s.stake(100 * UNIT))
    print(f"   lots across a span edge: {s.lotsOf(h.acct[4].address).call()}")
    # 4. claim twice
    h.send(2, s.claim())
    r = h.send(2, s.claim(), ok=False)
    print(f"5. second claim in the same block-row: status={r['status']}; books {h.books()}")

with Anvil(port=29626) as chain:
    h = H(chain)
    h.rex_setup()
    s = h.srex.functions
    h.send(1, s.stake(5_000_000 * UNIT))                 # a big staker who never enrolls
    h.send(0, h.rex.functions.approve(h.srex.address, 2**256 - 1))
    h.send(0, s.fund(30_000_000 * UNIT))
    h.advance(30 * DAY)
    h.send(3, s.stake(1)); h.send(3, s.enroll())          # 1 wei, first to enroll
    h.advance(3600)
    h.send(2, s.stake(1_000_000 * UNIT)); h.send(2, s.enroll())  # an honest staker enrolls an hour later
    h.advance(7 * DAY)
    a3 = s.claimable(h.acct[3].address).call(); a2 = s.claimable(h.acct[2].address).call()
    print(f"4. 30 days unenrolled (carried {30 * 30_000_000 / 180:,.0f} REX): 1-wei first enroller got "
          f"{a3 / UNIT:,.2f} REX in its hour alone, the 1M staker {a2 / UNIT:,.0f}; books {h.books()}")
    h.send(3, s.claim())
    r = h.send(3, s.redeem(1, 2**256 - 1))
    print(f"   the 1-wei enroller redeems its 1 wei (deduction "
          f"{h.srex.events.StakedRexRedeemed().process_receipt(r)[0].args.deduction} wei) and keeps "
          f"{h.rex.functions.balanceOf(h.acct[3].address).call() / UNIT - 100_000_000:,.2f} REX; books {h.books()}")
