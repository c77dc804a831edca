"""Build a model's circuit with ezkl (``zkrevox build <model>``).

gen_settings → calibrate → compile → SRS → setup, into ``artifacts/<model>/``,
then a manifest of hashes. The run arguments come from
``circuits/<model>/circuit.json`` (committed), so a build is reproducible from
the model files and that file. The dev SRS is random, so a rebuild reuses the
SRS already in ``artifacts/<variant>/`` when its logrows still fit: ezkl's setup
is deterministic for a fixed SRS and circuit (measured: the same vk and pk bytes
on every run), so rebuilding an unchanged circuit reproduces the keys a
deployment registered. When a rebuild does change the verifying key (new model,
new circuit config, new SRS), the previous artifacts move to
``artifacts/<variant>/by-vk/<vk sha256>/``, where ``Prover.load(..., vk_sha256=…)``
finds them. A failed build leaves nothing behind (no ``.building`` directory).
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from zkrevox.artifacts import Artifacts, sha256_file
from zkrevox.errors import ArtifactError
from zkrevox.model_files import REPO_ROOT, ModelFiles, model_dir

log = logging.getLogger(__name__)
CIRCUITS_DIR = REPO_ROOT / "circuits"
MAX_LOGROWS = 20
MAX_BATCH = 64  # DPrompt's ModelRegistry.MAX_BATCH_SIZE
BY_VK = "by-vk"  # artifacts/<variant>/by-vk/<vk sha256>/: earlier builds, kept for their deployments


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
    """Artifacts of a batch-``n`` circuit live beside the single one: ``<model>``, ``<model>-b8``."""
    return name if batch == 1 else f"{name}-b{batch}"


def fit_logrows(settings: Path, config: dict) -> int:
    """Set logrows to the smallest domain that holds every row without wrapping.

    ezkl wraps rows that do not fit into extra columns: proving gets cheaper but every
    extra column costs verification gas (measured: 721k vs 581k gas for a 138-feature
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


def batch_calibration(cal: Path, num_features: int, batch: int, dest: Path) -> Path:
    """The calibration prompts as rows of a batch-``batch`` input: ezkl needs their count to be a
    multiple of the batch (64 prompts: batches 3, 5, 6, … would fail). Extra prompts are dropped,
    and at least one batch is filled by repeating them."""
    data = json.loads(cal.read_text())["input_data"][0]
    rows = [data[i : i + num_features] for i in range(0, len(data), num_features)]
    if len(rows) % batch == 0:
        return cal
    keep = max(len(rows) - len(rows) % batch, batch)
    rows = [rows[i % len(rows)] for i in range(keep)]
    dest.write_text(json.dumps({"input_data": [[v for row in rows for v in row]]}))
    return dest


def check_batch(batch: int) -> None:
    if not 1 <= batch <= MAX_BATCH:
        raise ArtifactError(
            f"batch size must be 1 to {MAX_BATCH} (DPrompt's largest batch), got {batch}; "
            "e.g. `zkrevox build <model> --batch 4`"
        )


def _reusable_srs(arts: Artifacts, logrows: int) -> tuple[Path, str] | None:
    """The SRS of the artifacts already at ``arts.path`` and its kind, if it was made for ``logrows``
    and still matches its manifest."""
    try:
        manifest = arts.manifest()
        entry = manifest["files"]["srs"]
        srs = arts.path / entry["file"]
        if manifest.get("logrows") != logrows or not srs.is_file() or sha256_file(srs) != entry["sha256"]:
            return None
        return srs, str(manifest.get("srs_kind", "insecure-dev"))
    except (ArtifactError, KeyError, TypeError):
        return None


def _install(staged: Artifacts, arts: Artifacts, step: Callable[[str], None]) -> None:
    """Move the staged build to ``arts.path``; earlier builds with another vk go to ``by-vk/``."""
    archive = arts.path / BY_VK
    if arts.path.exists():
        if archive.is_dir():
            archive.rename(staged.path / BY_VK)
        try:
            old_vk = arts.vk_sha256()
        except (ArtifactError, KeyError, TypeError):
            old_vk = None
        new_vk = staged.vk_sha256()
        if old_vk and old_vk != new_vk and (arts.path / "manifest.json").is_file():
            keep = staged.path / BY_VK / old_vk
            keep.parent.mkdir(exist_ok=True)
            if not keep.exists():
                keep.mkdir()
                for child in arts.path.iterdir():
                    child.rename(keep / child.name)
                step(f"the previous build (vk {old_vk[:12]}…) stays at {arts.path / BY_VK / old_vk} "
                     "for deployments that registered it")
        shutil.rmtree(arts.path)
    staged.path.rename(arts.path)


def build(
    name: str,
    batch: int = 1,
    srs: Path | None = None,
    srs_sha256: str | None = None,
    root: Path | None = None,
    step: Callable[[str], None] = lambda msg: log.info("%s", msg),
) -> dict:
    check_batch(batch)
    model = ModelFiles(model_dir(name))
    config = circuit_config(name)
    arts = Artifacts.for_model(variant_name(name, batch), model, root)
    tmp = arts.path.with_name(arts.path.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        _build(arts, Artifacts(name=arts.name, path=tmp, model=model), config, batch, srs, srs_sha256,
                          step)
        _install(Artifacts(name=arts.name, path=tmp, model=model), arts, step)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    step(f"artifacts written to {arts.path}")
    return arts.manifest()


def _build(arts: Artifacts, staged: Artifacts, config: dict, batch: int, srs: Path | None,
           srs_sha256: str | None, step: Callable[[str], None]) -> dict:
    import ezkl

    model, tmp = staged.model, staged.path
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
    cal = str(batch_calibration(model.calibration(), model.spec().num_features, batch, tmp / "calibration.json"))
    timed("gen_settings", lambda: ezkl.gen_settings(onnx, str(settings), py_run_args=run_args(config, packing)))
    try:
        timed(
            "calibrate",
            lambda: _await(
                ezkl.calibrate_settings(
                    cal, onnx, str(settings), config["calibration_target"],
                    scales=[config["scale"]], max_logrows=MAX_LOGROWS,
                )
            ),
        )
    except Exception as exc:  # ezkl raises bare RuntimeError
        raise ArtifactError(
            f"ezkl could not calibrate the batch-{batch} circuit ({exc}); batch sizes 1 to {MAX_BATCH} are "
            f"supported, check circuits/{model.path.name}/circuit.json"
        ) from exc
    logrows = fit_logrows(settings, config)
    timed("compile", lambda: ezkl.compile_circuit(onnx, str(compiled), str(settings)))
    from zkrevox.srs import announce_insecure, provide_srs

    previous = None if srs is not None else _reusable_srs(arts, logrows)
    if previous:
        step(f"srs: reusing {previous[0]} (logrows {logrows}), so unchanged circuits keep their keys")
        shutil.copyfile(previous[0], staged.file("srs"))
        srs_kind = previous[1]
        if srs_kind == "insecure-dev":
            announce_insecure()
        timings["srs"] = 0.0
    else:
        srs_kind = str(timed("srs", lambda: provide_srs(staged.file("srs"), logrows, srs, srs_sha256)))
    timed(
        "setup",
        lambda: ezkl.setup(str(compiled), str(staged.file("vk")), str(staged.file("pk")), str(staged.file("srs"))),
    )
    s = json.loads(settings.read_text())
    from zkrevox.srs import check_srs_logrows, srs_logrows

    check_srs_logrows(staged.file("srs"), s["run_args"]["logrows"], f"run `{arts.build_command}` again")
    extra = {
        "srs_kind": srs_kind,
        "srs_logrows": srs_logrows(staged.file("srs")),
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
    return staged.write_manifest(extra)
