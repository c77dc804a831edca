"""Model commands: train, build, evaluate, predict, prove, verify. Each takes the agent's name
(``models/<name>/``, ``zkrevox.agents.<name>``); answers print under the agent's key."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from zkrevox.cli._output import emit, handle_errors, step
from zkrevox.errors import InputError

ModelArg = Annotated[str, typer.Argument(help="Agent/model name (folder under models/).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object per result on stdout.")]
PromptArg = Annotated[str | None, typer.Argument(help="The prompt (its bytes as given on the command line).")]
PromptHexOpt = Annotated[str | None, typer.Option(
    "--prompt-hex", help="The prompt as hex, any bytes (UTF-8 or not), as DPrompt's request takes it: "
                         "e.g. 73776170203220fffe20666f722063616b65.")]


@handle_errors
def train(
    model: ModelArg,
    as_json: JsonOpt = False,
) -> None:
    """Train the agent's model from its generated prompts and export models/<model>/ (ONNX, labels, metrics)."""
    from zkrevox.agents import get_agent
    from zkrevox.model_files import MODELS_DIR
    from zkrevox.train import train as run

    agent = get_agent(model)
    step(f"training {model}: {agent.train_config.train_prompts} generated prompts, {agent.train_config.epochs} epochs")
    metrics = run(MODELS_DIR / model, agent)
    emit(metrics, as_json)


@handle_errors
def build(
    model: ModelArg,
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
    model: ModelArg,
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


def _hex_prompt(value: str) -> bytes:
    digits = value.strip().removeprefix("0x").removeprefix("0X")
    try:
        return bytes.fromhex(digits)
    except ValueError as exc:
        raise InputError(f"--prompt-hex {value!r} is not hex ({exc}); give two hex digits per byte, "
                         "e.g. --prompt-hex 73776170203220fffe20666f722063616b65") from None


def _one_prompt(prompt: str | None, prompt_hex: str | None) -> bytes:
    if (prompt is None) == (prompt_hex is None):
        raise InputError("give exactly one of PROMPT or --prompt-hex HEX")
    # argv bytes that are not UTF-8 reach Python as surrogate escapes: os.fsencode gives them back
    return _hex_prompt(prompt_hex) if prompt_hex is not None else os.fsencode(prompt or "")


def _prompts(prompt: str | None, prompt_hex: str | None, input_file: str | None) -> list[bytes]:
    """The prompts as bytes (any bytes are a prompt): the argument, the hex, or one per line of a file."""
    if sum(x is not None for x in (prompt, prompt_hex, input_file)) != 1:
        raise InputError("give exactly one of PROMPT, --prompt-hex HEX or --input-file F (`-` for stdin)")
    if input_file is None:
        return [_one_prompt(prompt, prompt_hex)]
    stream = sys.stdin.buffer if input_file == "-" else _open_input(Path(input_file))
    try:
        lines = [line.removesuffix(b"\n").removesuffix(b"\r") for line in stream]
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    empty = [n for n, line in enumerate(lines, 1) if not line.strip()]
    if empty:  # an empty prompt has no answer worth proving: skipped, but never silently
        shown = ", ".join(map(str, empty[:10])) + (f", … ({len(empty)} in all)" if len(empty) > 10 else "")
        where = "stdin" if input_file == "-" else input_file
        step(f"skipped {len(empty)} empty or blank line(s) of {where} (line {shown}): no prompt there; a prompt of "
             "only spaces can be given alone with --prompt-hex (e.g. 20)")
    return [line for line in lines if line.strip()]


def _open_input(path: Path):
    fix = "give a file with one prompt per line, or - for stdin"
    if path.is_dir():
        raise InputError(f"--input-file {path} is a directory; {fix}")
    try:
        return open(path, "rb")  # closed by _prompts
    except FileNotFoundError:
        raise InputError(f"--input-file {path} not found; {fix}") from None
    except OSError as exc:
        raise InputError(f"cannot read --input-file {path} ({exc.strerror}); {fix}") from None


def _model_and_prompt(command: str, model: str, prompt: str | None, *others: object) -> tuple[str, str | None]:
    """``(model, prompt)``: the first argument is a model name, or, when it names none and no prompt
    is given while there is exactly one model, the prompt (`zkrevox predict "swap 2 bnb for cake"`)."""
    import difflib
    import shlex

    from zkrevox.model_files import known_models, unknown_model_message

    known = known_models()
    if model in known:
        return model, prompt
    no_prompt = prompt is None and all(x is None for x in others)
    typo = difflib.get_close_matches(model, known, n=1, cutoff=0.6)
    if no_prompt and len(known) == 1 and not typo:
        step(f"{model!r} names no model: reading it as the prompt for {known[0]!r}, the only model "
             f"(`zkrevox {command} {known[0]} PROMPT`)")
        return known[0], model
    message = unknown_model_message(model)
    if no_prompt and known and not typo:
        message += (f"; the model's name comes first, then the prompt: "
                    f"`zkrevox {command} {known[0]} {shlex.quote(model)}`")
    raise InputError(message)


def _out_dir(out: Path) -> Path:
    """``--out`` as a directory that can take proof.json and answer.json, checked before proving."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is an existing file; --out names a directory for proof.json and "
                         "answer.json: give a new or an existing directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the --out directory {out} ({exc.strerror}); give another one") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise InputError(f"cannot write to the --out directory {out}; give another one")
    return out


@handle_errors
def predict(
    model: ModelArg,
    prompt: PromptArg = None,
    prompt_hex: PromptHexOpt = None,
    input_file: Annotated[str | None, typer.Option(
        "--input-file", help="One prompt per line; - for stdin. Empty lines are skipped (said on stderr).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The answer a proof would attest (the circuit's quantized forward pass), without proving.

    `zkrevox predict "swap 2 bnb for cake"` works too while there is one model."""
    from zkrevox.prover import Prover

    model, prompt = _model_and_prompt("predict", model, prompt, prompt_hex, input_file)
    prompts = _prompts(prompt, prompt_hex, input_file)
    prover = Prover.load(model)
    for data in prompts:
        result = prover.predict(data)
        emit({"prompt": result.prompt, "prompt_hex": result.raw_prompt.hex(), result.answer_key: result.labels},
             as_json, " ".join(result.labels) or "(none)")


@handle_errors
def prove(
    model: ModelArg,
    out: Annotated[Path, typer.Option("--out", help="Directory for proof.json and answer.json.")],
    prompt: PromptArg = None,
    prompt_hex: PromptHexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Prove the model's answer to PROMPT (or --prompt-hex); paths printed are accepted by plain ezkl.verify."""
    from zkrevox.featurize import prompt_text
    from zkrevox.prover import Prover

    model, prompt = _model_and_prompt("prove", model, prompt, prompt_hex)
    data = _one_prompt(prompt, prompt_hex)
    out = _out_dir(out)
    prover = Prover.load(model)
    step(f"proving {prompt_text(data)!r}")
    proof = prover.prove(data, out_dir=out)
    assert proof.path is not None, "prove(out_dir=...) writes the proof file"
    result = {
        "prompt": proof.prompt,
        "prompt_hex": proof.raw_prompt.hex(),
        proof.answer_key: proof.labels,
        "proof_path": str(Path(proof.path).resolve()),
        "settings_path": str(prover.settings_path.resolve()),
        "vk_path": str(prover.vk_path.resolve()),
        "srs_path": str(prover.srs_path.resolve()),
        "prove_seconds": proof.prove_seconds,
    }
    emit(result, as_json, f"{' '.join(proof.labels) or '(none)'}  proof: {result['proof_path']}")


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
    emit({"valid": True, "prompt": p.prompt, "prompt_hex": p.raw_prompt.hex(), p.answer_key: p.labels}, as_json,
         json.dumps(p.labels))
