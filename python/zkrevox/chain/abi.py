"""The contracts' ABIs as JSON for JavaScript/TypeScript users: ``verifier-contracts/abi/<Name>.json``.

Each file is a plain JSON array of ABI items, as ethers (``new Contract(address, abi)``) and viem
(``getContract({ abi })``) take it. They are generated from the pinned solc-js compile, never
edited: ``python -m zkrevox.chain.abi`` (or ``zkrevox chain abi``) writes them, ``--check`` only
compares, and ``tests/chain/test_abi.py`` fails when the committed files differ from a fresh compile.

Decoding every revert: a call to DPrompt can revert with an error declared elsewhere, because
DPrompt runs its registration and staking code in linked external libraries (DELEGATECALL, so the
revert data comes back from DPrompt's address) and moves an ERC-20 stake with SafeERC20. So
``DPrompt.json`` is DPrompt's own ABI plus every error of ``ModelRegistry``, ``ProviderStaking``,
``OptimisticAnswers`` and ``Featurizer`` and OpenZeppelin's ``IERC20Errors`` (a standard token's
own reverts, bubbled up by ``stake``) that it does not already hold. The libraries emit only
``IDPrompt`` events, which are in DPrompt's ABI already (checked here). A consumer contract's
``_ask`` forwards DPrompt's reverts, so ``DPromptConsumerBase.json`` and ``TickerConsumer.json``
carry DPrompt's errors too, and ``CommandAgent.json`` also OpenZeppelin's
``ReentrancyGuardTransient`` error (its `ask` and `reclaim` are `nonReentrant`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from zkrevox.chain.paths import contracts_dir
from zkrevox.chain.solc import CompiledContract, project_contracts
from zkrevox.errors import ChainError

# file name -> (contract, contracts whose errors it also carries)
# linked libraries: their events come from DPrompt
DELEGATECALLED = ("ModelRegistry", "ProviderStaking", "OptimisticAnswers")
REVERTS_THROUGH_DPROMPT = (*DELEGATECALLED, "Featurizer", "IERC20Errors")
ABI_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "DPrompt": ("DPrompt", REVERTS_THROUGH_DPROMPT),
    "IDPromptConsumer": ("IDPromptConsumer", ()),
    "DPromptConsumerBase": ("DPromptConsumerBase", ("DPrompt", *REVERTS_THROUGH_DPROMPT)),
    "TickerConsumer": ("TickerConsumer", ("DPrompt", *REVERTS_THROUGH_DPROMPT)),
    "CommandAgent": ("CommandAgent", ("DPrompt", *REVERTS_THROUGH_DPROMPT, "ReentrancyGuardTransient")),
    "LocalStakeToken": ("LocalStakeToken", ()),
    "Rex": ("Rex", ()),
    "StakedRex": ("StakedRex", ("SafeERC20", "IERC20Errors")),
    # request/refund bubble up DPrompt's and StakedRex's reverts
    "PointsPaymaster": ("PointsPaymaster", ("DPrompt", *REVERTS_THROUGH_DPROMPT, "IStakedRex")),
}
REGENERATE = "python -m zkrevox.chain.abi (or `zkrevox chain abi`; `make abi`)"


def abi_dir() -> Path:
    return contracts_dir() / "abi"


def signature(item: dict[str, Any]) -> str:
    def typ(p: dict[str, Any]) -> str:
        if p["type"].startswith("tuple"):
            return "(" + ",".join(typ(c) for c in p.get("components", [])) + ")" + p["type"][5:]
        return p["type"]

    return f"{item['type']} {item.get('name', '')}({','.join(typ(p) for p in item.get('inputs', []))})"


def merged_abi(contracts: dict[str, CompiledContract], name: str, extra: tuple[str, ...]) -> list[dict[str, Any]]:
    """``name``'s ABI followed by the errors of ``extra`` it lacks, sorted by signature."""
    abi = list(contracts[name].abi)
    have = {signature(item) for item in abi}
    added: dict[str, dict[str, Any]] = {}
    for other in extra:
        for item in contracts[other].abi:
            sig = signature(item)
            if item["type"] == "event" and name == "DPrompt" and other in DELEGATECALLED and sig not in have:
                raise ChainError(f"{other} emits {sig}, which {name}'s ABI lacks: logs from {name}'s address "
                                 f"could not be decoded; declare the event in IDPrompt")
            if item["type"] == "error" and sig not in have:
                added.setdefault(sig, item)
    return abi + [added[sig] for sig in sorted(added)]


def generate() -> dict[str, list[dict[str, Any]]]:
    """Every ABI file's content, from a fresh compile (solc-js, cached)."""
    contracts = project_contracts()
    return {file: merged_abi(contracts, name, extra) for file, (name, extra) in ABI_FILES.items()}


def render(abi: list[dict[str, Any]]) -> str:
    return json.dumps(abi, indent=2) + "\n"


def write(directory: Path | None = None) -> list[Path]:
    directory = directory or abi_dir()
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for file, abi in generate().items():
        path = directory / f"{file}.json"
        text = render(abi)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
        paths.append(path)
    return paths


def stale(directory: Path | None = None) -> list[str]:
    """The ABI files that are missing or differ from a fresh compile (names, empty when all match)."""
    directory = directory or abi_dir()
    out = []
    for file, abi in generate().items():
        path = directory / f"{file}.json"
        if not path.is_file() or path.read_text() != render(abi):
            out.append(f"{file}.json")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zkrevox.chain.abi", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if a file differs")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale()
        if bad:
            print(f"out of date in {abi_dir()}: {', '.join(bad)}; run {REGENERATE}", file=sys.stderr)
            return 1
        print(f"{abi_dir()}: up to date")
        return 0
    for path in write():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
