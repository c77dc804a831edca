"""The ASGI app of ``zkrevox web``: pages, static modules and the JSON routes.

Routes (JSON unless said):

- ``GET /``, ``/requests/{id}``, ``/market``, ``/provider/{address}``: the pages (HTML; their modules
  under ``/static/js/``, the vendored libraries under ``/vendor/``);
- ``GET /api/config``: ``{"chain_id", "rpc", "local", "dprompt", "from_block", "stake_token",
  "command_agent", "models": [...], "abi": {"DPrompt", "CommandAgent"}, "max_prompt_bytes"}``
  (:func:`zkrevox.chain.site.site_models` per model);
- ``GET /api/models/{name}/verifier``: ``{"vk" | "settings" | "srs": {"sha256", "size", "source_sha256",
  "url"}}``, the files of the in-browser verifier (the SRS: only the bytes a verifier reads,
  :func:`zkrevox.chain.site.verifier_srs`); ``GET /api/models/{name}/files/{vk|settings|srs}``: the bytes;
- ``GET /api/builds``: the verifiable-build status of every model on the DPrompt
  (:func:`zkrevox.chain.site.build_statuses`);
- ``GET /api/providers/{address}/queue``: with ``--store``, that provider's node queue (jobs by state,
  prove times; :func:`zkrevox.web.store.provider_queue`);
- ``GET /api/command-line?intents=A,B&tickers=C,D&prompt_hex=HEX``: ``{"line"}``, CommandAgent's answer
  rendered as one line (``SWAP BNB→CAKE``, ``zkrevox.chain.command.render``);
- ``GET /api/requests/{id}/offchain``: the node's job of request ``id`` from ``--store``
  (``{"state", "history": [{"state", "at", "detail"}]}``), 404 without a store or a job.

Errors come back as ``{"error": message}`` with 400 (the caller's mistake) or 404. Every response
carries the cross-origin isolation headers (COOP/COEP) the WASM engine's shared memory needs.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zkrevox.errors import InputError, ZkrevoxError

STATIC = Path(__file__).parent / "static"
ISOLATION_HEADERS = (
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-embedder-policy", b"require-corp"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
PAGES = {"ask": "index.html", "request": "request.html", "market": "market.html", "provider": "provider.html"}


@dataclass
class Site:
    """What the server knows: the RPC the pages use, the deployment record, the node's store."""

    rpc: str
    chain_id: int
    deployment: Any  # zkrevox.chain.deploy.Deployment
    store: str | None = None
    command_agent: str | None = None
    _config: dict[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, rpc: str, *, store: str | None = None, command_agent: str | None = None) -> Site:
        """Connect to ``rpc`` and load the live deployment record of its chain (ChainError / DeploymentError
        naming the fix when the RPC does not answer or no live deployment is recorded)."""
        from zkrevox.chain.deploy import load_deployment
        from zkrevox.chain.networks import connect

        w3 = connect(rpc, source="--rpc")
        chain_id = int(w3.eth.chain_id)
        dep = load_deployment(chain_id, w3=w3)
        if command_agent is not None:
            from web3 import Web3

            if not Web3.is_address(command_agent):
                raise InputError(f"--command-agent {command_agent!r} is not an address (0x and 40 hex digits)")
            command_agent = Web3.to_checksum_address(command_agent)
            if not w3.eth.get_code(command_agent):
                raise InputError(f"no contract at --command-agent {command_agent} on chain {chain_id}")
        return cls(rpc=rpc, chain_id=chain_id, deployment=dep, store=store, command_agent=command_agent)

    def config(self) -> dict[str, Any]:
        if self._config is None:
            from zkrevox.chain.networks import is_local_chain
            from zkrevox.chain.site import site_models
            from zkrevox.chain.solc import project_contracts

            compiled = project_contracts()
            dep = self.deployment
            self._config = {
                "chain_id": self.chain_id, "rpc": self.rpc, "local": is_local_chain(self.chain_id),
                "dprompt": dep.dprompt.address, "from_block": dep.dprompt.block, "stake_token": dep.stake_token,
                "command_agent": self.command_agent, "models": site_models(dep),
                "abi": {name: compiled[name].abi for name in ("DPrompt", "CommandAgent", "IERC20")},
                "store": self.store is not None,
            }
        return self._config


class IsolationHeaders:
    """Adds COOP/COEP/CORP to every response (``crossOriginIsolated``: the engine's shared WASM memory)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *ISOLATION_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(site: Site) -> Starlette:
    """The Starlette app serving ``site``."""
    from zkrevox.web.vendor import VENDOR_DIR, check

    check()

    def page(name: str):
        async def handler(request: Request) -> Response:
            return FileResponse(STATIC / PAGES[name], headers={"cache-control": "no-store"})
        return handler

    async def config(request: Request) -> Response:
        return JSONResponse(site.config())

    async def verifier(request: Request) -> Response:
        from zkrevox.chain.site import verifier_files

        name = request.path_params["name"]
        try:
            files = verifier_files(site.deployment, name)
        except ZkrevoxError as exc:
            return _error(str(exc), 404)
        return JSONResponse({key: {"sha256": f.sha256, "size": len(f.data), "source_sha256": f.source_sha256,
                                   "url": f"/api/models/{name}/files/{key}"} for key, f in files.items()})

    async def verifier_file(request: Request) -> Response:
        from zkrevox.chain.site import verifier_files

        name, key = request.path_params["name"], request.path_params["key"]
        try:
            files = verifier_files(site.deployment, name)
        except ZkrevoxError as exc:
            return _error(str(exc), 404)
        if key not in files:
            return _error(f"no verifier file {key!r} (files: {', '.join(files)})", 404)
        return Response(files[key].data, media_type="application/octet-stream")

    async def offchain(request: Request) -> Response:
        rid = request.path_params["rid"]
        if site.store is None:
            return _error("this server was started without --store: the node's off-chain state is unknown", 404)
        from zkrevox.web.store import job_state

        try:
            state = job_state(site.store, site.deployment, rid)
        except ZkrevoxError as exc:
            return _error(str(exc), 404)
        if state is None:
            return _error(f"the node's store {site.store} has no job for request {rid}", 404)
        return JSONResponse(state)

    async def queue(request: Request) -> Response:
        if site.store is None:
            return _error("this server was started without --store: the node's queue is unknown", 404)
        from zkrevox.web.store import provider_queue

        try:
            state = provider_queue(site.store, site.deployment, request.path_params["address"])
        except ZkrevoxError as exc:
            return _error(str(exc), 404)
        if state is None:
            return _error(f"the node's store {site.store} holds no jobs of this provider on this DPrompt", 404)
        return JSONResponse(state)

    async def builds(request: Request) -> Response:
        from zkrevox.chain.client import DPromptClient
        from zkrevox.chain.networks import connect
        from zkrevox.chain.site import build_statuses

        try:
            client = DPromptClient(connect(site.rpc), site.deployment.dprompt.address)
            return JSONResponse(build_statuses(client, site.deployment))
        except ZkrevoxError as exc:
            return _error(str(exc), 502)

    async def command_line(request: Request) -> Response:
        from zkrevox.agents.ticker.tickers import ALIASES  # CommandAgent composes the ticker and intent agents
        from zkrevox.chain.command import render

        q = request.query_params
        try:
            prompt = bytes.fromhex(q.get("prompt_hex", ""))
        except ValueError:
            return _error("prompt_hex is not hex")
        intents = [x for x in q.get("intents", "").split(",") if x]
        tickers = [x for x in q.get("tickers", "").split(",") if x]
        return JSONResponse({"line": render(intents, tickers, prompt or None, ALIASES)})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "time": time.time()})

    routes = [
        Route("/", page("ask")),
        Route("/requests/{rid}", page("request")),
        Route("/market", page("market")),
        Route("/provider/{address}", page("provider")),
        Route("/api/config", config),
        Route("/api/health", health),
        Route("/api/builds", builds),
        Route("/api/providers/{address}/queue", queue),
        Route("/api/command-line", command_line),
        Route("/api/models/{name}/verifier", verifier),
        Route("/api/models/{name}/files/{key}", verifier_file),
        Route("/api/requests/{rid:int}/offchain", offchain),
        Mount("/static", app=StaticFiles(directory=STATIC)),
        Mount("/vendor", app=StaticFiles(directory=VENDOR_DIR)),
    ]
    return Starlette(routes=routes, middleware=[Middleware(IsolationHeaders)])


def serve(site: Site, *, host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning") -> None:
    """Serve ``site`` with uvicorn until SIGINT/SIGTERM."""
    import uvicorn

    uvicorn.run(create_app(site), host=host, port=port, log_level=log_level)


def dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True)
