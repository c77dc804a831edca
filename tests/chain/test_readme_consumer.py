"""The README's consumer contract compiles as written, next to a copy of verifier-contracts/src."""

from __future__ import annotations

import re
import shutil

import pytest

from zkrevox.chain.paths import contracts_dir, repo_root
from zkrevox.chain.solc import compile_files

pytestmark = pytest.mark.chain


def test_readmeConsumerSnippet_compiles(tmp_path):
    readme = (repo_root() / "README.md").read_text()
    (snippet,) = re.findall(r"```solidity\n(.*?)```", readme, re.S)
    shutil.copytree(contracts_dir() / "src", tmp_path / "src")
    (tmp_path / "src" / "MyAgent.sol").write_text(snippet)
    compiled = compile_files([tmp_path / "src" / "MyAgent.sol"], base=tmp_path)
    assert compiled["MyAgent"].deployed_size > 0
