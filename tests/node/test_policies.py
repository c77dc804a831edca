"""Pure decisions of the node: backoff bounds, which faults are retried, which requests are admitted,
and the JSON log format. No chain needed."""

from __future__ import annotations

import io
import json
import logging
import random

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from zkrevox.chain.revert import RevertedError
from zkrevox.errors import ChainError, InputError, ProofError
from zkrevox.featurize import FeatureSpec
from zkrevox.model_files import ModelFiles, model_dir
from zkrevox.node.admission import admit
from zkrevox.node.jobs import Job, State
from zkrevox.node.logs import configure, event
from zkrevox.node.retry import Backoff, is_transient


@given(st.floats(0.01, 5), st.floats(0.1, 120), st.integers(0, 200), st.integers(0, 2**32))
def test_backoff_staysWithinItsBoundAndTheCap(base, cap, failures, seed):
    b = Backoff(base=base, cap=cap, rng=random.Random(seed))
    for _ in range(failures % 40):
        delay = b.next_delay()
        assert b.min_delay <= delay <= max(b.min_delay, min(cap, base * 2 ** min(b.failures, 30)))
    assert b.delay_for(failures) <= max(b.min_delay, cap)


def test_backoff_growsThenResets():
    b = Backoff(base=1, cap=8, rng=random.Random(1))
    assert [b.bound(n) for n in range(6)] == [1, 2, 4, 8, 8, 8]
    for _ in range(5):
        b.next_delay()
    b.reset()
    assert b.failures == 0


@pytest.mark.parametrize(("exc", "transient"), [
    (requests.ConnectionError("refused"), True),
    (requests.ReadTimeout("timed out"), True),
    (requests.HTTPError("429 Client Error: Too Many Requests"), True),
    (ChainError("request_info call to DPrompt failed: 503"), True),
    (ValueError("{'code': -32005, 'message': 'rate limit exceeded'}"), True),
    (RevertedError("fulfil reverted", error_name="DPromptProofRejected"), False),
    (InputError("prompt is 300 bytes"), False),
    (ProofError("ezkl failed"), False),
    (KeyError("gas"), False),
])
def test_isTransient_separatesFaultsFromVerdicts(exc, transient):
    assert is_transient(exc) is transient


def _spec() -> FeatureSpec:
    return ModelFiles(model_dir("ticker")).spec()


def _job(prompt: bytes, model_id: int = 1, deadline: int = 10_000) -> Job:
    return Job(request_id=5, state=State.PROVING, model_id=model_id, requester="0x", prompt=prompt,
               deadline=deadline, fee_wei=1, block_number=1, block_hash="0x", request_tx="0x", requested_at=0)


def test_admit_skipsOtherModelsBadPromptsAndUnmeetableDeadlines():
    spec = _spec()
    kw = dict(model_id=1, model_name="ticker", spec=spec, now=1_000, needed=15)
    assert admit(_job(b"swap 2 bnb for cake"), **kw) is None
    assert admit(_job(b"swap", model_id=2), **kw).reason == "other-model"
    too_long = admit(_job(b"a" * (spec.max_bytes + 1)), **kw)
    assert too_long.reason == "bad-prompt" and f"limit is {spec.max_bytes}" in too_long.message
    assert admit(_job(b"\xff\xfe"), **kw) is None  # any bytes the contract accepts are proved (issue 9)
    assert admit(_job(b"\xff" * spec.max_bytes), **kw) is None
    assert admit(_job(b""), **kw).reason == "bad-prompt"  # a guard: request refuses it on-chain
    late = admit(_job(b"swap 2 bnb for cake", deadline=1_010), **kw)
    assert late.reason == "deadline" and "10s left" in late.message and "not attempted" in late.message


def test_jsonLogs_oneObjectPerLineWithTheRequestId():
    stream = io.StringIO()
    handler = configure("json", stream=stream)
    try:
        event(logging.getLogger("zkrevox.node"), "request 7: seen → proving", request_id=7, state="proving")
    finally:
        logging.getLogger().removeHandler(handler)
    record = json.loads(stream.getvalue().splitlines()[-1])
    assert record["request_id"] == 7 and record["state"] == "proving" and record["level"] == "info"
    assert record["msg"] == "request 7: seen → proving" and record["ts"].endswith("+00:00")


def test_logFormat_mustBeTextOrJson():
    with pytest.raises(InputError, match="text or json"):
        configure("yaml")
