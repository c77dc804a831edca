"""``zkrevox web``: serve the pages (``zkrevox.web``). ``register(app)`` mounts it on the ``zkrevox`` app."""

from __future__ import annotations

from typing import Annotated

import typer

from zkrevox.cli._output import handle_errors, step


def register(app: typer.Typer) -> None:
    app.command("web")(web)


@handle_errors
def web(
    rpc: Annotated[str | None, typer.Option(
        "--rpc", help="RPC URL the pages use (default: $ZKREVOX_RPC_URL, else the local preset's).")] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    store: Annotated[str | None, typer.Option(
        help="The node's job store (its --db file): the request page shows the off-chain steps too.")] = None,
    command_agent: Annotated[str | None, typer.Option(
        help="Address of a deployed CommandAgent: the Ask page offers `command` (both agents at once).")] = None,
) -> None:
    """Serve the Ask page (/), request pages (/requests/ID), the market (/market) and provider pages
    (/provider/ADDRESS) for the live deployment of the RPC's chain. The pages talk to the chain through
    the RPC themselves; no key is read or served."""
    from zkrevox.chain.networks import resolve_rpc
    from zkrevox.web import Site, serve

    url = rpc or resolve_rpc("local", None)
    site = Site.open(url, store=store, command_agent=command_agent)
    step(f"zkrevox web on http://{host}:{port}/ for DPrompt {site.deployment.dprompt.address} on chain "
         f"{site.chain_id} (RPC {url}); Ctrl-C stops it")
    serve(site, host=host, port=port)
