"""Build a model's circuit with ezkl (``zkrevox build <model>``).

gen_settings → calibrate → compile → SRS → setup, into ``artifacts/<model>/``,
then a manifest of hashes. The run arguments come from
``circuits/<model>/circuit.json`` (committed), so a build is reproducible from
the model files and that file; only the dev SRS (random) differs per build.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from zkrevox.artifacts import Artifacts
from zkrevox.errors import ArtifactError
from zkrevox.model_files import REPO_ROOT, ModelFiles, model_dir

log = logging.getLogger(__name__)
CIRCUITS_DIR = REPO_ROOT / "circuits"
MAX_LOGROWS = 20


def _await(result):
    """ezkl 23 returns coroutines from some calls; run them to completion."""
    if asyncio.iscoroutine(result):
        return asyncio.run(result)
    return result


def circuit_config(name: str) -> dict:
    path = CIRCUITS_DIR / name / "circuit.json"
    if not path.is_file():
        raise ArtifactError(f"circuit config {path} not found; every model needs circuits/<name>/circuit.json")
    return json.loads(path.read_text())


def packing_config(config: dict, batch: int) -> dict | None:
    """The feature packing of the batch-``batch`` circuit, or None (features as public instances)."""
    packing = config.get("feature_packing")
    return packing if packing and batch in packing.get("batches", []) else None


def run_args(config: dict, packing: dict | None = None):
    import ezkl

    ra = ezkl.PyRunArgs()
    ra.input_visibility = config["input_visibility"]
    ra.output_visibility = config["output_visibility"]
    ra.param_visibility = config["param_visibility"]
    ra.input_scale = config["scale"]
    ra.param_scale = config["scale"]
    ra.decomp_base = config["decomp_base"]
    ra.decomp_legs = config["decomp_legs"]
    ra.num_inner_cols = config["num_inner_cols"]
    ra.logrows = config["logrows"]
    ra.ignore_range_check_inputs_outputs = bool(config.get("ignore_range_check_inputs_outputs", False))
    if packing:
        ra.input_visibility = "private"
        ra.decomp_legs = packing["decomp_legs"]
    return ra


def variant_name(name: str, batch: int) -> str:
    """Artifacts of a batch-``n`` circuit live beside the single one: ``ticker``, ``ticker-b8``."""
    return name if batch == 1 else f"{name}-b{batch}"


def fit_logrows(settings: Path, config: dict) -> int:
    """Set logrows to the smallest domain that holds every row without wrapping.

    ezkl wraps rows that do not fit into extra columns: proving gets cheaper but every
    extra column costs verification gas (measured: 721k vs 581k gas for the ticker
    verifier at logrows 13 vs 14). ``config["logrows"]`` is a floor.
    """
    s = json.loads(settings.read_text())
    # Batched matmuls (Freivalds' check) live in their own einsum columns, which wrap too.
    einsum_rows = (s.get("einsum_params") or {}).get("total_einsum_col_size") or 0
    needed = max(s["num_rows"], einsum_rows) + (s.get("num_blinding_factors") or 6) + 1
    logrows = max(int(config["logrows"]), (needed - 1).bit_length())
    s["run_args"]["logrows"] = logrows
    settings.write_text(json.dumps(s))
    return logrows


def build(
    name: str,
    batch: int = 1,
    srs: Path | None = None,
    srs_sha256: str | None = None,
    root: Path | None = None,
    step: Callable[[str], None] = lambda msg: log.info("%s", msg),
) -> dict:
    import ezkl

    if batch < 1:
        raise ArtifactError(f"batch size must be >= 1, got {batch}")
    model = ModelFiles(model_dir(name))
    config = circuit_config(name)
    arts = Artifacts.for_model(variant_name(name, batch), model, root)
    tmp = arts.path.with_name(arts.path.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    staged = Artifacts(name=arts.name, path=tmp, model=model)
    timings: dict[str, float] = {}

    def timed(label: str, fn: Callable[[], object]) -> object:
        step(label)
        t0 = time.monotonic()
        out = fn()
        timings[label] = round(time.monotonic() - t0, 3)
        return out

    settings, compiled = staged.file("settings"), staged.file("compiled")
    packing = packing_config(config, batch)
    if packing:
        onnx = str(model.packed_onnx(batch, packing["digits"], packing["bits"], tmp / "model.onnx"))
    else:
        onnx = str(model.onnx if batch == 1 else model.batched_onnx(batch, tmp / "model.onnx"))
    cal = str(model.calibration())
    timed("gen_settings", lambda: ezkl.gen_settings(onnx, str(settings), py_run_args=run_args(config, packing)))
    timed(
        "calibrate",
        lambda: _await(
            ezkl.calibrate_settings(
                cal, onnx, str(settings), config["calibration_target"],
                scales=[config["scale"]], max_logrows=MAX_LOGROWS,
            )
        ),
    )
    logrows = fit_logrows(settings, config)
    timed("compile", lambda: ezkl.compile_circuit(onnx, str(compiled), str(settings)))
    from zkrevox.srs import provide_srs

    srs_kind = timed("srs", lambda: provide_srs(staged.file("srs"), logrows, srs, srs_sha256))
    timed(
        "setup",
        lambda: ezkl.setup(str(compiled), str(staged.file("vk")), str(staged.file("pk")), str(staged.file("srs"))),
    )
    s = json.loads(settings.read_text())
    extra = {
        "srs_kind": srs_kind,
        "batch": batch,
        "circuit_config": config,
        "logrows": s["run_args"]["logrows"],
        "num_rows": s.get("num_rows"),
        "input_scale": s["run_args"]["input_scale"],
        "output_scale": s["model_output_scales"][-1],
        "build_seconds": timings,
    }
    if packing:
        # word j = sum_t count[j * digits + t] << (shift + bits * t): the packed output's scale is
        # the input scale (features) plus the param scale (the packing matrix).
        extra["feature_packing"] = {
            "digits": packing["digits"], "bits": packing["bits"], "shift": s["model_output_scales"][0],
        }
    staged.write_manifest(extra)
    if arts.path.exists():
        shutil.rmtree(arts.path)
    tmp.rename(arts.path)
    step(f"artifacts written to {arts.path}")
    return arts.manifest()
