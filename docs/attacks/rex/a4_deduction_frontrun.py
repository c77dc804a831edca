"""Front-running a big early exit: a fresh stake entered just before a large redemption earns its
share of the 7-day deduction stream and leaves after 7 days paying d0 x (T - 7 d)/T."""
import sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import DAY, UNIT, Anvil, H  # noqa: E402

S = int(sys.argv[1]) if len(sys.argv) > 1 else 2_500_000
with Anvil(port=29628) as chain:
    h = H(chain)
    h.rex_setup()
    s = h.srex.functions
    h.send(1, s.stake(10_000_000 * UNIT)); h.send(1, s.enroll())       # honest enrolled: 10M
    h.send(3, s.stake(30_000_000 * UNIT))                               # a holder who will exit early
    h.advance(DAY)
    atk = h.acct[2].address
    bal0 = h.rex.functions.balanceOf(atk).call()
    h.send(2, s.stake(S * UNIT)); h.send(2, s.enroll())                 # front-run
    r = h.send(3, s.redeem(30_000_000 * UNIT, 2**256 - 1))
    pooled = h.srex.events.StakedRexRedeemed().process_receipt(r)[0].args.pooled
    h.advance(7 * DAY + 10)
    h.send(2, s.claim())
    r = h.send(2, s.redeem(S * UNIT, 2**256 - 1))
    ded = h.srex.events.StakedRexRedeemed().process_receipt(r)[0].args.deduction
    gain = h.rex.functions.balanceOf(atk).call() - bal0
    print(f"exit pooled {pooled / UNIT:,.0f}; attacker {S:,} for 7 days: deduction {ded / UNIT:,.0f}, net "
          f"{gain / UNIT:+,.0f} REX; honest 10M staker claimable {s.claimable(h.acct[1].address).call() / UNIT:,.0f}; "
          f"books {h.books()[3]}")
