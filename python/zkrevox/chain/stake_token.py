"""A local ERC-20 stake token (``verifier-contracts/src/examples/LocalStakeToken.sol``) and reading
what a deployment's stake asset is called.

``deploy_local_stake_token`` deploys the token on a local chain or a testnet (never elsewhere:
it stands for whatever token a real deployment chooses), its whole supply to the deployer, then
hands amounts to the given accounts so their nodes can stake it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3Exception

from zkrevox.chain.deploy import ContractRecord, deploy_contract
from zkrevox.chain.networks import BY_CHAIN_ID, fee_fields
from zkrevox.chain.solc import project_contracts
from zkrevox.errors import ChainError, InputError

DECIMALS = 18  # LocalStakeToken: OpenZeppelin's ERC20 default


@dataclass(frozen=True)
class Asset:
    """What providers stake: the native coin (``token`` None) or an ERC-20."""

    token: str | None
    symbol: str
    decimals: int

    def to_json(self) -> dict[str, Any]:
        return {"token": self.token, "symbol": self.symbol, "decimals": self.decimals}


def stake_asset(w3: Web3, token: str | None) -> Asset:
    """The stake asset of a deployment whose ``stakeToken()`` is ``token``; an ERC-20 without
    ``symbol``/``decimals`` reads as ``?`` with 18 decimals."""
    if token is None:
        network = BY_CHAIN_ID.get(int(w3.eth.chain_id))
        return Asset(None, network.native if network else "native", 18)
    erc20 = w3.eth.contract(address=Web3.to_checksum_address(token), abi=project_contracts()["IERC20Metadata"].abi)
    try:
        symbol, decimals = str(erc20.functions.symbol().call()), int(erc20.functions.decimals().call())
    except (ContractLogicError, Web3Exception, ValueError, OverflowError):
        symbol, decimals = "?", 18
    return Asset(Web3.to_checksum_address(token), symbol, decimals)


# EIP-1967 implementation and beacon slots, and EIP-1822's (UUPS) proxiable slot: a token behind one
# can change its code after a deployment checked it.
_PROXY_SLOTS = {
    "an EIP-1967 proxy": 0x360894A13BA1A3210667C828492DB98DCA3E2076CC3735A920A3CA505D382BBC,
    "an EIP-1967 beacon proxy": 0xA3F0AD74E5423AEBFD80D3EF4346578335A9A72AEAEE59FF6CB3582B35133D50,
    "an EIP-1822 (UUPS) proxy": 0xC5F16F0FCC639FA48A6947836D9850F504798523BF8C9A3A87D5876CF622BCF7,
}


def check_stake_token(w3: Web3, token: str) -> Asset:
    """Refuses, naming why, a stake token DPrompt cannot book safely (verifier-contracts/README.md,
    "Stake in an ERC-20"): no contract at ``token``; no ERC-20 reads (``totalSupply``, ``balanceOf``,
    ``decimals``); an upgradeable proxy (its behaviour can change after this check). A token that
    pauses or blocklists is accepted (DPrompt pays it out as pulled credits); one that takes a fee on
    transfer is refused by DPrompt at the first stake. Returns the asset; raises :class:`InputError`."""
    address = Web3.to_checksum_address(token)
    if not w3.eth.get_code(address):
        raise InputError(f"stake token {address}: no contract at that address on chain {w3.eth.chain_id}")
    for what, slot in _PROXY_SLOTS.items():
        if int.from_bytes(w3.eth.get_storage_at(address, slot), "big"):
            raise InputError(f"stake token {address} is {what}: its code can change after this deployment, so "
                             "DPrompt's books could not rely on it; stake a non-upgradeable token")
    erc20 = w3.eth.contract(address=address, abi=project_contracts()["IERC20Metadata"].abi)
    try:
        erc20.functions.totalSupply().call()
        erc20.functions.balanceOf(address).call()
        decimals = int(erc20.functions.decimals().call())
    except (ContractLogicError, Web3Exception, ValueError, OverflowError):
        raise InputError(f"stake token {address} does not answer the ERC-20 reads totalSupply, balanceOf and "
                         "decimals; it is not an ERC-20 DPrompt can take") from None
    if decimals > 36:
        raise InputError(f"stake token {address} has {decimals} decimals; amounts would not fit DPrompt's 96-bit "
                         "stakes")
    return stake_asset(w3, address)


def deploy_local_stake_token(
    w3: Web3, account: LocalAccount, supply: int, recipients: list[tuple[str, int]]
) -> tuple[ContractRecord, list[dict[str, Any]]]:
    """Deploy LocalStakeToken with ``supply`` (smallest units) to ``account``, then transfer each
    ``(address, amount)``; returns the contract and the transfers (``to``, ``amount``, ``tx``)."""
    chain_id = int(w3.eth.chain_id)
    if chain_id not in BY_CHAIN_ID:
        raise InputError(f"chain {chain_id} is neither the local chain nor a known testnet; LocalStakeToken is a "
                         "stand-in for local chains and testnets only (`zkrevox chain up`, --network)")
    total = sum(amount for _, amount in recipients)
    if total > supply:
        raise InputError(f"the transfers add up to {total}, more than the supply {supply}; raise --supply")
    record = deploy_contract(w3, account, project_contracts()["LocalStakeToken"], supply)
    token = w3.eth.contract(address=Web3.to_checksum_address(record.address),
                            abi=project_contracts()["LocalStakeToken"].abi)
    transfers = []
    for to, amount in recipients:
        tx_hash = _send(w3, account, token.functions.transfer(Web3.to_checksum_address(to), amount))
        transfers.append({"to": Web3.to_checksum_address(to), "amount": amount, "tx": tx_hash})
    return record, transfers


def _send(w3: Web3, account: LocalAccount, fn: Any) -> str:
    try:
        tx = fn.build_transaction({
            "from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending"),
            "chainId": int(w3.eth.chain_id), **fee_fields(w3),
        })
        tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=180, poll_latency=0.1)
    except (ContractLogicError, Web3Exception, ValueError, OSError) as exc:
        raise ChainError(f"{fn.fn_name} failed: {exc}") from None
    if receipt["status"] != 1:
        raise ChainError(f"{fn.fn_name} reverted (tx {tx_hash.hex()})")
    return "0x" + bytes(receipt["transactionHash"]).hex()
