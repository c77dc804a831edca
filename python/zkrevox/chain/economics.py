"""The rules that keep optimistic answers honest: disputing a wrong answer pays, and the challenge window
leaves time to dispute all of one provider's answers (verifier-contracts/README.md, "Who disputes, and
why it pays").

**The bond rule.** At the gas price a deployment declares it serves (``declared_gas_price_wei``), an
honest watcher never loses money disputing a wrong answer: its share of the slashed bond, ⌈bond/2⌉,
is worth at least the dispute's gas at that price::

    ⌈bond / 2⌉ × stake_price ≥ dispute_gas × declared_gas_price      ⇔      bond ≥ bond_floor(...)

``dispute_gas`` is measured for the model's own verifier: ``verifyProof`` of a real proof of the
model, estimated on the chain it is published to (:func:`measure_dispute_gas`), plus DPrompt's own
work around it (:data:`DISPUTE_OVERHEAD_GAS`, the ERC-20 stake case, the dearer one). The consumer's
callback is not in it: on a dispute its cost is paid to the disputer from the requester's escrow
for it. ``stake_price``: native wei one whole unit of the stake asset is worth (1 for the native
coin; declared by the publisher for an ERC-20 stake).

**The window rule.** A window must hold at least :data:`MIN_WINDOW_BLOCKS` blocks of the network (a
dispute censored or delayed for a few blocks, a watcher restarted, still lands), and enough time for
one watcher of stated speed to dispute every answer one provider may hold: :func:`min_window`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from zkrevox.errors import DeploymentError

#: DPrompt's work in an overturning dispute beyond the verifier call and its calldata: the checks, the
#: instances rebuilt, the slash, the two bond transfers (ERC-20: two token transfers), events, the
#: intrinsic 21,000 counted once. Measured: ticker dispute 562,819 − verifyProof 395,246 − its calldata
#: ≈ 107k with the native stake; an ERC-20 stake adds ~30k (two transfers) (``tests/chain/test_gas_batch.py``,
#: ``snapshots/gas.json``); rounded up.
DISPUTE_OVERHEAD_GAS = 150_000
#: Least challenge window, in blocks of the network (censorship, a watcher's restart, reorgs).
MIN_WINDOW_BLOCKS = 20
#: The watcher the window rule assumes: this many local prover workers, this many seconds per proof.
WATCHER_WORKERS = 2
#: Seconds a watcher may be away (a restart) and still dispute every answer of a flood.
RESTART_ALLOWANCE_S = 30


@dataclass(frozen=True)
class BondTerms:
    """What the bond rule is checked with. Amounts: bond in the stake asset's smallest unit, prices in wei."""

    bond: int
    dispute_gas: int
    gas_price_wei: int
    stake_price_wei: int = 10**18  # native wei per 10^18 smallest units of the stake asset (1:1 for the coin)

    @property
    def disputer_share(self) -> int:
        """⌈bond/2⌉, in the stake asset."""
        return self.bond - self.bond // 2

    @property
    def disputer_net_wei(self) -> int:
        """The disputer's share, valued in native wei, less the dispute's gas at the declared price."""
        return value_wei(self.disputer_share, self.stake_price_wei) - self.dispute_gas * self.gas_price_wei

    @property
    def floor(self) -> int:
        return bond_floor(self.dispute_gas, self.gas_price_wei, self.stake_price_wei)

    def to_json(self) -> dict[str, Any]:
        return {"answer_bond": self.bond, "dispute_gas": self.dispute_gas, "declared_gas_price_wei": self.gas_price_wei,
                "stake_price_wei": self.stake_price_wei, "disputer_net_wei": self.disputer_net_wei,
                "bond_floor": self.floor, "bond_rule_kept": self.bond >= self.floor}


def value_wei(amount: int, stake_price_wei: int) -> int:
    """``amount`` of the stake asset in native wei (rounded down)."""
    return amount * stake_price_wei // 10**18


def bond_floor(dispute_gas: int, gas_price_wei: int, stake_price_wei: int = 10**18) -> int:
    """The smallest bond whose disputer's share, ⌈bond/2⌉, is worth the dispute's gas at ``gas_price_wei``."""
    if stake_price_wei <= 0:
        raise DeploymentError(f"the stake asset's declared price must be positive, got {stake_price_wei} wei")
    cost = dispute_gas * gas_price_wei
    share = math.ceil(cost * 10**18 / stake_price_wei)  # least share whose value_wei covers the cost
    while value_wei(share, stake_price_wei) < cost:
        share += 1
    return max(2, 2 * share - 1)  # ⌈(2s − 1)/2⌉ = s


def check_bond(terms: BondTerms, *, min_stake: int, unit: str = "wei") -> None:
    """``DeploymentError`` naming the smallest bond that keeps the rule, when ``terms.bond`` breaks it."""
    floor = terms.floor
    if terms.bond >= floor:
        return
    fix = (f"pass --answer-bond of at least {floor} {unit}" + (
        f" (and --min-stake of at least that: it is {min_stake})" if floor > min_stake else ""))
    raise DeploymentError(
        f"answer bond {terms.bond} {unit} breaks the bond rule: the disputer's half ({terms.disputer_share}) is worth "
        f"less than a dispute of this model ({terms.dispute_gas:,} gas, measured on its verifier) at the declared gas "
        f"price {terms.gas_price_wei / 1e9:g} gwei; the smallest bond that keeps it is {floor} {unit}: {fix}, or "
        "declare the gas price you serve with --gas-price; no model was published")


def default_bond(min_stake: int, floor: int) -> int:
    """The bond ``deploy``/``publish`` choose when none is given: 1/20 of the minimum stake, raised to the floor."""
    return max(min_stake // 20, floor)


def measure_dispute_gas(w3: Any, verifier: str, proof: Any, sender: str) -> int:
    """A dispute's gas for the model whose verifier is at ``verifier``: ``verifyProof`` of ``proof`` (a
    ``ChainProof`` of the model) estimated on ``w3``'s chain, plus :data:`DISPUTE_OVERHEAD_GAS`."""
    from web3 import Web3

    selector = Web3.keccak(text="verifyProof(bytes,uint256[])")[:4]
    data = selector + _encode_abi(proof.proof_bytes, proof.instances)
    try:
        gas = int(w3.eth.estimate_gas({"from": sender, "to": verifier, "data": "0x" + data.hex()}))
    except Exception as exc:  # the model's own proof must verify: anything else is a broken build
        raise DeploymentError(f"the verifier at {verifier} refused a proof of this model ({type(exc).__name__}: "
                              f"{exc}); rebuild the artifacts (`zkrevox build NAME`)") from None
    return gas + DISPUTE_OVERHEAD_GAS


def _encode_abi(proof_bytes: bytes, instances: list[int]) -> bytes:
    from eth_abi import encode

    return encode(["bytes", "uint256[]"], [proof_bytes, instances])


def min_window(capacity: int, prove_seconds: float, block_time_s: float, *, workers: int = WATCHER_WORKERS,
               restart_s: float = RESTART_ALLOWANCE_S) -> int:
    """Seconds a challenge window needs so that one watcher (``workers`` provers of ``prove_seconds`` a
    proof) still disputes all ``capacity`` answers of one provider posted at once after being away
    ``restart_s`` seconds: restart + the proofs + :data:`MIN_WINDOW_BLOCKS`'s worth of blocks
    for the last dispute to be mined (or its fee bumped past a censor)."""
    return math.ceil(restart_s + math.ceil(capacity / workers) * prove_seconds + MIN_WINDOW_BLOCKS * block_time_s)


def check_window(window_s: int, block_time_s: float, network: str) -> None:
    """``DeploymentError`` when ``window_s`` holds fewer than :data:`MIN_WINDOW_BLOCKS` blocks of ``network``."""
    floor = math.ceil(MIN_WINDOW_BLOCKS * block_time_s)
    if window_s and window_s < floor:
        raise DeploymentError(
            f"challenge window {window_s} s is {window_s / block_time_s:.1f} blocks of {network} ({block_time_s:g} s "
            f"a block), below the floor of {MIN_WINDOW_BLOCKS} blocks: a dispute must survive a few censored or "
            f"missed blocks; pass --challenge-window {floor} or more; no model was published")
