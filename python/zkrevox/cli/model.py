"""Model commands: train, build, predict, prove, verify."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from zkrevox.cli._output import emit, handle_errors, step
from zkrevox.errors import InputError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object per result on stdout.")]


@handle_errors
def train(
    model: Annotated[str, typer.Argument(help="Model name (folder under models/).")] = "ticker",
    as_json: JsonOpt = False,
) -> None:
    """Train the model from generated prompts and export models/<model>/ (ONNX, labels, metrics)."""
    from zkrevox.model_files import MODELS_DIR
    from zkrevox.train import train as run

    if model != "ticker":
        raise InputError(f"no trainer for model {model!r}; available: ticker")
    metrics = run(MODELS_DIR / model)
    emit(metrics, as_json)


@handle_errors
def build(
    model: Annotated[str, typer.Argument(help="Model name.")] = "ticker",
    batch: Annotated[int, typer.Option(help="Prompts one proof answers (a separate circuit per size).")] = 1,
    srs: Annotated[Path | None, typer.Option(help="KZG ceremony SRS file (default: INSECURE local dev SRS).")] = None,
    srs_sha256: Annotated[str | None, typer.Option(help="Expected sha256 of --srs.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build the circuit: gen_settings → calibrate → compile → SRS → setup, with a manifest of hashes."""
    from zkrevox.circuit import build as run

    manifest = run(model, batch=batch, srs=srs, srs_sha256=srs_sha256, step=step)
    summary = {k: manifest[k] for k in ("model", "batch", "logrows", "num_rows", "srs_kind", "build_seconds")}
    summary["vk_sha256"] = manifest["files"]["vk"]["sha256"]
    emit(summary, as_json)


@handle_errors
def evaluate(
    model: Annotated[str, typer.Argument(help="Model name.")] = "ticker",
    write: Annotated[bool, typer.Option(help="Record the result in models/<model>/metrics.json.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Accuracy of the float model and of the circuit's quantized answers, and their agreement."""
    from zkrevox.evaluate import evaluate as run
    from zkrevox.evaluate import write_metrics
    from zkrevox.prover import Prover

    prover = Prover.load(model)
    step("evaluating the float model and the circuit on the held-out sets")
    result = run(prover)
    if write:
        write_metrics(prover, result)
    emit(result, as_json)


def _prompts(prompt: str | None, input_file: str | None) -> list[str]:
    if (prompt is None) == (input_file is None):
        raise InputError("give exactly one of PROMPT or --input-file F (`-` for stdin)")
    if prompt is not None:
        return [prompt]
    stream = sys.stdin if input_file == "-" else open(input_file, encoding="utf-8")  # noqa: SIM115
    try:
        return [line.rstrip("\n") for line in stream if line.strip()]
    except UnicodeDecodeError as exc:
        raise InputError(f"{input_file} is not UTF-8 text ({exc}); send one prompt per line") from None
    finally:
        if stream is not sys.stdin:
            stream.close()


@handle_errors
def predict(
    model: Annotated[str, typer.Argument(help="Model name.")] = "ticker",
    prompt: Annotated[str | None, typer.Argument(help="The prompt.")] = None,
    input_file: Annotated[str | None, typer.Option("--input-file", help="One prompt per line; - for stdin.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The answer a proof would attest (the circuit's quantized forward pass), without proving."""
    from zkrevox.prover import Prover

    prover = Prover.load(model)
    for text in _prompts(prompt, input_file):
        result = prover.predict(text)
        emit({"prompt": result.prompt, "tickers": result.tickers}, as_json, " ".join(result.tickers) or "(none)")


@handle_errors
def prove(
    model: Annotated[str, typer.Argument(help="Model name.")],
    prompt: Annotated[str, typer.Argument(help="The prompt.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for proof.json and answer.json.")],
    as_json: JsonOpt = False,
) -> None:
    """Prove the model's answer to PROMPT; paths printed are accepted by plain ezkl.verify."""
    from zkrevox.prover import Prover

    prover = Prover.load(model)
    step(f"proving {prompt!r}")
    proof = prover.prove(prompt, out_dir=out)
    result = {
        "tickers": proof.tickers,
        "proof_path": str(Path(proof.path).resolve()),
        "settings_path": str(prover.settings_path.resolve()),
        "vk_path": str(prover.vk_path.resolve()),
        "srs_path": str(prover.srs_path.resolve()),
        "prove_seconds": proof.prove_seconds,
    }
    emit(result, as_json, f"{' '.join(proof.tickers) or '(none)'}  proof: {result['proof_path']}")


@handle_errors
def verify(
    proof: Annotated[Path, typer.Argument(help="proof.json (or its directory) written by `zkrevox prove`.")],
    as_json: JsonOpt = False,
) -> None:
    """Verify a proof and that it attests its prompt's features and its answer."""
    from zkrevox.proof import Proof
    from zkrevox.prover import Prover

    p = Proof.from_file(proof)
    prover = Prover.load(p.model)
    prover.verify(p)
    emit({"valid": True, "prompt": p.prompt, "tickers": p.tickers}, as_json, json.dumps(p.tickers))
