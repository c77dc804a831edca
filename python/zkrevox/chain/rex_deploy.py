"""Deploying the REX contracts beside a DPrompt, and their record ``deployments/rex/<chainId>.json``.

On a local chain (or a testnet) ``deploy_rex`` deploys REX itself (3 billion, to the deployer, who
hands some to the dev accounts); elsewhere it takes an existing burnable ERC-20's address. Then
StakedRex (sREX, points, rewards pool), the PointsPaymaster beside DPrompt, names the paymaster
the points spender, funds its native-coin budget and the foundation's pool stream.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from zkrevox.chain.deploy import ContractRecord, deploy_contract
from zkrevox.chain.networks import BY_CHAIN_ID
from zkrevox.chain.paths import deployments_dir
from zkrevox.chain.solc import project_contracts
from zkrevox.errors import ChainError, InputError

UNIT = 10**18
DAY = 86_400


@dataclass(frozen=True)
class RexParams:
    """The economics fixed at deployment (see verifier-contracts/README.md, "REX economics")."""

    supply: int = 3_000_000_000 * UNIT  # REX, fixed
    deduction_bps: int = 2_000  # d0: 20 % of a fresh stake
    maturity_s: int = 180 * DAY  # T: no deduction from 180 days on
    points_per_day: int = 1 * UNIT  # one point per sREX per day
    points_cap_days: int = 30  # C: points stop accruing (and expire) at 30 days' worth
    points_price: int = 10 * UNIT  # points one request costs through the paymaster
    max_fee_wei: int = 10**16  # the most native coin the paymaster pays per request (0.01)
    budget_wei: int = 10**18  # native coin the deployer gives the paymaster (local: 1)
    foundation_funding: int = 30_000_000 * UNIT  # REX the foundation streams over the first 180 days (1 %)
    dev_grant: int = 1_000_000 * UNIT  # REX each other dev account gets on a local deployment


@dataclass
class RexRecord:
    chain_id: int
    dprompt: str
    rex: str
    srex: str
    paymaster: str | None
    params: dict[str, int]
    created_at: str
    contracts: dict[str, ContractRecord] = field(default_factory=dict)
    rex_deployed: bool = True  # False: an existing token was given (--rex)
    path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path | None = None) -> RexRecord:
        contracts = {k: ContractRecord(**v) for k, v in data.get("contracts", {}).items()}
        return cls(**{**data, "contracts": contracts, "path": path})


def rex_record_path(chain_id: int, directory: Path | None = None) -> Path:
    """``<deployments>/rex/<chainId>.json`` (a folder of its own: DPrompt's records stay alone beside it)."""
    return (directory or deployments_dir()) / "rex" / f"{chain_id}.json"


def load_rex_record(w3: Web3, dprompt: str, directory: Path | None = None) -> RexRecord:
    """The REX record of ``w3``'s chain, checked to belong to ``dprompt`` and to be on chain."""
    chain_id = int(w3.eth.chain_id)
    path = rex_record_path(chain_id, directory)
    try:
        record = RexRecord.from_json(json.loads(path.read_text()), path)
    except FileNotFoundError:
        raise InputError(f"no REX deployment recorded for chain {chain_id} ({path}); run `zkrevox deploy` (a local "
                         "chain deploys REX with DPrompt) or `zkrevox deploy --rex ADDRESS`") from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"REX record {path} is unreadable ({exc}); run `zkrevox deploy --new`") from None
    if record.dprompt.lower() != dprompt.lower() or not w3.eth.get_code(Web3.to_checksum_address(record.srex)):
        raise InputError(f"the REX record {path} belongs to DPrompt {record.dprompt}, not the live {dprompt} (or its "
                         "contracts are gone); run `zkrevox deploy --new` to deploy both again")
    return record


def write_rex_record(record: RexRecord, directory: Path | None = None) -> Path:
    path = rex_record_path(record.chain_id, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record.to_json(), indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    record.path = path
    return path


def deploy_rex(
    w3: Web3,
    account: LocalAccount,
    dprompt: str,
    *,
    rex: str | None = None,
    params: RexParams | None = None,
    grants: list[str] | None = None,
    directory: Path | None = None,
    write: bool = True,
) -> RexRecord:
    """Deploy (or take, ``rex``) REX, then StakedRex and the PointsPaymaster for ``dprompt``; give each
    of ``grants`` ``params.dev_grant`` REX, fund the paymaster's budget and (when the deployer holds
    the REX) the foundation's pool stream."""
    from zkrevox.chain.rex import RexClient

    params = params or RexParams()
    chain_id = int(w3.eth.chain_id)
    compiled = project_contracts()
    contracts: dict[str, ContractRecord] = {}
    if rex is None:
        if chain_id not in BY_CHAIN_ID:
            raise InputError(f"chain {chain_id} is neither the local chain nor a known testnet: pass the REX token's "
                             "address with --rex ADDRESS")
        contracts["Rex"] = deploy_contract(w3, account, compiled["Rex"], params.supply, account.address)
        rex = contracts["Rex"].address
    else:
        rex = Web3.to_checksum_address(rex)
        if not w3.eth.get_code(rex):
            raise InputError(f"--rex {rex} has no code on chain {chain_id}; give the REX token's address")
    contracts["StakedRex"] = deploy_contract(
        w3, account, compiled["StakedRex"], rex, params.deduction_bps, params.maturity_s, params.points_per_day,
        params.points_cap_days)
    contracts["PointsPaymaster"] = deploy_contract(
        w3, account, compiled["PointsPaymaster"], Web3.to_checksum_address(dprompt), contracts["StakedRex"].address,
        params.points_price, params.max_fee_wei)
    record = RexRecord(
        chain_id=chain_id, dprompt=Web3.to_checksum_address(dprompt), rex=rex, srex=contracts["StakedRex"].address,
        paymaster=contracts["PointsPaymaster"].address, params=asdict(params),
        created_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), contracts=contracts,
        rex_deployed="Rex" in contracts,
    )
    client = RexClient(w3, record, account)
    client._send(client.srex.functions.setPointsSpender(record.paymaster))
    for to in grants or []:
        if Web3.to_checksum_address(to) != account.address:
            client._send(client.rex.functions.transfer(Web3.to_checksum_address(to), params.dev_grant))
    if params.budget_wei:
        assert record.paymaster is not None, "the paymaster is deployed above"
        _send_value(w3, account, record.paymaster, params.budget_wei)
    if params.foundation_funding and client.rex_balance() >= params.foundation_funding:
        client.fund_pool(params.foundation_funding)
    if write:
        write_rex_record(record, directory)
    return record


def _send_value(w3: Web3, account: LocalAccount, to: str, value: int) -> None:
    from zkrevox.chain.networks import fee_fields

    tx = {"from": account.address, "to": Web3.to_checksum_address(to), "value": value, "gas": 60_000,
          "chainId": int(w3.eth.chain_id), "nonce": w3.eth.get_transaction_count(account.address, "pending"),
          **fee_fields(w3)}
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction), timeout=180, poll_latency=0.1)
    if receipt["status"] != 1:
        raise ChainError(f"funding the points paymaster {to} with {value} wei reverted")
