"""zkrevox.chain.site: the rules the pages and the CLI share (no browser)."""

from __future__ import annotations

from zkrevox.chain.rules import answer_labels
from zkrevox.chain.site import LocalBuild, build_status, local_build


def test_answer_labels_names_outputs_in_order_and_unnamed_ones_by_index():
    assert answer_labels(0b1011, ["A", "B", "C"], 5) == ["A", "B", "#3"]
    assert answer_labels(0, ["A"], 1) == []


def test_build_status_states():
    local = LocalBuild("ticker", "ab" * 32, "cd" * 32)
    assert build_status("0x" + "ab" * 32, "cd" * 32, local)["state"] == "verified"
    bad = build_status("ee" * 32, "cd" * 32, local)
    assert bad["state"] == "mismatch" and "vk sha256" in bad["detail"] and "spec" not in bad["detail"]
    none = build_status("ab" * 32, "cd" * 32, LocalBuild("x", None, None, "no artifacts/x/"))
    assert none == {"state": "no local build", "detail": "no artifacts/x/"}


def test_local_build_of_an_unknown_model_says_why(prover):
    assert local_build("ticker").vk_sha256 == prover.manifest["files"]["vk"]["sha256"]
    missing = local_build("no-such-model")
    assert missing.vk_sha256 is None and missing.problem


def test_web_refuses_an_rpc_that_does_not_answer():
    import subprocess
    import sys

    from zkrevox.chain.anvil import free_port

    url = f"http://127.0.0.1:{free_port()}"
    run = subprocess.run([sys.executable, "-c", "from zkrevox.cli import main; main()", "web", "--rpc", url],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stderr
    assert url in run.stderr and "error:" in run.stderr
