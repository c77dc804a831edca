"""Where the chain tooling lives: the repository, its contracts and the pinned npm tools."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from zkrevox.errors import ChainError


def repo_root() -> Path:
    """The zkrevox checkout: ``$ZKREVOX_ROOT``, else the checkout this file is in, else the cwd."""
    env = os.environ.get("ZKREVOX_ROOT")
    if env:
        return Path(env).resolve()
    for parent in Path(__file__).resolve().parents:
        if (parent / "verifier-contracts").is_dir() and (parent / "package.json").is_file():
            return parent
    return Path.cwd()


def contracts_dir() -> Path:
    return repo_root() / "verifier-contracts"


def deployments_dir() -> Path:
    """Where deployment records live: ``$ZKREVOX_DEPLOYMENTS``, else ``<repo>/deployments``."""
    env = os.environ.get("ZKREVOX_DEPLOYMENTS")
    return Path(env) if env else repo_root() / "deployments"


def build_dir() -> Path:
    """Scratch space for caches (git-ignored)."""
    return repo_root() / "build"


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        raise ChainError("`node` is not on PATH; install Node.js 18+ and run `make setup`")
    return node


def foundry_tool(name: str) -> Path:
    """Path of ``anvil`` or ``cast``: the pinned ``@foundry-rs/<name>-linux-amd64`` npm package,
    else one on PATH."""
    path = repo_root() / "node_modules" / "@foundry-rs" / f"{name}-linux-amd64" / "bin" / name
    if path.is_file():
        return path
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ChainError(f"{name} not found at {path} nor on PATH; run `make setup` (npm ci) to install the pinned tools")
