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

    def rpc_url(self, environ: Mapping[str, str] | None = None) -> str:
        env: Mapping[str, str] = os.environ if environ is None else environ
        return env.get("ZKREVOX_RPC_URL") or env.get(self.rpc_env) or self.default_rpc


PRESETS: dict[str, Network] = {
    n.name: n
    for n in (
        Network("local", 31337, "ZKREVOX_RPC_LOCAL", "http://127.0.0.1:8545", "ETH"),
        Network("bsc-testnet", 97, "ZKREVOX_RPC_BSC_TESTNET",
                "https://data-seed-prebsc-1-s1.bnbchain.org:8545", "tBNB"),
        Network("opbnb-testnet", 5611, "ZKREVOX_RPC_OPBNB_TESTNET",
                "https://opbnb-testnet-rpc.bnbchain.org", "tBNB"),
        Network("sepolia", 11155111, "ZKREVOX_RPC_SEPOLIA",
                "https://ethereum-sepolia-rpc.publicnode.com", "SepoliaETH"),
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
    if rpc:
        return rpc
    return preset(network or "local").rpc_url()


def connect(rpc_url: str, *, expected_chain_id: int | None = None) -> Web3:
    """A connected ``Web3``; ``ChainError`` naming the URL and the fix if it does not answer."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": RPC_TIMEOUT_S}))
    try:
        chain_id = w3.eth.chain_id
    except (OSError, Web3Exception, ValueError) as exc:
        hint = (
            "start a local chain with `zkrevox chain up` (or pass --rpc)"
            if "127.0.0.1" in rpc_url or "localhost" in rpc_url
            else "check the URL, or set --rpc / $ZKREVOX_RPC_URL to a working endpoint"
        )
        raise ChainError(f"RPC {rpc_url} does not answer ({type(exc).__name__}: {exc}); {hint}") from None
    if expected_chain_id is not None and chain_id != expected_chain_id:
        raise ChainError(
            f"RPC {rpc_url} serves chain id {chain_id}, expected {expected_chain_id}; point --rpc at the right network"
        )
    return w3


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
