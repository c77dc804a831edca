"""Issue 14: `zkrevox build` keeps a deployment's keys, builds every batch size it accepts, and
leaves nothing behind when it fails. Builds go to a temporary ZKREVOX_ARTIFACTS root."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zkrevox.errors import ArtifactError

pytestmark = pytest.mark.slow
ZK = str(Path(sys.executable).with_name("zkrevox"))


def build(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZKREVOX_ARTIFACTS": str(root)}
    return subprocess.run([ZK, "build", "ticker", *args, "--json"], capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.mark.parametrize("batch", ["0", "65", "-1"])
def test_a_batch_size_outside_1_to_64_is_refused_up_front(tmp_path, batch):
    res = build(tmp_path, "--batch", batch)
    assert res.returncode == 1, res.stderr
    assert "batch size must be 1 to 64" in res.stderr
    assert "internal error" not in res.stderr
    assert list(tmp_path.iterdir()) == []  # no .building left behind


def test_batch_3_builds_and_a_rebuild_keeps_its_keys(tmp_path):
    """The issue's `build --batch 3` (calibration 64 prompts, not a multiple of 3), built twice: the
    second build reuses the SRS, so the vk a deployment registered stays valid."""
    first = build(tmp_path, "--batch", "3")
    assert first.returncode == 0, first.stderr
    vk = json.loads(first.stdout)["vk_sha256"]
    second = build(tmp_path, "--batch", "3")
    assert second.returncode == 0, second.stderr
    assert "srs: reusing" in second.stderr and "INSECURE" in second.stderr
    assert json.loads(second.stdout)["vk_sha256"] == vk
    manifest = json.loads((tmp_path / "ticker-b3" / "manifest.json").read_text())
    assert manifest["srs_logrows"] == manifest["logrows"]  # the SRS is for exactly the circuit's size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ticker-b3"]

    from zkrevox import Prover

    prover = Prover.load("ticker", root=tmp_path, batch=3, vk_sha256=vk)
    assert [p.labels for p in prover.predict_batch(["swap 2 bnb for cake", "eth", "hello"])] == [
        ["BNB", "CAKE"], ["ETH"], []]


def test_a_rebuild_that_changes_the_vk_keeps_the_old_build_addressable(tmp_path):
    import ezkl

    from zkrevox import Prover

    root = tmp_path / "artifacts"
    first = build(root, "--batch", "2")
    assert first.returncode == 0, first.stderr
    old_vk = json.loads(first.stdout)["vk_sha256"]
    other_srs = tmp_path / "other.srs"
    ezkl.gen_srs(str(other_srs), json.loads(first.stdout)["logrows"])
    second = build(root, "--batch", "2", "--srs", str(other_srs))
    assert second.returncode == 0, second.stderr
    new_vk = json.loads(second.stdout)["vk_sha256"]
    assert new_vk != old_vk
    kept = root / "ticker-b2" / "by-vk" / old_vk
    assert (kept / "vk.key").is_file() and str(kept) in second.stderr

    assert Prover.load("ticker", root=root, batch=2).manifest["files"]["vk"]["sha256"] == new_vk
    old = Prover.load("ticker", root=root, batch=2, vk_sha256=old_vk)
    assert old.artifacts.path == kept and old.manifest["files"]["vk"]["sha256"] == old_vk
    proof = old.prove_batch(["swap 2 bnb for cake", "eth"], out_dir=tmp_path / "proof")
    assert proof.vk_sha256 == old_vk and old.verify(proof)
    with pytest.raises(ArtifactError, match="no ticker-b2 build has verifying key"):
        Prover.load("ticker", root=root, batch=2, vk_sha256="ab" * 32)

    # the manifest check still holds for a kept build: a swapped key is refused
    (kept / "vk.key").write_bytes((root / "ticker-b2" / "vk.key").read_bytes())
    with pytest.raises(ArtifactError, match=r"does not match manifest\.json"):
        Prover.load("ticker", root=root, batch=2, vk_sha256=old_vk)


def test_a_failed_build_leaves_no_building_directory_and_the_old_artifacts(tmp_path):
    from zkrevox.circuit import build as run

    (tmp_path / "ticker-b5").mkdir()
    (tmp_path / "ticker-b5" / "manifest.json").write_text("{}")

    def fail_at_setup(label: str) -> None:
        if label == "compile":
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        run("ticker", batch=5, root=tmp_path, step=fail_at_setup)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ticker-b5"]
    assert (tmp_path / "ticker-b5" / "manifest.json").read_text() == "{}"
