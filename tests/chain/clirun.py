"""Driving the ``zkrevox`` CLI in-process against the session's anvil, with a private copy of the
deployment record (so a test that publishes does not change the session's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chainenv import Env
from typer.testing import CliRunner

from zkrevox.chain.deploy import Deployment, write_deployment
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.cli import app


def own_deployment(env: Env, directory: Path) -> Deployment:
    """A copy of the session's deployment record in ``directory``."""
    dep = Deployment.from_json(env.dep.to_json())
    write_deployment(dep, directory)
    return dep


def run(env: Env, deployments: Path, key_index: int | None, *args: str, as_json: bool = True
        ) -> tuple[int, Any, str]:
    """``zkrevox ARGS [--json]`` signed by anvil dev key ``key_index`` (None: no key);
    returns (exit code, parsed stdout or the raw text, stderr)."""
    variables = {"ZKREVOX_RPC_URL": env.rpc, "ZKREVOX_DEPLOYMENTS": str(deployments),
                 "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[key_index] if key_index is not None else ""}
    result = CliRunner().invoke(app, [*args, *(["--json"] if as_json else [])], env=variables)
    out: Any = result.stdout
    if as_json and result.stdout.strip():
        out = json.loads(result.stdout)
    return result.exit_code, out, result.stderr
