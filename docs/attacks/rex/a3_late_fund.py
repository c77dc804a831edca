"""fund() spreads a funding over what is left of the foundation's 180 days: a funding late in the
period (a foundation top-up, or anyone's fund()) is emitted in minutes, and a fresh stake entered
just before it (a front-run) takes most of it, even after paying the full 20 % deduction."""
import sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import DAY, UNIT, Anvil, H  # noqa: E402

LEFT = int(sys.argv[1]) if len(sys.argv) > 1 else 600
S = int(sys.argv[2]) if len(sys.argv) > 2 else 12_000_000  # best S = sqrt(5 F E) - E
with Anvil(port=29627) as chain:
    h = H(chain)
    h.rex_setup()
    s = h.srex.functions
    h.send(1, s.stake(10_000_000 * UNIT)); h.send(1, s.enroll())   # honest long-term stakers
    end = s.streams().call()[1]
    h.w3.provider.make_request("evm_setNextBlockTimestamp", [end - LEFT - 2])
    atk = h.acct[2].address
    bal0 = h.rex.functions.balanceOf(atk).call()
    h.send(2, s.stake(S * UNIT)); h.send(2, s.enroll())    # front-run of the funding
    h.send(0, s.fund(10_000_000 * UNIT))                            # foundation's late top-up, LEFT s before the end
    h.advance(LEFT + 5)
    h.send(2, s.claim())
    r = h.send(2, s.redeem(S * UNIT, 2**256 - 1))
    ev = h.srex.events.StakedRexRedeemed().process_receipt(r)[0].args
    gain = h.rex.functions.balanceOf(atk).call() - bal0
    print(f"funding of 10,000,000 REX with {LEFT} s of the period left: attacker staked {S:,} for "
          f"{LEFT + 7} s, paid deduction {ev.deduction / UNIT:,.0f}, net {gain / UNIT:+,.0f} REX; "
          f"honest 10M staker's claimable {s.claimable(h.acct[1].address).call() / UNIT:,.0f}; books {h.books()}")
