"""``zkrevox node`` (run a provider node) and ``zkrevox node-jobs`` (read its job store): thin shells
over ``zkrevox.node``. ``register(app)`` mounts them on the ``zkrevox`` app."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from zkrevox.cli._output import emit, handle_errors

RpcOpt = Annotated[str | None, typer.Option("--rpc", help="RPC URL (default: $ZKREVOX_RPC_URL, else the network's).")]
NetworkOpt = Annotated[str, typer.Option("--network", help="Preset: local, bsc-testnet, opbnb-testnet, sepolia.")]
DbOpt = Annotated[Path, typer.Option("--db", help="SQLite job store (created if missing; reuse it after a restart).")]
NodeDbOpt = Annotated[Path | None, typer.Option(
    "--db", help="SQLite job store (created if missing; reuse it after a restart). Or --store.")]
StoreOpt = Annotated[str | None, typer.Option(
    "--store", help="PostgreSQL job store, postgresql://USER@HOST:PORT/DB (instead of --db): shared with standby "
                    "nodes of this key and with remote provers (`zkrevox prover`).")]
JobsDbOpt = Annotated[Path, typer.Option(
    "--db", help="The SQLite job store a node ran with (only read; it must exist).")]


def register(app: typer.Typer) -> None:
    app.command("node")(node)
    app.command("node-jobs")(node_jobs)


@handle_errors
def node(
    db: NodeDbOpt = None,
    store: StoreOpt = None,
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    stake: Annotated[str | None, typer.Option(help="Top the provider's stake up to this (ether units).")] = None,
    model: Annotated[list[str] | None, typer.Option(
        help="Model to serve (its artifacts and deployment record); repeat it to serve several with one job "
             "store, e.g. --model ticker --model intent. Default: ticker.")] = None,
    workers: Annotated[int, typer.Option(
        help="Prover worker processes (per model served); 0 with --store: prove nothing here, remote provers "
             "(`zkrevox prover --store …`) do.")] = 1,
    confirmations: Annotated[int, typer.Option(help="Blocks on top before an event or receipt counts.")] = 0,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve /metrics and /healthz on 127.0.0.1:PORT (0: a free port).")
    ] = None,
    log_format: Annotated[str, typer.Option(help="Logs on stderr: text or json (one object per line).")] = "text",
    poll_interval: Annotated[float, typer.Option(help="Seconds between chain polls when idle.")] = 2.0,
    rpc_timeout: Annotated[float, typer.Option(help="Seconds per RPC request.")] = 10.0,
    max_attempts: Annotated[int, typer.Option(help="Failed prove/submit attempts per request before giving up.")] = 5,
    deadline_margin: Annotated[float, typer.Option(help="Seconds kept before a deadline for mining.")] = 10.0,
    bump_after: Annotated[float, typer.Option(help="Seconds unmined before a fulfilment's fees are raised.")] = 30.0,
    drain_timeout: Annotated[float, typer.Option(help="On SIGTERM, seconds to finish in-flight work.")] = 30.0,
    max_batch_wait: Annotated[float, typer.Option(
        help="Seconds a request may wait for companions to share a batch proof (gas policy).")] = 5.0,
    batch_policy: Annotated[str, typer.Option(
        help="gas: wait (up to --max-batch-wait) to fill the largest batch, then the cheapest mix of sizes; "
             "latency: prove at once what is waiting.")] = "gas",
    batch_sizes: Annotated[str | None, typer.Option(
        help="Comma-separated proof sizes to use, e.g. 1,16 (1: one request per fulfil). Default: every size "
             "built locally and registered on-chain.")] = None,
    capacity: Annotated[str, typer.Option(
        help="Requests this provider may hold pending, declared on-chain at start. auto: if none was ever "
             "declared, what the node can prove in half a response window.")] = "auto",
    prove_timeout: Annotated[float, typer.Option(
        help="Most seconds a proof may take (also the time-out of a batch size not yet measured); below that, "
             "a multiple of the size's average prove time.")] = 300.0,
    reuse_proofs: Annotated[bool, typer.Option(
        "--reuse-proofs/--no-reuse-proofs",
        help="Answer a request whose prompt has the features of one proved before with that proof, at once "
             "(kept in the job store; a proof attests to the features, not to the request).")] = True,
    watch: Annotated[bool, typer.Option(
        "--watch", help="Also watch every optimistic answer on this DPrompt and dispute the wrong ones with a "
                        "proof (as `zkrevox watch`, with this key; its job store: <db stem>-watch.db).")] = False,
) -> None:
    """Run a provider node: follow requests assigned to this key, prove them, fulfil them, record every step.

    Optimistic requests are answered at once with the model's prediction (no proof) and finalized after
    their challenge window, so the provider is paid.

    Several models (--model ticker --model intent): one job store and one follower; each model has its own
    prover workers (--workers each), admission and batch proofs (never mixing models); --stake, --capacity
    and --batch-sizes apply to each.

    The key comes from $ZKREVOX_PRIVATE_KEY or $ZKREVOX_KEYSTORE (anvil dev account on a local chain).
    SIGTERM (or Ctrl-C) finishes in-flight work, then exits; a second one exits at once.
    """
    from zkrevox.chain.networks import resolve_rpc_source
    from zkrevox.cli.chain import _wei
    from zkrevox.node import NodeConfig, ProviderNode
    from zkrevox.node.logs import configure

    configure(log_format)
    from zkrevox.errors import InputError

    models = tuple(model or ("ticker",))
    if db is None and store is None:
        raise InputError("name the job store: --db PATH (SQLite) or --store postgresql://USER@HOST:PORT/DB")
    if db is None:
        db = Path("zkrevox-node.db")  # with --store: names only the local proofs folder (zkrevox-node-proofs/)
    url, source = resolve_rpc_source(network, rpc)  # an unknown --network is refused here
    config = NodeConfig(
        rpc=url, rpc_source=source, network=network, db=db, store=store, model=models[0],
        models=models if len(models) > 1 else (),
        workers=workers, confirmations=confirmations,
        stake_wei=_wei(stake) if stake else None, metrics_port=metrics_port, poll_interval=poll_interval,
        rpc_timeout=rpc_timeout, max_attempts=max_attempts, deadline_margin=deadline_margin, bump_after=bump_after,
        drain_timeout=drain_timeout, max_batch_wait=max_batch_wait, batch_policy=batch_policy,
        batch_sizes=_sizes(batch_sizes), capacity=_capacity(capacity), prove_timeout=prove_timeout, watch=watch,
        reuse_proofs=reuse_proofs,
    )
    ProviderNode(config).run(install_signals=True)
    if sys.stderr.isatty():
        sys.stderr.write("\n")


def _capacity(text: str) -> int | None:
    from zkrevox.errors import InputError

    if text == "auto":
        return None
    try:
        return int(text)
    except ValueError:
        raise InputError(f"--capacity takes a number of requests or auto, got {text!r}") from None


def _sizes(text: str | None) -> tuple[int, ...] | None:
    from zkrevox.errors import InputError

    if text is None:
        return None
    try:
        sizes = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise InputError(f"--batch-sizes takes comma-separated integers such as 1,4,16, got {text!r}") from None
    return sizes


@handle_errors
def node_jobs(
    db: JobsDbOpt,
    state: Annotated[str | None, typer.Option(help="Only jobs in this state (seen, proving, …, skipped).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per job on stdout.")] = False,
) -> None:
    """List the requests a node's job store holds (newest deployment first) with their state and history.

    Columns: model is the request's model id (a node serving several models keeps them in one store);
    proofs and sends are the proofs started and fulfil transactions sent (a replacement
    with higher fees counts) for the request; failed counts its attempts that failed (the node gives
    up after --max-attempts of them). --json gives the same as prove_attempts, send_attempts and
    failures ("attempts" is kept as an alias of failures).
    """
    from zkrevox.node.store import read_jobs

    jobs = read_jobs(db, state)
    if as_json:
        for row in jobs:
            emit(row, True)
        return
    if not jobs:
        emit({}, False, f"no jobs in {db}")
        return
    lines = [f"{'request':>7}  {'state':<10}  {'proofs':>6}  {'sends':>5}  {'failed':>6}  {'batch':>5}  "
             f"{'model':>5}  {'prove s':>7}  {'tx':<12}  reason / error"]
    for j in jobs:
        tx = (j["fulfil_tx"] or (j["tx_hashes"][-1] if j["tx_hashes"] else "") or "")[:12]
        note = j["reason"] or ""
        if j["last_error"] and j["state"] not in ("confirmed",):
            note = f"{note}: {j['last_error']}" if note else j["last_error"]
        prove = f"{j['prove_seconds']:.2f}" if j["prove_seconds"] else ""
        size = len(j["batch"]) if j["batch"] else 1
        lines.append(f"{j['request_id']:>7}  {j['state']:<10}  {j['prove_attempts']:>6}  {j['send_attempts']:>5}  "
                     f"{j['failures']:>6}  {size:>5}  {j['model_id']:>5}  {prove:>7}  {tx:<12}  {note}")
    emit({}, False, "\n".join(lines))
