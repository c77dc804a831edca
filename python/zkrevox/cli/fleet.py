"""``zkrevox prover`` (a remote prover: claims proof jobs from a node's PostgreSQL store) and ``zkrevox db
up`` (a PostgreSQL cluster on this machine for them): thin shells over ``zkrevox.node.prover_service``
and ``zkrevox.node.pgcluster``. ``register(app)`` mounts them on the ``zkrevox`` app."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from zkrevox.cli._output import emit, handle_errors

db_app = typer.Typer(help="A PostgreSQL cluster for a provider's nodes and remote provers.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("prover")(prover)
    app.add_typer(db_app, name="db")


@handle_errors
def prover(
    store: Annotated[str, typer.Option("--store", help="The node's PostgreSQL store, postgresql://USER@HOST:PORT/DB.")],
    model: Annotated[list[str] | None, typer.Option(
        help="Model to prove (repeat for several); its artifacts must be built here. Default: ticker.")] = None,
    workers: Annotated[int, typer.Option(help="Proofs at once, per model (one worker process each).")] = 1,
    name: Annotated[str | None, typer.Option(help="This prover's name in the store (default: host:pid).")] = None,
    proofs_dir: Annotated[Path, typer.Option(help="Where proofs are written before they are sent back.")] = Path(
        "zkrevox-prover-proofs"),
    lease: Annotated[float, typer.Option(help="Seconds a claimed job is held without a heartbeat.")] = 30.0,
    prove_timeout: Annotated[float, typer.Option(help="Most seconds one proof may take (its worker is then "
                                                      "replaced and the job given back).")] = 300.0,
    metrics_port: Annotated[int | None, typer.Option(
        help="Serve /metrics and /healthz on 127.0.0.1:PORT (0: a free port).")] = None,
    log_format: Annotated[str, typer.Option(help="Logs on stderr: text or json (one object per line).")] = "text",
) -> None:
    """Prove for a node on another machine: claim its proof jobs from the PostgreSQL store, prove them with
    warm provers (worker processes) and write each proof back, holding a lease renewed by a heartbeat.

    A job names the verifying key its deployment registered; this prover proves only with that build
    (`zkrevox build MODEL --batch N` with the same model and SRS) and stops, naming the mismatch, if it
    lacks it. SIGTERM or Ctrl-C stops it; the jobs it held go back to the queue.
    """
    from zkrevox.node.logs import configure
    from zkrevox.node.prover_service import ProverConfig, RemoteProver

    configure(log_format)
    config = ProverConfig(store=store, models=tuple(model or ("ticker",)), workers=workers, name=name or "",
                          proofs_dir=proofs_dir, lease_seconds=lease, prove_timeout=prove_timeout,
                          metrics_port=metrics_port)
    service = RemoteProver(config)

    def handler(_signum: int, _frame: Any) -> None:
        service.stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    service.run()


@db_app.command("up")
@handle_errors
def db_up(
    path: Annotated[Path, typer.Option("--path", help="The cluster's folder (created).")] = Path("zkrevox-pg"),
    port: Annotated[int, typer.Option(help="TCP port.")] = 5432,
    host: Annotated[str, typer.Option(help="Address to listen on: 127.0.0.1, or 0.0.0.0 for other machines.")] = (
        "127.0.0.1"),
    trust: Annotated[str, typer.Option(
        help="Network allowed in without a password (pg_hba trust), e.g. 10.0.0.0/24: a private network only.")] = (
        "127.0.0.1/32"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Start a PostgreSQL 15 cluster in --path (made with initdb on first use) and print its --store URL."""
    from zkrevox.node.pgcluster import up

    cluster = up(path, port, host, trust)
    emit({"url": cluster.url, "path": str(cluster.root), "port": cluster.port}, as_json,
         f"PostgreSQL up in {cluster.root}: --store {cluster.url}\nstop it: zkrevox db down --path {path}")


@db_app.command("down")
@handle_errors
def db_down(
    path: Annotated[Path, typer.Option("--path", help="The cluster's folder.")] = Path("zkrevox-pg"),
) -> None:
    """Stop the cluster in --path (its data is kept)."""
    from zkrevox.node.pgcluster import Cluster

    Cluster(path.resolve(), 0).stop()
