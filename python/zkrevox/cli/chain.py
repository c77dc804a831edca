"""On-chain commands: deploy, provider stake/unbond/withdraw, request, fulfil, fulfil-batch,
answer, reclaim, withdraw, chain up, chain verifier (and, from ``cli/optimistic.py``, finalize and
dispute). ``register(app)`` mounts them on the ``zkrevox`` app.

Every command takes ``--rpc URL`` (else ``$ZKREVOX_RPC_URL``, else the ``--network`` preset) and
``--json``. Keys come from the environment only (see ``zkrevox.chain.keys``).

The commands live in one module per group: ``cli/deploy.py``, ``cli/provider.py``, ``cli/requests.py``,
``cli/chain_tools.py`` (``zkrevox chain …``); what they share in ``cli/_chainctx.py``. Their names stay
importable from here.
"""

from __future__ import annotations

import typer

from zkrevox.cli._chainctx import (  # noqa: F401  (re-exported)
    NUMBER_ARGS,
    AnswerBondOpt,
    ChallengeWindowOpt,
    GasPriceOpt,
    JsonOpt,
    ModelOpt,
    NetworkOpt,
    OptimisticFeeOpt,
    RpcOpt,
    SkipChecksOpt,
    StakePriceOpt,
    _answer_key,
    _check_funded,
    _Ctx,
    _decimal,
    _iso,
    _labels,
    _only_model,
    _optimistic_economics,
    _token_address,
    _tx,
    _units,
    _wei,
)
from zkrevox.cli.chain_tools import chain_app
from zkrevox.cli.deploy import _add_to_live_deployment, _deploy_new, deploy  # noqa: F401
from zkrevox.cli.provider import provider_app
from zkrevox.cli.requests import (  # noqa: F401  (re-exported)
    _check_fulfillable,
    _local_checks,
    _proof_meta,
    _registered_prover,
    answer,
    fulfil,
    fulfil_batch,
    reclaim,
    request,
    withdraw,
)


def register(app: typer.Typer) -> None:
    """Mount the on-chain commands on the main ``zkrevox`` app."""
    app.command()(deploy)
    app.command()(request)
    app.command()(fulfil)
    app.command("fulfil-batch")(fulfil_batch)
    app.command(context_settings=NUMBER_ARGS)(answer)
    app.command()(reclaim)
    app.command()(withdraw)
    app.add_typer(provider_app, name="provider")
    app.add_typer(chain_app, name="chain")
    from zkrevox.cli import optimistic

    optimistic.register(app)  # finalize, dispute


app = typer.Typer(help="zkrevox on-chain commands (standalone).", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
register(app)

if __name__ == "__main__":
    app()
