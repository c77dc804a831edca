"""The rules every shell applies the same way (the CLI, the node, the web server): which model a
command means when none is named, what a fulfilment must pass before anything is proven or sent,
and how an answer bitmap reads as the agent's labels. A fix here holds for all of them.

Errors are ``InputError`` naming the problem and the fix; nothing is sent by these functions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from zkrevox.chain.client import DPromptClient, RequestInfo, bitmap_indices
from zkrevox.chain.deploy import Deployment, ModelRecord
from zkrevox.errors import InputError

# ---------------------------------------------------------------- answers


def answer_labels(bitmap: int, labels: list[str] | tuple[str, ...], n: int) -> list[str]:
    """An answer bitmap (bit i: output i positive) as the model's label names, in output order;
    ``#i`` for an output without a name."""
    return [labels[i] if i < len(labels) else f"#{i}" for i in bitmap_indices(bitmap, n)]


def answer_key(model: str, record: ModelRecord | None = None) -> str:
    """The JSON key of ``model``'s answers: its agent's (``tickers``, ``intents``; a model published
    under another name, the agent it was built from), else ``labels``."""
    from zkrevox.agents import answer_key as agent_key

    return agent_key(getattr(record, "source_model", None) or model)


def iso_time(ts: int) -> str:
    """A chain-clock time (unix seconds) as ISO 8601 UTC, e.g. 2026-12-08T01:40:00+00:00."""
    return dt.datetime.fromtimestamp(int(ts), tz=dt.timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------- model defaults


def deployment_model(dep: Deployment, model: str | None) -> str:
    """``model``, or the deployment's only model; InputError naming them when it holds several."""
    if model is not None:
        return model
    names = sorted(dep.models)
    if len(names) == 1:
        return names[0]
    raise InputError(f"the deployment {dep.path} holds models {', '.join(names) or 'none'}: pass "
                     f"--model NAME (e.g. --model {names[0] if names else 'NAME'})")


def request_model(client: DPromptClient, dep: Deployment, model: str | None, request_id: int) -> str:
    """``model``, or the recorded model request ``request_id`` was made for."""
    if model is not None:
        return model
    model_id = client.request_info(request_id).model_id
    for name, record in dep.models.items():
        if record.model_id == model_id:
            return name
    raise InputError(f"request {request_id} is for model {model_id}, which the deployment record {dep.path} "
                     f"does not hold (models: {', '.join(sorted(dep.models)) or 'none'}); publish it with "
                     "`zkrevox publish NAME`, or pass --model NAME")


def only_local_model(model: str | None, command: str) -> str:
    """``model``, or the only model under ``models/``; InputError naming them when there are several."""
    from zkrevox.model_files import known_models

    if model is not None:
        return model
    known = known_models()
    if len(known) == 1:
        return known[0]
    raise InputError(f"name the model: `zkrevox {command} NAME` (models: {', '.join(known) or 'none'})")


# ---------------------------------------------------------------- before a fulfilment


def check_fulfillable(client: DPromptClient, dep: Deployment, signer: str, info: RequestInfo, record: ModelRecord,
                      model: str) -> None:
    """What ``fulfil`` would refuse on-chain, read from the chain before anything is proven or sent:
    a request that does not exist, is answered, reclaimed or expired, is assigned to another
    provider than ``signer``, is for another model, or a record whose verifier is stale."""
    rid = info.request_id
    if info.status == "none":
        raise InputError(f"no request {rid} on DPrompt {dep.dprompt.address}; check the id "
                         f"(`zkrevox answer {rid}`)")
    if info.status == "fulfilled":
        raise InputError(f"request {rid} is already fulfilled; read it with `zkrevox answer {rid}`")
    if info.status == "reclaimed":
        raise InputError(f"request {rid} was settled after its missed deadline; it can no longer be "
                         "fulfilled")
    if info.status == "expired":
        raise InputError(f"request {rid}'s deadline ({iso_time(info.deadline)}) has passed; it can no longer be "
                         "fulfilled, only settled (`zkrevox reclaim ID`, by anyone)")
    if info.provider.lower() != signer.lower():
        raise InputError(
            f"request {rid} is assigned to {info.provider}, not to this key ({signer}); only the "
            "assigned provider can fulfil it: sign with its key"
        )
    if info.model_id != record.model_id:
        names = [n for n, r in dep.models.items() if r.model_id == info.model_id]
        hint = f"pass --model {names[0]}" if names else "its model is not in the deployment record"
        raise InputError(f"request {rid} is for model {info.model_id}, not {model!r} (model {record.model_id}); "
                         + hint)
    if client.model(record.model_id).verifier.lower() != record.verifier.address.lower():
        raise InputError(f"model {record.model_id} on-chain has another verifier than {dep.path} records; "
                         "the record is stale: check it with `zkrevox models`")


def check_proof_matches(client: DPromptClient, info: RequestInfo, record: ModelRecord, chain_proof: Any,
                        outputs: list[int], prompt: str, claimed_prompt: str | None, vk: str | None) -> None:
    """A proof about to fulfil request ``info``: made with the registered vk, and its public inputs
    are the ones DPrompt rebuilds for the request (its stored features and these outputs)."""
    if vk is not None and vk != record.vk_sha256:
        raise InputError(f"proof was made with vk {vk[:12]}…, the registered model's is {record.vk_sha256[:12]}…")
    expected = client.public_instances(info.request_id, outputs)
    if expected != chain_proof.instances:
        about = f" (it proves {claimed_prompt!r})" if claimed_prompt is not None else ""
        raise InputError(
            f"proof's public inputs are not request {info.request_id}'s: it was made for another prompt{about}, "
            f"the request's prompt is {prompt!r}; prove this prompt, or pass --skip-local-checks to let the "
            "contract refuse it on-chain"
        )
