"""Whether a request assigned to this provider should be proved at all: a pure decision.

A request is skipped (reported, never attempted) when it is for another model, or when its
deadline leaves less time than a proof plus the margin for the fulfilment to be mined.

A prompt is never skipped for its content: DPrompt's ``request`` accepts 1 to ``maxBytes`` bytes
of any value (UTF-8 or not) and the featurizer is defined on all of them, so every prompt the
contract took can be proved, and skipping one would cost the provider stake for nothing. The
``bad-prompt`` check below is only a guard against a node whose spec disagrees with the
contract's (an empty or over-long prompt cannot be requested on-chain).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from zkrevox.errors import InputError
from zkrevox.featurize import FeatureSpec, prompt_bytes
from zkrevox.node.jobs import Job


@dataclass(frozen=True)
class Skip:
    reason: str  # short code: other-model, bad-prompt, deadline (reclaimed, not-assigned: from the chain)
    message: str


def when_utc(ts: float) -> str:
    return _dt.datetime.fromtimestamp(int(ts), tz=_dt.timezone.utc).isoformat(timespec="seconds")


def deadline_skip(job: Job, now: float, needed: float) -> Skip | None:
    """A ``Skip`` if fewer than ``needed`` seconds are left before the request's deadline."""
    left = job.deadline - now
    if left >= needed:
        return None
    return Skip("deadline", f"deadline {when_utc(job.deadline)} cannot be met: {max(left, 0):.0f}s left, about "
                            f"{needed:.0f}s needed to prove and have the fulfilment mined; skipped, not attempted")


def admit(job: Job, *, model_id: int, model_name: str, spec: FeatureSpec, now: float, needed: float) -> Skip | None:
    """``None`` if the node should prove ``job`` now; otherwise why not."""
    if job.model_id != model_id:
        return Skip("other-model", f"request is for model {job.model_id}; this node proves {model_name} "
                                   f"(model {model_id}) only: run a node for that model")
    try:
        prompt_bytes(job.prompt, spec)  # any bytes: only the length is checked (FEATURIZER.md section 1)
    except InputError as exc:
        return Skip("bad-prompt", f"prompt cannot be proved: {exc}")
    return deadline_skip(job, now, needed)
