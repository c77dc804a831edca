"""Exact-set accuracy of an agent's model by kind of prompt, float and quantized.

Reads an eval set whose rows carry a ``kind`` (``models/ticker/eval/hard.jsonl``: ticker
names used as ordinary words, aliases and typos, long multi-ticker prompts, no ticker…;
``models/<agent>/eval/dev_v3.jsonl``: everyday prompts, bot commands, pairs, shouting, emoji,
voice-typed text…) and prints one JSON line per kind plus ``all``. The gold answer is the
agent's ``answer_key`` (``tickers``, ``intents``). Float answers come from the ONNX model;
quantized ones from the circuit's forward pass (``--quantized``; needs ``artifacts/<model>``).

    PYTHONPATH=python .venv/bin/python benchmarks/by_kind.py [--model intent] [--dir RUN] [--quantized] [FILE]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from zkrevox.agents import get_agent
from zkrevox.featurize import featurize
from zkrevox.model_files import MODELS_DIR, ModelFiles

DEFAULT_FILES = {"ticker": "hard.jsonl"}  # else the agent's first eval file


def main() -> None:
    import onnxruntime as ort

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", help="a JSONL eval set (default: the agent's hard or first eval file)")
    parser.add_argument("--model", default="ticker")
    parser.add_argument("--dir", help="a model folder (default models/MODEL), e.g. a scratch training run")
    parser.add_argument("--quantized", action="store_true", help="also the circuit's forward pass")
    parser.add_argument("--misses", action="store_true", help="print every miss")
    args = parser.parse_args()

    agent = get_agent(args.model)
    key = agent.answer_key
    path = Path(args.file) if args.file else MODELS_DIR / args.model / "eval" / DEFAULT_FILES.get(
        args.model, agent.eval_files[0])
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    files = ModelFiles(Path(args.dir) if args.dir else MODELS_DIR / args.model)
    spec, labels = files.spec(), files.labels()
    session = ort.InferenceSession(str(files.onnx))
    feats = np.asarray([featurize(r["prompt"], spec) for r in rows], dtype=np.float32)
    # model.onnx has batch dimension 1
    logits = np.stack([session.run(None, {"features": f[None, :]})[0][0] for f in feats])
    answers = {"float": [[labels[j] for j in np.flatnonzero(row > 0)] for row in logits]}
    if args.quantized:
        from zkrevox.prover import Prover

        with Prover.load(args.model) as prover:
            answers["quantized"] = [prover.predict(r["prompt"]).labels for r in rows]
    kinds: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        kinds[r.get("kind", "all")].append(i)
        if r.get("kind"):
            kinds["all"].append(i)
    for kind, idx in sorted(kinds.items(), key=lambda kv: (kv[0] == "all", kv[0])):
        line: dict = {"kind": kind, "prompts": len(idx)}
        for name, got in answers.items():
            line[name] = round(sum(sorted(got[i]) == sorted(rows[i][key]) for i in idx) / len(idx), 4)
        if "quantized" in answers:
            line["agreement"] = round(sum(answers["float"][i] == answers["quantized"][i] for i in idx) / len(idx), 4)
        print(json.dumps(line))
    if args.misses:
        for i, r in enumerate(rows):
            if sorted(answers["float"][i]) != sorted(r[key]):
                print(f"MISS [{r.get('kind')}] {r['prompt']!r}: want {r[key]} got {answers['float'][i]}")


if __name__ == "__main__":
    main()
