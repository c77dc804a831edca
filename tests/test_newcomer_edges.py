"""Issue 18, item 6: newcomer rough edges, each held: a closed pipe under `--help` is 141 as the
README says, negative numbers are arguments with a message (not "No such option"), empty lines of
`predict --input-file` are said on stderr, the demo's single-fulfil figure comes from the gas
snapshot, and ezkl's own warnings are quiet unless ZKREVOX_LOG asks for them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ZKREVOX = str(Path(sys.executable).parent / "zkrevox")


@pytest.mark.parametrize("args", [["--help"], ["chain", "--help"]])
def test_helpIntoAClosedPipe_exits141(args):
    proc = subprocess.run(["bash", "-c", f'"{ZKREVOX}" {" ".join(args)} | head -1 >/dev/null; '
                                         'echo "${PIPESTATUS[0]}"'], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "141", proc.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["answer", "-1"], "request ids are 0 or more, got -1"),
    (["chain", "advance", "-5"], "SECONDS must be positive, got -5"),
])
def test_negativeNumber_isAnArgumentWithAMessage(args, message):
    proc = subprocess.run([ZKREVOX, *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and message in proc.stderr and "No such option" not in proc.stderr, proc.stderr


def test_predictInputFile_emptyLinesAreSaid(prover, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("swap 2 bnb for cake\n\n   \nprice of eth\n")
    proc = subprocess.run([ZKREVOX, "predict", "ticker", "--input-file", str(prompts), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 2
    assert "skipped 2 empty or blank line(s)" in proc.stderr and "(line 2, 3)" in proc.stderr


def test_demoSingleFulfilFigure_isTheGasSnapshots():
    from zkrevox.chain.demo import _single_fulfil_note
    from zkrevox.chain.paths import contracts_dir

    gas = json.loads((contracts_dir() / "snapshots" / "gas.json").read_text())["fulfil ticker N=1, per request: total"]
    assert f"{gas / 1000:,.0f}k" in _single_fulfil_note()


@pytest.mark.parametrize(("log", "level"), [("", "ERROR"), ("info", "NOTSET")])
def test_ezklWarnings_quietUnlessAskedFor(log, level):
    code = ("import logging, sys; from zkrevox.cli import main; sys.argv = ['zkrevox', '--version-none']\n"
            "try:\n    main(['models', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(logging.getLevelName(logging.getLogger('ezkl').level), file=sys.stderr)")
    env = {"ZKREVOX_LOG": log} if log else {}
    import os

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**{k: v for k, v in os.environ.items() if k != "ZKREVOX_LOG"}, **env})
    assert proc.stderr.strip().splitlines()[-1] == level, proc.stderr
