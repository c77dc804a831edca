"""Features bound by a KZG commitment (issue 20, prototype): the ``polycommit`` build of a model's
single circuit, the Lagrange-basis points DPrompt needs to recompute the commitment on-chain
(``FeatureCommitment.sol``), and ezkl's own commitment to compare with. docs/COMMITMENTS.md has
the findings and figures.

With ``input_visibility = "polycommit"`` the proof carries, as its first commitment, ezkl's KZG
commitment to the input column in Lagrange form over the circuit's domain of 2^k rows::

    C = K + Σ_i (count_i << input_scale) · [L_i],      K = Σ_{j = 2^k - u}^{2^k - 1} [L_j]

where ``[L_i]`` are the SRS's Lagrange-basis points for that exact domain (a halo2 ``ParamsKZG``
file stores them after the monomial points, uncompressed, Montgomery form, little-endian) and
``u`` is the number of unusable rows (the vk's blinding factors + 1), which ezkl fills with 1
(``Blind::default()``). ``u`` is found here by matching ``ezkl.kzg_commit`` of all-zero features
against sums of the last rows' points, and recorded with the build.

Points are handled as affine ``(x, y)`` integers; the group law is py_ecc's (optimized_bn128).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from zkrevox.errors import ArtifactError, ProofError

POINT_BYTES = 64
MAX_UNUSABLE_ROWS = 16
POLYCOMMIT_FILE = "polycommit.json"


# ------------------------------------------------------------------ points


def _add(a: tuple[int, int] | None, b: tuple[int, int] | None) -> tuple[int, int] | None:
    from py_ecc.optimized_bn128 import FQ, add, normalize

    if a is None:
        return b
    if b is None:
        return a
    s = normalize(add((FQ(a[0]), FQ(a[1]), FQ(1)), (FQ(b[0]), FQ(b[1]), FQ(1))))
    x, y = int(s[0]), int(s[1])
    return None if (x, y) == (0, 0) else (x, y)


def _mul(p: tuple[int, int], k: int) -> tuple[int, int]:
    from py_ecc.optimized_bn128 import FQ, multiply, normalize

    s = normalize(multiply((FQ(p[0]), FQ(p[1]), FQ(1)), k))
    return int(s[0]), int(s[1])


def srs_lagrange_points(srs: Path, start: int, count: int) -> list[tuple[int, int]]:
    """Points ``[L_start] … [L_{start+count-1}]`` of the SRS file's Lagrange basis (its own domain,
    2^k rows). ArtifactError if the file is not a raw halo2 KZG SRS."""
    from py_ecc.optimized_bn128 import field_modulus as q

    from zkrevox.srs import srs_logrows

    k = srs_logrows(srs)
    n = 1 << k
    expected = 4 + 2 * n * POINT_BYTES + 256
    if Path(srs).stat().st_size != expected or start < 0 or start + count > n:
        raise ArtifactError(f"{srs} is not a raw KZG SRS of 2^{k} points with its Lagrange basis, or rows "
                            f"{start}..{start + count} are outside it; rebuild the circuit (`zkrevox build`)")
    r_inv = pow(pow(2, 256, q), -1, q)  # the file stores Montgomery form
    out = []
    with open(srs, "rb") as f:
        f.seek(4 + n * POINT_BYTES + start * POINT_BYTES)
        raw = f.read(count * POINT_BYTES)
    for i in range(count):
        chunk = raw[i * POINT_BYTES : (i + 1) * POINT_BYTES]
        x = int.from_bytes(chunk[:32], "little") * r_inv % q
        y = int.from_bytes(chunk[32:], "little") * r_inv % q
        if (y * y - x * x * x - 3) % q:
            raise ArtifactError(f"{srs}: Lagrange point {start + i} is not on BN254; the SRS file is damaged")
        out.append((x, y))
    return out


def blinding_point(srs: Path, unusable_rows: int) -> tuple[int, int]:
    """K: the sum of the last ``unusable_rows`` Lagrange points (those rows hold 1 in the column)."""
    from zkrevox.srs import srs_logrows

    n = 1 << srs_logrows(srs)
    acc = None
    for p in srs_lagrange_points(srs, n - unusable_rows, unusable_rows):
        acc = _add(acc, p)
    assert acc is not None
    return acc


def points_blob(srs: Path, num_features: int, input_scale: int, unusable_rows: int) -> bytes:
    """``K ‖ P_0 ‖ … ‖ P_{m-1}``, ``P_i = 2^input_scale · [L_i]``, each x ‖ y big-endian: the data
    ``FeatureCommitment.deployPoints`` stores for a model's circuit."""
    points = [blinding_point(srs, unusable_rows)]
    points += [_mul(p, 1 << input_scale) for p in srs_lagrange_points(srs, 0, num_features)]
    return b"".join(x.to_bytes(32, "big") + y.to_bytes(32, "big") for x, y in points)


def commit(blob: bytes, counts: list[int]) -> tuple[int, int]:
    """What ``FeatureCommitment.commit`` computes, in Python (a cross-check)."""
    pts = [(int.from_bytes(blob[i : i + 32], "big"), int.from_bytes(blob[i + 32 : i + 64], "big"))
           for i in range(0, len(blob), POINT_BYTES)]
    acc: tuple[int, int] | None = pts[0]
    for c, p in zip(counts, pts[1:], strict=False):
        if c:
            acc = _add(acc, _mul(p, c))
    assert acc is not None
    return acc


def pack_counts(counts: list[int], bits: int) -> list[int]:
    """Counts in the Featurizer's packed form: count i in ``bits`` bits at bit ``(i * bits) % 256``
    of word ``(i * bits) // 256`` (what ``FeatureCommitment.commitPacked`` takes)."""
    words = [0] * -(-len(counts) * bits // 256)
    for i, c in enumerate(counts):
        if not 0 <= c < 1 << bits:
            raise ValueError(f"count {c} of feature {i} does not fit {bits} bits")
        words[i * bits // 256] |= c << (i * bits % 256)
    return words


def proof_commitment(proof_bytes: bytes) -> tuple[int, int]:
    """The first commitment of an ezkl EVM proof: bytes 0..64, x ‖ y big-endian."""
    if len(proof_bytes) < POINT_BYTES:
        raise ProofError(f"proof of {len(proof_bytes)} bytes carries no commitment")
    return int.from_bytes(proof_bytes[:32], "big"), int.from_bytes(proof_bytes[32:64], "big")


# ------------------------------------------------------------------ ezkl


def ezkl_commitment(counts: list[int], input_scale: int, out: Path) -> tuple[int, int]:
    """``ezkl.kzg_commit`` of the counts for the build in ``out`` (its x, y are printed little-endian)."""
    import ezkl

    message = [ezkl.float_to_felt(float(c), input_scale) for c in counts]
    (point,) = ezkl.kzg_commit(message, str(out / "vk.key"), str(out / "settings.json"), str(out / "kzg.srs"))
    return int.from_bytes(bytes.fromhex(point.x), "little"), int.from_bytes(bytes.fromhex(point.y), "little")


def find_unusable_rows(out: Path, num_features: int, input_scale: int) -> int:
    """``u``: how many last rows ezkl fills with 1 (blinding factors + 1), found by matching
    ``kzg_commit`` of all-zero features. ArtifactError if no ``u`` up to 16 matches."""
    srs = out / "kzg.srs"
    from zkrevox.srs import srs_logrows

    want = ezkl_commitment([0] * num_features, input_scale, out)
    n = 1 << srs_logrows(srs)
    acc = None
    for u, p in enumerate(reversed(srs_lagrange_points(srs, n - MAX_UNUSABLE_ROWS, MAX_UNUSABLE_ROWS)), start=1):
        acc = _add(acc, p)
        if acc == want:
            return u
    raise ArtifactError(f"ezkl's commitment of zero features in {out} is no sum of the last rows' Lagrange points; "
                        "this ezkl lays the polycommit column out otherwise (docs/COMMITMENTS.md)")


def build_polycommit(name: str, out: Path, *, config_overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the ``polycommit`` variant of model ``name``'s single circuit into ``out`` (settings,
    compiled circuit, an insecure dev SRS of exactly its logrows, keys, ``polycommit.json``).
    A prototype beside ``zkrevox build``: the circuit config is the model's own, but the
    features are a committed (not public) input and not packed."""
    import ezkl

    from zkrevox.circuit import _await, batch_calibration, circuit_config, fit_logrows, run_args
    from zkrevox.model_files import ModelFiles, model_dir

    model = ModelFiles(model_dir(name))
    config = {**circuit_config(name), **(config_overrides or {})}
    out.mkdir(parents=True, exist_ok=True)
    onnx, settings = str(model.onnx), out / "settings.json"
    ra = run_args(config)
    ra.input_visibility = "polycommit"
    timings = {}
    t0 = time.monotonic()
    ezkl.gen_settings(onnx, str(settings), py_run_args=ra)
    cal = batch_calibration(model.calibration(), model.spec().num_features, 1, out / "calibration.json")
    _await(ezkl.calibrate_settings(str(cal), onnx, str(settings), config["calibration_target"],
                                   scales=[config["scale"]], max_logrows=16))
    logrows = fit_logrows(settings, config)
    ezkl.compile_circuit(onnx, str(out / "model.compiled"), str(settings))
    ezkl.gen_srs(str(out / "kzg.srs"), logrows)
    ezkl.setup(str(out / "model.compiled"), str(out / "vk.key"), str(out / "pk.key"), str(out / "kzg.srs"))
    timings["build"] = round(time.monotonic() - t0, 2)
    s = json.loads(settings.read_text())
    num_features = model.spec().num_features
    input_scale = int(s["run_args"]["input_scale"])
    info = {"model": name, "logrows": logrows, "num_rows": s.get("num_rows"), "input_scale": input_scale,
            "num_features": num_features, "num_outputs": len(model.labels()),
            "unusable_rows": find_unusable_rows(out, num_features, input_scale), "build_seconds": timings}
    (out / POLYCOMMIT_FILE).write_text(json.dumps(info, indent=1) + "\n")
    return info
