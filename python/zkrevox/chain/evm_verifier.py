"""Get ezkl's generated Solidity verifier for a circuit, without a network.

ezkl 23's ``create_evm_verifier`` (a coroutine) renders the Solidity, then compiles it to write
the ABI. For that it looks for a compiler only at ``$HOME/.svm/0.8.20/solc-0.8.20`` and
otherwise tries to download one, which fails offline after the ``.sol`` is written. Rather than
accept that half-failed call, we run it in a child process whose ``HOME`` is a throw-away
directory holding an executable at that path that runs our pinned solc-js
(``verifier-contracts/scripts/solc-standard-json.js``: it buffers ezkl's non-blocking stdin
and writes clean JSON). The call then succeeds end to end; we check its ABI, add a
"generated — do not edit" header, and compile the result ourselves (``solc.compile_verifier``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from zkrevox.chain.paths import contracts_dir, node_executable
from zkrevox.chain.solc import compile_verifier
from zkrevox.errors import ArtifactError

SVM_VERSION = "0.8.20"  # the solc version ezkl 23 asks svm for
# The child leaves with os._exit: ezkl's runtime threads crashed the interpreter's shutdown
# (SIGSEGV) in about one run out of three, after the work was done.
_WORKER = r"""
import asyncio, inspect, os, sys
import ezkl

async def main():
    vk, settings, srs, sol, abi = sys.argv[1:6]
    result = ezkl.create_evm_verifier(vk, settings, sol, abi, srs, False)
    if inspect.isawaitable(result):
        result = await result
    if result is not True:
        raise SystemExit(f"create_evm_verifier returned {result!r}")

asyncio.run(main())
sys.stdout.write("ZKREVOX-OK\n")
sys.stdout.flush()
os._exit(0)
"""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fake_home(root: Path) -> Path:
    """A HOME whose svm directory holds a solc-js wrapper where ezkl looks for solc."""
    svm = root / ".svm" / SVM_VERSION
    svm.mkdir(parents=True)
    wrapper = svm / f"solc-{SVM_VERSION}"
    script = contracts_dir() / "scripts" / "solc-standard-json.js"
    wrapper.write_text(f'#!/bin/sh\nexec "{node_executable()}" "{script}" "$@"\n')
    wrapper.chmod(0o755)
    return root


def render_verifier(vk: Path, settings: Path, srs: Path, work: Path) -> tuple[str, list[dict]]:
    """Run ezkl's generator in a child process; return (Solidity source, ABI)."""
    for what, path in (("verifying key", vk), ("settings", settings), ("SRS", srs)):
        if not Path(path).is_file():
            raise ArtifactError(f"{what} {path} not found; build the circuit first (`zkrevox build <model>`)")
    home = _fake_home(work / "home")
    sol, abi = work / "Verifier.sol", work / "Verifier.abi"
    env = {**os.environ, "HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-c", _WORKER, str(vk), str(settings), str(srs), str(sol), str(abi)],
        env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    if proc.returncode != 0 or "ZKREVOX-OK" not in proc.stdout or not sol.is_file() or not abi.is_file():
        tail = (proc.stderr or proc.stdout).strip()[-1500:]
        raise ArtifactError(f"ezkl create_evm_verifier failed (exit {proc.returncode}): {tail}")
    abi_json = json.loads(abi.read_text())
    names = {(f.get("name"), tuple(i["type"] for i in f.get("inputs", []))) for f in abi_json}
    if ("verifyProof", ("bytes", "uint256[]")) not in names:
        raise ArtifactError(
            "ezkl's verifier has no verifyProof(bytes,uint256[]); this ezkl version renders another interface"
        )
    return sol.read_text(), abi_json


def generate_verifier(
    model: str, vk: Path, settings: Path, srs: Path, out: Path, *, regenerate: str | None = None
) -> Path:
    """Write ``out`` (under ``verifier-contracts/src/generated/``) and check that it compiles."""
    import ezkl

    with tempfile.TemporaryDirectory(prefix="zkrevox-evm-") as tmp:
        source, _abi = render_verifier(Path(vk), Path(settings), Path(srs), Path(tmp))
    header = (
        "// GENERATED — DO NOT EDIT.\n"
        f"// ezkl {getattr(ezkl, '__version__', '?')} create_evm_verifier output for the `{model}` circuit.\n"
        f"// Regenerate: {regenerate or f'zkrevox chain verifier {model}'}\n"
        f"// vk.key sha256: {_sha256(Path(vk))}\n"
        f"// settings.json sha256: {_sha256(Path(settings))}\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + source)
    compile_verifier(out)
    return out


def generate_for_model(model: str = "ticker", out: Path | None = None) -> Path:
    """Generate ``src/generated/<Model>Verifier.sol`` (or ``out``) from ``artifacts/<model>/``."""
    from zkrevox.artifacts import Artifacts
    from zkrevox.chain.deploy import verifier_path
    from zkrevox.model_files import ModelFiles, model_dir

    artifacts = Artifacts.for_model(model, ModelFiles(model_dir(model)))
    artifacts.check(("settings", "vk", "srs"))
    return generate_verifier(
        model, artifacts.file("vk"), artifacts.file("settings"), artifacts.file("srs"), out or verifier_path(model)
    )
