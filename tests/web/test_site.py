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


def test_verifier_srs_keeps_what_a_verifier_reads(prover):
    from zkrevox.chain.site import verifier_srs

    full = prover.srs_path.read_bytes()
    k = int.from_bytes(full[:4], "little")
    reduced = verifier_srs(full)
    assert len(reduced) == 4 + 4 * 64 + 2 * 128 and int.from_bytes(reduced[:4], "little") == 1
    assert reduced[4:68] == full[4:68]  # g[0]
    assert reduced[-256:] == full[-256:]  # g2, s·g2
    assert len(full) == 4 + 2 * 64 * (1 << k) + 256


def test_verifier_srs_refuses_another_layout():
    import pytest

    from zkrevox.errors import ArtifactError

    with pytest.raises(ArtifactError, match="not a raw KZG parameter file"):
        verifier_srs_of(b"\x0e\x00\x00\x00" + b"\x00" * 100)


def verifier_srs_of(data: bytes) -> bytes:
    from zkrevox.chain.site import verifier_srs

    return verifier_srs(data)
