"""Publish a model to an existing DPrompt deployment, from any account.

:func:`zkrevox.chain.deploy.deploy` creates a DPrompt and publishes its first model as the
deployer; :func:`publish` adds another model to that DPrompt (``deployments/<chainId>.json``) as
whichever account signs: it deploys the verifier generated for the model's verifying key, calls
``publishModel`` (the signer becomes the publisher, credited ``developer_share_bps`` of the fee per
answer), registers the batch verifiers built locally, and records the model in the deployment file
under ``as_name``. A name already recorded for a live model is never overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import (
    Deployment,
    ModelParams,
    ModelRecord,
    _display_path,
    apply_bond_rule,
    check_economics,
    check_window_on,
    checked_verifier,
    deploy_contract,
    plan_batch_verifiers,
    register_batch_verifier,
    rule_fields,
    write_deployment,
)
from zkrevox.chain.vocab_table import build_table, spec_hash
from zkrevox.errors import DeploymentError

log = logging.getLogger(__name__)


def check_name_free(w3: Web3, dep: Deployment, name: str) -> None:
    """Refuse ``name`` when the deployment record holds a live model under it (a retired one,
    or one that is no longer on-chain, may be replaced)."""
    record = dep.models.get(name)
    if record is None:
        return
    client = DPromptClient(w3, dep.dprompt.address)
    if record.model_id <= client.model_count() and not client.model(record.model_id).retired:
        raise DeploymentError(
            f"{dep.path} already records a live model {name!r} (id {record.model_id}, published by "
            f"{record.publisher or 'the deployer'}); publish under another name (`zkrevox publish "
            f"{record.source_model or name} --as NEW_NAME`), or have its publisher retire it first"
        )
    log.warning("replacing the record of retired model %r (id %d) in %s", name, record.model_id, dep.path)


def publish(
    w3: Web3,
    account: LocalAccount,
    dep: Deployment,
    params: ModelParams,
    *,
    as_name: str | None = None,
    verifier_sol: Path | None = None,
    batch_sizes: Iterable[int] = (),
    directory: Path | None = None,
    write: bool = True,
) -> ModelRecord:
    """Publish ``params`` to ``dep``'s DPrompt as ``account`` and record it as ``as_name``
    (default ``params.name``). ``verifier_sol``: the verifier to deploy (default: the one generated
    for the model's vk, :func:`~zkrevox.chain.deploy.current_verifier`). ``batch_sizes``: also
    register the verifiers of those batch circuits (``artifacts/<model>-b<N>/``)."""
    name = as_name or params.name
    if not name.strip():
        raise DeploymentError("a model needs a non-empty name in the deployment record (--as NAME)")
    check_name_free(w3, dep, name)
    verifier_sol, compiled = checked_verifier(params, verifier_sol)
    check_economics(params)
    check_window_on(w3, params)
    plans = plan_batch_verifiers(params.name, batch_sizes, num_outputs=params.num_outputs,
                                 input_scale=params.input_scale)  # every check before the first transaction
    verifier = deploy_contract(w3, account, compiled)
    params = apply_bond_rule(w3, account, params, verifier.address)
    client = DPromptClient(w3, dep.dprompt.address, account)
    model_id, receipt = client.publish_model(params.config_for(verifier.address), build_table(params.spec).data)
    record = ModelRecord(
        model_id=model_id, verifier=verifier, verifier_source=_display_path(verifier_sol),
        verifier_size=compiled.deployed_size, vk_sha256=params.vk_sha256,
        spec_sha256=spec_hash(params.spec).hex(), register_tx="0x" + bytes(receipt["transactionHash"]).hex(),
        fee_wei=params.fee_wei, num_outputs=params.num_outputs, input_scale=params.input_scale,
        labels=list(params.labels), publisher=account.address, developer_share_bps=params.developer_share_bps,
        source_model=params.name if name != params.name else "", **rule_fields(params),
    )
    dep.models[name] = record
    directory = directory or (dep.path.parent if dep.path else None)
    if write:  # recorded at once: a batch registration that fails below leaves the model findable
        write_deployment(dep, directory)
    for plan in plans:
        register_batch_verifier(w3, account, dep, name, plan.size, directory=directory, write=write,
                                artifacts_model=params.name, plan=plan)
    return record
