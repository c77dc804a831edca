"""``zkrevox watch``: check every optimistic answer posted on a DPrompt and dispute the wrong ones with
a proof (a thin shell over ``zkrevox.node.watch``). ``register(app)`` mounts it on the ``zkrevox`` app."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from zkrevox.cli._output import handle_errors
from zkrevox.cli.node import DbOpt, NetworkOpt, RpcOpt


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)


@handle_errors
def watch(
    db: DbOpt,
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    model: Annotated[list[str] | None, typer.Option(
        help="Model to watch (repeat for several). Default: every model of the deployment record whose "
             "registered build is in the local artifacts.")] = None,
    confirmations: Annotated[int, typer.Option(help="Blocks on top before an answer or receipt counts.")] = 0,
    margin: Annotated[float, typer.Option(
        help="Seconds kept before a challenge window's end for a dispute to be mined: an answer that cannot be "
             "proved and disputed by then is left (and logged so).")] = 4.0,
    workers: Annotated[int, typer.Option(help="Prover processes per model (disputes proved in parallel).")] = 2,
    dispute_at_a_loss: Annotated[bool, typer.Option(
        "--dispute-at-a-loss", help="Dispute a wrong answer even when the bond share does not cover the gas at "
                                    "the current price (default: leave it, and say so).")] = False,
    metrics_port: Annotated[int | None, typer.Option(
        help="Serve /metrics and /healthz on 127.0.0.1:PORT (0: a free port, printed in the log).")] = None,
    log_format: Annotated[str, typer.Option(help="Logs on stderr: text or json (one object per line).")] = "text",
    poll_interval: Annotated[float, typer.Option(help="Seconds between chain polls.")] = 1.0,
    rpc_timeout: Annotated[float, typer.Option(help="Seconds per RPC request.")] = 10.0,
    bump_after: Annotated[float, typer.Option(help="Seconds unmined before a dispute's fees are raised.")] = 15.0,
) -> None:
    """Watch optimistic answers: recompute each with the local model, prove and dispute the wrong ones
    before their challenge window ends, earliest window first, on --workers provers (the disputer earns
    half the answer bond); logs each wrong answer's expected profit and leaves those it cannot dispute
    in time or at a profit; records every step in --db.

    The key comes from $ZKREVOX_PRIVATE_KEY or $ZKREVOX_KEYSTORE (anvil dev account on a local chain); it
    needs no stake, only gas. Reuse --db after a restart: no answer is disputed twice. SIGTERM or Ctrl-C
    stops it.
    """
    import signal

    from zkrevox.chain.networks import resolve_rpc_source
    from zkrevox.errors import InputError
    from zkrevox.node import NodeConfig
    from zkrevox.node.logs import configure
    from zkrevox.node.watch import Watcher

    configure(log_format)
    if margin < 0:
        raise InputError(f"--margin must be 0 or more seconds, got {margin}")
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    url, source = resolve_rpc_source(network, rpc)
    config = NodeConfig(rpc=url, rpc_source=source, network=network, db=Path(db), confirmations=confirmations,
                        poll_interval=poll_interval, rpc_timeout=rpc_timeout, bump_after=bump_after)
    watcher = Watcher(config, models=tuple(model) if model else None, margin=margin, workers=workers,
                      dispute_at_a_loss=dispute_at_a_loss)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: watcher.stop())
    server = None
    if metrics_port is not None:
        from zkrevox.node.logs import event
        from zkrevox.node.metrics import MetricsServer

        server = MetricsServer(watcher.metrics, lambda: {"status": watcher.status}, "127.0.0.1", metrics_port).start()
        event(logging.getLogger("zkrevox.node.watch"), f"metrics on {server.url}/metrics, health on "
              f"{server.url}/healthz", event="metrics", url=server.url)
    try:
        watcher.run()
    finally:
        if server is not None:
            server.close()
