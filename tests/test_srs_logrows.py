"""Issue 20 item 3: an SRS matches its circuit's logrows exactly. A larger SRS would be downsized
at every ``prove`` (its Lagrange basis rebuilt: 8.8–17 s instead of 0.6 s on 2^14), so ``zkrevox
build`` refuses one and loading artifacts whose SRS has other logrows than the circuit is an
ArtifactError naming ``zkrevox build``. Real SRS files (``ezkl.gen_srs``), real built artifacts."""

from __future__ import annotations

import json
import shutil

import pytest

from zkrevox.artifacts import artifacts_root, sha256_file
from zkrevox.errors import ArtifactError
from zkrevox.srs import provide_srs, srs_logrows


def _srs(path, k):
    import ezkl

    ezkl.gen_srs(str(path), k)
    return path


def test_srsLogrows_readsTheHeaderOfRealFiles(tmp_path):
    assert srs_logrows(_srs(tmp_path / "k5.srs", 5)) == 5
    (tmp_path / "junk.srs").write_bytes(b"\x00\x00")
    with pytest.raises(ArtifactError, match="not a KZG SRS file"):
        srs_logrows(tmp_path / "junk.srs")


@pytest.mark.parametrize(("k", "what"), [(7, "downsized at every prove"), (5, "cannot prove it")])
def test_provideSrs_refusesAUserSrsOfOtherLogrows(tmp_path, k, what):
    user = _srs(tmp_path / "user.srs", k)
    with pytest.raises(ArtifactError, match=rf"logrows {k}, the circuit needs exactly 6.*{what}.*kzg6\.srs"):
        provide_srs(tmp_path / "out.srs", 6, user, None)
    assert not (tmp_path / "out.srs").exists()
    assert provide_srs(tmp_path / "out.srs", k, user, None) == "user"  # exactly right: taken


def test_loadingArtifactsWithALargerSrs_isAnArtifactErrorNamingBuild(prover, tmp_path):
    from zkrevox import Prover

    src = artifacts_root() / "ticker"
    root = tmp_path / "artifacts"
    shutil.copytree(src, root / "ticker", ignore=shutil.ignore_patterns("by-vk"))
    manifest = json.loads((root / "ticker" / "manifest.json").read_text())
    assert srs_logrows(root / "ticker" / "kzg.srs") == manifest["logrows"]
    assert Prover.load("ticker", root=root).manifest["logrows"] == manifest["logrows"]

    # an SRS one size larger, recorded in the manifest as if a build had taken it: still refused
    _srs(root / "ticker" / "kzg.srs", manifest["logrows"] + 1)
    manifest["files"]["srs"]["sha256"] = sha256_file(root / "ticker" / "kzg.srs")
    manifest["srs_logrows"] = manifest["logrows"] + 1
    (root / "ticker" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"downsize it and rebuild its Lagrange basis; run `zkrevox build ticker`"):
        Prover.load("ticker", root=root)
