"""Network presets, RPC connection and the fee policy.

The RPC URL comes, first match wins, from ``--rpc``, ``$ZKREVOX_RPC_URL``, the preset's
own variable (e.g. ``$ZKREVOX_RPC_BSC_TESTNET``), then the preset's public default.
Fees: EIP-1559 (type 2) when the latest block has a base fee, legacy ``gasPrice`` otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.exceptions import Web3Exception

from zkrevox.errors import ChainError, InputError

RPC_TIMEOUT_S = 20


@dataclass(frozen=True)
class Network:
    name: str
    chain_id: int
    rpc_env: str
    default_rpc: str
    native: str  # symbol of the native coin
    # Optimistic mode (zkrevox.chain.economics): seconds between blocks (the window floor is
    # MIN_WINDOW_BLOCKS of them), the default challenge window, and the gas price the deployment
    # declares it serves (the bond rule is checked at it; `--gas-price` overrides).
    block_time_s: float = 1.0
    challenge_window_s: int = 3600
    gas_price_gwei: float = 10.0

    def rpc_url(self, environ: Mapping[str, str] | None = None) -> str:
        env: Mapping[str, str] = os.environ if environ is None else environ
        return env.get("ZKREVOX_RPC_URL") or env.get(self.rpc_env) or self.default_rpc


PRESETS: dict[str, Network] = {
    n.name: n
    for n in (
        # anvil: a block per transaction, base fee from 1 gwei down; a 60 s window for demos and tests
        Network("local", 31337, "ZKREVOX_RPC_LOCAL", "http://127.0.0.1:8545", "ETH",
                block_time_s=1.0, challenge_window_s=60, gas_price_gwei=2.0),
        Network("bsc-testnet", 97, "ZKREVOX_RPC_BSC_TESTNET",
                "https://data-seed-prebsc-1-s1.bnbchain.org:8545", "tBNB",
                block_time_s=3.0, challenge_window_s=3600, gas_price_gwei=10.0),
        Network("opbnb-testnet", 5611, "ZKREVOX_RPC_OPBNB_TESTNET",
                "https://opbnb-testnet-rpc.bnbchain.org", "tBNB",
                block_time_s=1.0, challenge_window_s=3600, gas_price_gwei=1.0),
        Network("sepolia", 11155111, "ZKREVOX_RPC_SEPOLIA",
                "https://ethereum-sepolia-rpc.publicnode.com", "SepoliaETH",
                block_time_s=12.0, challenge_window_s=7200, gas_price_gwei=20.0),
    )
}
BY_CHAIN_ID: dict[int, Network] = {n.chain_id: n for n in PRESETS.values()}


def preset(name: str) -> Network:
    try:
        return PRESETS[name]
    except KeyError:
        raise InputError(f"unknown network {name!r}; choose one of {', '.join(PRESETS)}") from None


def resolve_rpc(network: str | None = None, rpc: str | None = None) -> str:
    """The RPC URL to use for ``--network``/``--rpc`` (see the module notes for the order)."""
    return resolve_rpc_source(network, rpc)[0]


def resolve_rpc_source(
    network: str | None = None, rpc: str | None = None, environ: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """``(url, where it came from)``: ``--rpc``, ``$ZKREVOX_RPC_URL``, the preset's variable or its default."""
    net = preset(network or "local")
    env: Mapping[str, str] = os.environ if environ is None else environ
    if rpc:
        return rpc, "--rpc"
    if env.get("ZKREVOX_RPC_URL"):
        return env["ZKREVOX_RPC_URL"], "$ZKREVOX_RPC_URL"
    if env.get(net.rpc_env):
        return env[net.rpc_env], f"${net.rpc_env}"
    return net.default_rpc, f"the {net.name} preset's default"


# Chain ids of development chains (anvil/hardhat 31337, ganache/geth --dev 1337): nothing on them is worth
# money, so ``--network local`` (the default) accepts them and nothing else.
LOCAL_CHAIN_IDS = frozenset({31337, 1337})


def is_local_chain(chain_id: int) -> bool:
    return chain_id in LOCAL_CHAIN_IDS


def check_network(network: str, chain_id: int, rpc_url: str, source: str) -> None:
    """Refuse an RPC whose chain is not the network the command names (``--network``, default local).

    The dangerous case is the default: a user who believes they are on a local chain while the URL
    points at a network with real value; the other is a named network served by a local URL."""
    net = preset(network)
    if net.name == "local":
        if is_local_chain(chain_id):
            return
        known = BY_CHAIN_ID.get(chain_id)
        fix = (f"If you mean to transact on {known.name}, say so with `--network {known.name}`"
               if known else f"No preset names chain {chain_id} (presets: {', '.join(PRESETS)})")
        local_ids = " or ".join(map(str, sorted(LOCAL_CHAIN_IDS, reverse=True)))
        raise ChainError(
            f"RPC {rpc_url} (from {source}) serves chain id {chain_id} ({network_name(chain_id)}), but --network "
            f"local (the default) means a local chain (chain id {local_ids}); "
            f"nothing was sent. {fix}; for a local chain, point $ZKREVOX_RPC_URL or --rpc at it "
            "(`zkrevox chain up`)"
        )
    if chain_id != net.chain_id:
        raise ChainError(
            f"--network {net.name} means chain id {net.chain_id}, but RPC {rpc_url} (from {source}) serves chain id "
            f"{chain_id} ({network_name(chain_id)}); nothing was sent. Point --rpc or ${net.rpc_env} at a "
            f"{net.name} endpoint (and unset $ZKREVOX_RPC_URL, which wins over ${net.rpc_env}), or drop "
            f"--network {net.name} to use chain {chain_id}"
        )


def open_network(network: str | None, rpc: str | None) -> tuple[str, Web3, int]:
    """``(url, w3, chain id)`` for a command's ``--network``/``--rpc``, checked: the RPC answers and
    serves the chain the network names (:func:`check_network`)."""
    name = network or "local"
    url, source = resolve_rpc_source(name, rpc)
    w3 = connect(url, source=source)
    chain_id = int(w3.eth.chain_id)
    check_network(name, chain_id, url, source)
    return url, w3, chain_id


def connect(rpc_url: str, *, expected_chain_id: int | None = None, source: str | None = None) -> Web3:
    """A connected ``Web3``; ``ChainError`` naming the URL, where it came from and the fix if it does
    not answer."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": RPC_TIMEOUT_S}))
    try:
        chain_id = w3.eth.chain_id
    except (OSError, Web3Exception, ValueError) as exc:
        origin = f" (from {source})" if source else ""
        if "127.0.0.1" in rpc_url or "localhost" in rpc_url:
            hint = ("start a local chain with `zkrevox chain up`; if one runs at another URL, set ZKREVOX_RPC_URL "
                    "to the URL it printed (`export ZKREVOX_RPC_URL=http://127.0.0.1:PORT`, or pass --rpc URL)")
        else:
            hint = "check the URL, or set $ZKREVOX_RPC_URL (or --rpc URL) to a working endpoint"
        raise ChainError(f"RPC {rpc_url}{origin} does not answer ({type(exc).__name__}: {exc}); {hint}") from None
    if expected_chain_id is not None and chain_id != expected_chain_id:
        raise ChainError(
            f"RPC {rpc_url} serves chain id {chain_id}, expected {expected_chain_id}; point --rpc at the right network"
        )
    return w3


def preset_of_chain(chain_id: int) -> Network:
    """The preset serving ``chain_id`` (``local`` for a development chain); for a chain no preset names,
    a cautious one: 12 s blocks, a 2-hour window, 20 gwei declared."""
    if is_local_chain(chain_id):
        return PRESETS["local"]
    known = BY_CHAIN_ID.get(chain_id)
    return known if known is not None else Network(f"chain-{chain_id}", chain_id, "", "", "?", block_time_s=12.0,
                                                   challenge_window_s=7200, gas_price_gwei=20.0)


def network_name(chain_id: int) -> str:
    n = BY_CHAIN_ID.get(chain_id)
    return n.name if n else f"chain-{chain_id}"


def supports_eip1559(w3: Web3) -> bool:
    block = w3.eth.get_block("latest")
    return block.get("baseFeePerGas") is not None


def fee_fields(w3: Web3) -> dict[str, Any]:
    """Fee fields for a transaction: ``maxFeePerGas``/``maxPriorityFeePerGas`` on EIP-1559
    chains (twice the base fee as headroom), ``gasPrice`` otherwise."""
    block = w3.eth.get_block("latest")
    return fee_fields_for(block, w3)


def fee_fields_for(block: Any, w3: Web3) -> dict[str, Any]:
    base_fee = block.get("baseFeePerGas")
    if base_fee is None:
        return {"gasPrice": w3.eth.gas_price}
    tip: int
    try:
        tip = int(w3.eth.max_priority_fee)
    except (Web3Exception, ValueError):
        tip = 10**9
    return {"maxFeePerGas": 2 * base_fee + tip, "maxPriorityFeePerGas": tip}
