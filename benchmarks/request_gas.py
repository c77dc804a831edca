"""On-chain featurization gas by prompt length: the first ticker spec (version 1) against the
shipped one, on the same prompts (the gas snapshot's and both held-out sets'), through
``Featurizer.featurizePacked`` in the test harness on a fresh anvil (the table's cold account
access included, as in ``request``).

    PYTHONPATH=python .venv/bin/python benchmarks/request_gas.py [INPUT_SPEC.json]

Prints one JSON line per prompt length bucket: mean gas of each spec and the ratio.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from eth_account import Account
from web3 import Web3

from zkrevox.agents import get_agent
from zkrevox.chain.anvil import Anvil
from zkrevox.chain.deploy import deploy_contract
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.solc import project_contracts
from zkrevox.chain.vocab_table import build_table, onchain_spec
from zkrevox.featurize import FeatureSpec
from zkrevox.model_files import MODELS_DIR
from zkrevox.train import eval_sets

ROOT = Path(__file__).resolve().parents[1]
SPECS = {
    "v1": ROOT / "tests" / "vectors" / "ticker_v1_spec.json",
    "shipped": MODELS_DIR / "ticker" / "input_spec.json",
}
# The gas snapshot's request prompts (tests/chain/test_gas.py) and the longest prompt accepted.
FIXED = [
    "swap 2 bnb for cake",
    "what is the price of etherium and chainlnk today, should I buy some more or sell?",
    ("please exchange my tokens for bitcoin and some ethereum, " * 4)[:192],
]
BUCKETS = (32, 64, 96, 128, 160, 192)


def main() -> None:
    if len(sys.argv) > 1:
        SPECS["shipped"] = Path(sys.argv[1])
    compiled = project_contracts()
    sets = eval_sets(get_agent("ticker"))
    prompts = FIXED + [e.prompt for e in [*sets["hard"], *sets["realistic"]]]
    with Anvil() as chain:
        w3 = Web3(Web3.HTTPProvider(chain.url))
        owner = Account.from_key(ANVIL_DEV_KEYS[0])
        record = deploy_contract(w3, owner, compiled["FeaturizerHarness"])
        harness = w3.eth.contract(address=record.address, abi=compiled["FeaturizerHarness"].abi)
        onchain = {}
        for name, path in SPECS.items():
            spec = FeatureSpec.from_dict(json.loads(path.read_text()))
            table = build_table(spec)
            receipt = _send(w3, owner, harness.functions.deployTable(table.data))
            (event,) = harness.events.TableDeployed().process_receipt(receipt)
            onchain[name] = onchain_spec(spec, table, event.args.table)
        gas = {p: {name: harness.functions.measureFeaturize(p.encode(), s).call() for name, s in onchain.items()}
               for p in prompts}
    for p in FIXED:
        print(json.dumps({"prompt_bytes": len(p.encode()), **gas[p],
                          "ratio": round(gas[p]["shipped"] / gas[p]["v1"], 3)}))
    by_bucket: dict[int, list[dict]] = defaultdict(list)
    for p in prompts[len(FIXED):]:
        by_bucket[next(b for b in BUCKETS if len(p.encode()) <= b)].append(gas[p])
    for bucket in BUCKETS:
        rows = by_bucket.get(bucket, [])
        if rows:
            mean = {name: round(sum(r[name] for r in rows) / len(rows)) for name in SPECS}
            print(json.dumps({"prompt_bytes_up_to": bucket, "prompts": len(rows), **mean,
                              "ratio": round(mean["shipped"] / mean["v1"], 3)}))


def _send(w3: Web3, account, fn):
    tx = fn.build_transaction({"from": account.address, "gas": 8_000_000,
                               "nonce": w3.eth.get_transaction_count(account.address)})
    signed = account.sign_transaction(tx)
    return w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))


if __name__ == "__main__":
    main()
