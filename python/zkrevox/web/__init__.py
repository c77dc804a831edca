"""``zkrevox web``: a small ASGI app (Starlette, served by uvicorn) for people, not scripts.

Pages are plain ES modules (no bundler): ``/`` asks an agent, ``/requests/ID`` follows a request
(timeline, answer, in-browser verification), ``/market`` lists the published models with their
verifiable-build status, ``/provider/ADDRESS`` a provider's stake and earnings. The pages read and
write the chain through its RPC directly (ethers 6, vendored from npm); the server answers only
what Python knows: the deployment's config, the verifier files with their sha256, the local builds,
and (with ``--store``) a request's off-chain state in the node's job store. No key reaches a page:
on a local chain the page signs with anvil's unlocked dev accounts through the RPC, elsewhere with
an injected wallet, or reads only.
"""

from zkrevox.web.app import Site, create_app, serve

__all__ = ["Site", "create_app", "serve"]
