"""``make demo``: the main job, end to end.

Off-chain: load the warm prover, prove "swap 2 bnb for cake", verify it with
plain ezkl. On-chain: start a local anvil, deploy the verifier and DPrompt,
publish the intent agent beside the ticker, start one provider node serving
both (``zkrevox node --model ticker --model intent``), ask CommandAgent (both
agents composed on-chain) a few user prompts and print each with its proven
intents and tickers, its ``Command`` event (``SWAP BNB→CAKE``) and the gas of
the composed flow; send several prompts as a user, and
print each answer the contract verified, with its end-to-end latency and gas;
then a burst of 32 requests answered with batch proofs (average gas per request
from the receipts); then stop the node and anvil.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

PROMPT = "swap 2 bnb for cake"


def say(msg: str) -> None:
    print(msg, flush=True)


def offchain() -> None:
    import ezkl

    from zkrevox import Prover

    t0 = time.monotonic()
    prover = Prover.load("ticker")
    say(f"prover loaded in {time.monotonic() - t0:.2f}s (logrows {prover.manifest['logrows']}, "
        f"{prover.manifest['num_rows']} rows)")
    with tempfile.TemporaryDirectory() as out:
        proof = prover.prove(PROMPT, out_dir=Path(out))
        ok = ezkl.verify(str(proof.path), str(prover.settings_path), str(prover.vk_path), str(prover.srs_path))
        say(f"off-chain: {PROMPT!r} -> {proof.labels}  proved in {proof.prove_seconds:.2f}s, "
            f"plain ezkl.verify: {ok}")


def onchain() -> None:
    from zkrevox.chain.demo import BURST, PROMPTS, run

    run(PROMPTS, say, burst=BURST)


def main() -> int:
    offchain()
    onchain()
    return 0


if __name__ == "__main__":
    sys.exit(main())
