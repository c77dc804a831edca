"""What a newcomer's fresh-clone walkthrough found, each held by a test: a record written on a
restarted chain is not live even though code sits at its addresses; non-finite amounts are user
mistakes; a port whose last connection lingers in TIME_WAIT is free for `chain up`."""

from __future__ import annotations

import dataclasses
import socket

import pytest
from chainenv import Env
from clirun import own_deployment, run

from zkrevox.chain.anvil import port_free
from zkrevox.chain.deploy import check_deployment, live_deployment, write_deployment
from zkrevox.errors import DeploymentError

pytestmark = pytest.mark.chain


def test_recordFromARestartedChain_isNotLive_thoughCodeIsAtItsAddresses(env: Env, tmp_path):
    assert env.dep.genesis  # deploy records the chain's genesis
    check_deployment(env.w3, env.dep)
    stale = dataclasses.replace(env.dep, genesis="0x" + "ab" * 32)  # same addresses, another chain's record
    with pytest.raises(DeploymentError, match="was the chain restarted"):
        check_deployment(env.w3, stale)
    write_deployment(stale, tmp_path)
    dep, why = live_deployment(env.w3, tmp_path)
    # so `zkrevox deploy` writes a new record (keeping this one) instead of adding to it
    assert (dep, why) == (None, "other-chain")


@pytest.mark.parametrize("amount", ["nan", "inf", "Infinity"])
def test_stake_nonFiniteAmount_isAUserMistake(env: Env, tmp_path, amount: str):
    own_deployment(env, tmp_path)
    code, _, err = run(env, tmp_path, 1, "provider", "stake", amount)
    assert code == 1, err
    assert "not a finite number" in err or "not a number" in err


def test_portFree_ignoresAConnectionLingeringInTimeWait():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.listen(1)
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    conn.close()  # the server side closes first: its end of the connection lingers in TIME_WAIT
    client.close()
    server.close()
    assert port_free(port)


def test_chainUp_onAGivenPort_doesNotSayTheDefaultPortIsTaken(tmp_path):
    """Issue 18: `chain up --port P` said `port 8545 is taken` though P was asked for."""
    import subprocess
    import sys
    from pathlib import Path

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "zkrevox"), "chain", "up", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    assert f"127.0.0.1:{port}" in line and "is taken" not in line, line


def test_stake_anAmountNoBalanceHolds_isAUserMistake(env: Env, tmp_path):
    own_deployment(env, tmp_path)
    code, _, err = run(env, tmp_path, 1, "provider", "stake", "1e400")
    assert code == 1 and "too large" in err and "internal error" not in err, err
