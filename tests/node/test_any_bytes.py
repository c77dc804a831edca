"""Whatever bytes DPrompt's ``request`` accepts, a running node proves (issue 9).

A requester could send a prompt that is not UTF-8 (``swap 2 \\xff\\xfe for cake``): the contract
accepted and featurized it, the node skipped it as a bad prompt, and after the deadline the
requester reclaimed the fee and slashed the honest provider. The featurizer is defined on bytes,
so every prompt of 1..maxBytes bytes must be answered.

Property test against a real node (real anvil, real proofs): each hypothesis example starts a
node, sends the issue's exact bytes and a few drawn byte strings, and checks every one is
fulfilled exactly once with the answer the circuit gives for those bytes. The default suite runs
one example (six requests); ``ZKREVOX_ANY_BYTES_EXAMPLES=N`` runs N.
"""

from __future__ import annotations

import os
import string
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nodeenv import NodeEnv, config, fulfilled_events, node_thread, wait_states

from zkrevox.featurize import featurize_bytes, prompt_text
from zkrevox.model_files import ModelFiles, model_dir

pytestmark = [pytest.mark.chain, pytest.mark.slow]

ISSUE_9 = bytes.fromhex("73776170203220fffe20666f722063616b65")  # b"swap 2 \xff\xfe for cake"
SPEC = ModelFiles(model_dir("ticker")).spec()
EXAMPLES = int(os.environ.get("ZKREVOX_ANY_BYTES_EXAMPLES", "1"))
PER_NODE = 5  # drawn prompts per example, besides ISSUE_9

_words = st.one_of(st.sampled_from(SPEC.vocab), st.text(alphabet=string.ascii_letters + string.digits, min_size=1,
                                                         max_size=8)).map(str.encode)
_with_junk = st.lists(st.tuples(_words, st.binary(min_size=1, max_size=3)), min_size=1, max_size=12).map(
    lambda parts: b"".join(w + sep for w, sep in parts)[: SPEC.max_bytes])
prompts = st.one_of(
    st.binary(min_size=1, max_size=SPEC.max_bytes),  # anything the contract takes
    st.binary(min_size=1, max_size=24),  # short: mostly invalid UTF-8
    st.lists(st.integers(0x80, 0xFF), min_size=1, max_size=SPEC.max_bytes).map(bytes),  # no ASCII at all
    st.binary(min_size=SPEC.max_bytes, max_size=SPEC.max_bytes),  # the longest
    _with_junk,  # vocabulary words between arbitrary bytes
)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=st.lists(prompts, min_size=PER_NODE, max_size=PER_NODE, unique=True).filter(
    lambda ps: ISSUE_9 not in ps))
def test_anyBytesAcceptedByRequest_areFulfilledByARunningNode(env: NodeEnv, prover, tmp_path_factory, drawn):
    snapshot = env.rpc_call("evm_snapshot", [])  # each example from the pristine deployment
    try:
        _fulfil_all(env, prover, tmp_path_factory.mktemp("any-bytes"), [ISSUE_9, *drawn])
    finally:
        env.rpc_call("evm_revert", [snapshot])


def _fulfil_all(env: NodeEnv, prover, tmp, sent: list[bytes]) -> None:
    db = tmp / "node.db"
    start = env.w3.eth.block_number
    client = env.client()
    with node_thread(config(env, db), env.provider) as node:
        ids = {env.request(p): p for p in sent}  # request accepts each one (a revert would raise)
        jobs = wait_states(db, list(ids), {"confirmed", "skipped", "failed"}, timeout=60 + 30 * len(ids))
        assert node.health()["status"] == "ok"
    not_done = {prompt_text(ids[r]): (j["state"], j["reason"], j["last_error"]) for r, j in jobs.items()
                if r in ids and j["state"] != "confirmed"}
    assert not not_done, f"requests the node did not fulfil: {not_done}"
    assert fulfilled_events(env, start) == Counter(dict.fromkeys(ids, 1))  # each exactly once
    labels = env.dep.models["ticker"].labels
    for rid, data in ids.items():
        assert client.featurize(env.model_id, data) == featurize_bytes(data, SPEC)  # the contract's features
        info = client.request_info(rid)
        assert info.status == "fulfilled"
        answered = [label for i, label in enumerate(labels) if info.answer >> i & 1]
        assert answered == prover.predict(data).labels, prompt_text(data)
