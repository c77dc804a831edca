"""``zkrevox chain up|advance|verifier|stake-token|abi``: the local chain, its clock, verifier
generation, the local stake token and the ABI files."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from zkrevox.cli._chainctx import (
    NUMBER_ARGS,
    JsonOpt,
    NetworkOpt,
    RpcOpt,
    _Ctx,
    _only_model,
    _units,
)
from zkrevox.cli._output import emit, handle_errors
from zkrevox.errors import InputError

chain_app = typer.Typer(help="Local chain, local stake token, verifier generation, ABI files.", no_args_is_help=True)


@chain_app.command("up")
@handle_errors
def chain_up(
    chain_id: Annotated[int, typer.Option(help="Chain id of the local chain.")] = 31337,
    port: Annotated[
        int | None, typer.Option(help="Port (default: 8545, the local preset's, when free; else a free one).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a local anvil on 127.0.0.1 in the foreground; prints its URL. Ctrl-C stops it."""
    import signal

    from zkrevox.chain.anvil import Anvil, port_free
    from zkrevox.chain.networks import PRESETS

    default_url = PRESETS["local"].default_rpc
    default_port = int(default_url.rsplit(":", 1)[1])
    asked = port  # --port as given: only a port picked for the user is explained as "taken"
    if port is None and port_free(default_port):
        port = default_port
    # SIGTERM unwinds like Ctrl-C, so the context manager stops anvil instead of orphaning it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with Anvil(chain_id=chain_id, port=port) as chain:
        if chain.url == default_url:
            note = "the default of --network local; no export needed"
        else:
            note = (f"port {default_port} is taken" if asked is None and chain.port != default_port else "") + \
                   f"; other commands need `export ZKREVOX_RPC_URL={chain.url}` (or --rpc {chain.url})"
            note = note.lstrip("; ")
        if chain.url != default_url:
            print(f"export ZKREVOX_RPC_URL={chain.url}", file=sys.stderr, flush=True)
        emit({"rpc": chain.url, "chain_id": chain_id, "pid": chain.pid, "export": chain.url != default_url}, as_json,
             f"anvil running at {chain.url} (chain id {chain_id}); {note}")
        try:
            code = chain.wait()
        except KeyboardInterrupt:
            code = 0
    if code:
        print(f"anvil exited with {code}", file=sys.stderr)


@chain_app.command("advance", context_settings=NUMBER_ARGS)
@handle_errors
def chain_advance(
    seconds: Annotated[int, typer.Argument(help="Seconds to move the chain's clock forward (then one block).")],
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Local chains only: move time forward and mine a block (evm_increaseTime + evm_mine), e.g. past a
    request's deadline to try `zkrevox reclaim`, or past the unbonding delay."""
    from web3.types import RPCEndpoint

    from zkrevox.chain.networks import is_local_chain

    if seconds <= 0:
        raise InputError(f"SECONDS must be positive, got {seconds}")
    ctx = _Ctx(rpc, network, need_deployment=False, need_key=False)
    if not is_local_chain(ctx.chain_id):
        raise InputError(f"chain {ctx.chain_id} is not a local chain: only a local dev chain's clock can be moved")
    before = int(ctx.w3.eth.get_block("latest")["timestamp"])
    try:
        ctx.w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [seconds])
        ctx.w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    except Exception as exc:  # an RPC without the dev methods
        raise InputError(f"RPC {ctx.url} does not move time (evm_increaseTime/evm_mine: {exc}); "
                         "this needs anvil, hardhat or ganache") from None
    block = ctx.w3.eth.get_block("latest")
    emit({"timestamp": int(block["timestamp"]), "advanced_s": int(block["timestamp"]) - before,
          "block": int(block["number"])}, as_json,
         f"chain time now {int(block['timestamp'])} (+{int(block['timestamp']) - before} s), block {block['number']}")


@chain_app.command("verifier")
@handle_errors
def chain_verifier(
    model: Annotated[str | None, typer.Argument(
        help="Model whose circuit artifacts to use [default: the only model in models/].")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate verifier-contracts/src/generated/<Model>Verifier.sol from artifacts/<model>/ (offline)."""
    from zkrevox.chain.evm_verifier import generate_for_model
    from zkrevox.chain.solc import compile_verifier

    model = _only_model(model, "chain verifier")
    path = generate_for_model(model)
    size = compile_verifier(path).deployed_size
    emit({"verifier_source": str(path), "deployed_size": size}, as_json, f"wrote {path} ({size} bytes deployed)")


@chain_app.command("stake-token")
@handle_errors
def chain_stake_token(
    supply: Annotated[str, typer.Option(help="Tokens to mint to this account (18 decimals).")] = "1000000",
    to: Annotated[
        list[str] | None,
        typer.Option(help="Give tokens to ADDR (repeatable): ADDR for --amount each, or ADDR=AMOUNT."),
    ] = None,
    amount: Annotated[str, typer.Option(help="Tokens each --to ADDR gets unless it names an amount.")] = "1000",
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Deploy LocalStakeToken (ZKRS, an OpenZeppelin ERC-20; local chains and testnets only) and hand
    tokens to providers; then `zkrevox deploy --stake-token ADDRESS`."""
    from web3 import Web3

    from zkrevox.chain.stake_token import DECIMALS, deploy_local_stake_token

    recipients = []
    for item in to or []:
        addr, _, each = item.partition("=")
        if not Web3.is_address(addr):
            raise InputError(f"--to {item!r}: {addr!r} is not an address (0x and 40 hex digits)")
        recipients.append((addr, _units(each or amount, DECIMALS)))
    ctx = _Ctx(rpc, network, need_deployment=False)
    record, transfers = deploy_local_stake_token(ctx.w3, ctx.account, _units(supply, DECIMALS), recipients)
    result = {"token": record.address, "tx": record.tx, "symbol": "ZKRS", "decimals": DECIMALS,
              "supply": _units(supply, DECIMALS), "holder": ctx.account.address, "transfers": transfers}
    emit(result, as_json, f"LocalStakeToken (ZKRS) at {record.address}; {len(transfers)} transfer(s); "
                          f"deploy with `zkrevox deploy --stake-token {record.address}`")


@chain_app.command("abi")
@handle_errors
def chain_abi(
    check: Annotated[bool, typer.Option(help="Only compare; exit 1 if a committed ABI file is out of date.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write verifier-contracts/abi/<Name>.json (DPrompt with every error it can revert with, the
    consumer interface and base, TickerConsumer, LocalStakeToken) for ethers/viem users."""
    from zkrevox.chain import abi

    if check:
        bad = abi.stale()
        if bad:
            raise InputError(f"out of date in {abi.abi_dir()}: {', '.join(bad)}; run {abi.REGENERATE}")
        emit({"abi_dir": str(abi.abi_dir()), "stale": []}, as_json, f"{abi.abi_dir()}: up to date")
        return
    paths = abi.write()
    emit({"abi_dir": str(abi.abi_dir()), "files": [p.name for p in paths]}, as_json,
         "\n".join(str(p) for p in paths))
