"""zkrevox._native beyond the featurizer's bits: the FeatureSpec class, batches
and threads, fixed point and field elements against ezkl's own helpers, and
calldata against eth_abi.
"""

from __future__ import annotations

import json
import logging
import pickle
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ezkl
import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3

from zkrevox import _native as native
from zkrevox import featurize as ref
from zkrevox.errors import InputError

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
TICKER_SPEC = Path(__file__).resolve().parents[1] / "models" / "ticker" / "input_spec.json"
PROPS = settings(max_examples=200, deadline=None)

felts = st.integers(0, R - 1)
i128s = st.integers(-(2**127), 2**127 - 1)


def le_hex(v: int) -> str:
    return v.to_bytes(32, "little").hex()


@pytest.fixture(scope="module")
def ticker() -> native.FeatureSpec:
    return native.FeatureSpec.from_dict(json.loads(TICKER_SPEC.read_text()))


# ---- FeatureSpec ----------------------------------------------------------------------------


def test_feature_spec_mirrors_the_dataclass(ticker):
    data = json.loads(TICKER_SPEC.read_text())
    py = ref.FeatureSpec.from_dict(data)
    assert ticker.to_dict() == py.to_dict()
    assert ticker.num_features == py.num_features == py.num_slots + 2 * py.context_slots + py.trigram_buckets
    assert ticker.vocab == py.vocab
    for field in ("max_bytes", "trigram_buckets", "clip", "fuzzy_min_len", "version", "slots", "context_slots",
                  "num_slots", "name_slots"):
        assert getattr(ticker, field) == getattr(py, field)
    defaults_py, defaults_rs = ref.FeatureSpec(vocab=("eth",)), native.FeatureSpec(["eth"])
    assert defaults_rs.to_dict() == defaults_py.to_dict()
    assert repr(native.FeatureSpec(vocab=("eth", "bnb"), clip=2)) == (
        "FeatureSpec(vocab=('eth', 'bnb'), max_bytes=192, trigram_buckets=32, clip=2, fuzzy_min_len=5)"
    )


def test_feature_spec_is_a_value(ticker):
    again = native.FeatureSpec.from_dict(ticker.to_dict())
    assert again == ticker and hash(again) == hash(ticker)
    assert native.FeatureSpec(["eth"]) != native.FeatureSpec(["eth"], clip=2)
    assert pickle.loads(pickle.dumps(ticker)) == ticker
    with pytest.raises(AttributeError):
        ticker.clip = 5  # type: ignore[misc]


def test_feature_spec_errors():
    with pytest.raises(InputError, match="duplicate"):
        native.FeatureSpec(["eth", "eth"])
    with pytest.raises(InputError, match="'ETH' is not a normalized word"):
        native.FeatureSpec(["ETH"])
    with pytest.raises(InputError, match="trigram_buckets, clip and max_bytes must be >= 1"):
        native.FeatureSpec([], clip=0)
    with pytest.raises(InputError, match="largest supported"):
        native.FeatureSpec([], trigram_buckets=2**40)
    with pytest.raises(TypeError):
        native.FeatureSpec("eth")  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        native.FeatureSpec.from_dict({"vocab": []})


# ---- prompts and batches --------------------------------------------------------------------


def test_prompt_types(ticker):
    data = b"swap 2 bnb for cake"
    want = native.featurize(data.decode(), ticker)
    for form in (data, bytearray(data), memoryview(data)):
        assert native.featurize(form, ticker) == want
    with pytest.raises(InputError, match="prompt must be str or bytes, not int"):
        native.featurize(7, ticker)  # type: ignore[arg-type]


def test_batches_take_any_iterable_but_not_one_prompt(ticker):
    prompts = ["swap 2 bnb for cake", b"$PEPE to the moon"]
    want = [native.featurize(p, ticker) for p in prompts]
    assert native.featurize_batch(tuple(prompts), ticker) == want
    assert native.featurize_batch(iter(prompts), ticker) == want
    assert native.featurize_batch([], ticker) == []
    for not_a_batch in ("swap", b"swap", 5):
        with pytest.raises(InputError, match="prompts must be a list of prompts"):
            native.featurize_batch(not_a_batch, ticker)  # type: ignore[arg-type]


def test_batch_errors_name_the_first_bad_prompt(ticker):
    prompts = ["ok"] * 5000
    prompts[4000] = ""
    prompts[3000] = "x" * 193
    with pytest.raises(InputError, match=r"^prompt 3000 of the batch: prompt is 193 bytes, limit is 192"):
        native.featurize_batch(prompts, ticker)
    with pytest.raises(InputError, match=r"^prompt 1 of the batch: prompt text has a lone surrogate"):
        native.featurize_quantized_batch(["ok", "\udcff", b"\xff"], ticker, 7)
    # any bytes are a prompt: only their length is checked
    assert native.featurize_quantized_batch([b"\xff", b"bnb \xfe"], ticker, 0) == [
        native.featurize(b"\xff", ticker), native.featurize("bnb", ticker)]


def test_quantized_batch(ticker):
    prompts = [f"swap {i} bnb for cake etherium" for i in range(3000)]
    rows = native.featurize_quantized_batch(prompts, ticker, 7)
    assert rows == [[v * 128 for v in row] for row in native.featurize_batch(prompts, ticker)]
    assert native.featurize_quantized_batch(["bnb"], ticker, 0) == [native.featurize("bnb", ticker)]
    with pytest.raises(InputError, match="scale 63 is too large"):
        native.featurize_quantized_batch(["bnb"], ticker, 63)


def test_concurrent_batches_agree_and_finish(ticker):
    """Batches release the GIL; several at once must neither deadlock nor mix results."""
    prompts = [f"sell {i} dogecoin for tehter and chainlnk" for i in range(4000)]
    want = native.featurize_batch(prompts, ticker)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(native.featurize_batch, prompts, ticker) for _ in range(8)]
        for f in futures:
            assert f.result(timeout=60) == want


def test_rust_log_records_reach_python_logging(ticker, caplog):
    with caplog.at_level(logging.DEBUG, logger="zkrevox_core"):
        native.featurize_quantized_batch(["bnb", "cake"], ticker, 3)
    records = [r for r in caplog.records if r.name.startswith("zkrevox_core")]
    assert any("featurized 2 prompts" in r.getMessage() for r in records)


# ---- fixed point and field elements vs ezkl -------------------------------------------------


def test_minus_one_is_what_ezkl_writes():
    minus_one = ezkl.float_to_felt(-1.0, 0, ezkl.PyInputType.F64)
    assert native.int_to_felt_hex(-1) == minus_one
    assert native.felt_hex_to_int(minus_one) == -1
    assert native.felt_hex_to_be_bytes(minus_one) == (R - 1).to_bytes(32, "big")


@PROPS
@given(v=i128s)
def test_felt_hex_matches_ezkl(v):
    h = native.int_to_felt_hex(v)
    assert h == le_hex(v % R)
    assert native.felt_hex_to_int(h) == ezkl.felt_to_int(h) == v
    assert native.felt_hex_to_int("0x" + h) == v
    be = native.felt_hex_to_be_bytes(h)
    assert be.hex() == ezkl.felt_to_big_endian(h)[2:].rjust(64, "0")
    assert native.be_bytes_to_felt_hex(be) == h


@PROPS
@given(v=st.integers(-(2**53), 2**53))
def test_int_to_felt_matches_ezkl_float_to_felt(v):
    assert native.int_to_felt_hex(v) == ezkl.float_to_felt(float(v), 0, ezkl.PyInputType.F64)


@PROPS
@given(
    x=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False) | st.integers(-400, 400).map(lambda k: k / 8),
    scale=st.integers(0, 20),
)
def test_quantize_matches_ezkl(x, scale):
    q = native.quantize(x, scale)
    assert q == ezkl.felt_to_int(ezkl.float_to_felt(x, scale, ezkl.PyInputType.F64))
    assert native.int_to_felt_hex(q) == ezkl.float_to_felt(x, scale, ezkl.PyInputType.F64)
    assert abs(native.dequantize(q, scale) - x) <= 0.5 / 2**scale + 1e-9 * abs(x)


@PROPS
@given(v=felts)
def test_be_bytes_round_trip_any_element(v):
    h = le_hex(v)
    assert native.felt_hex_to_be_bytes(h) == v.to_bytes(32, "big")
    assert native.be_bytes_to_felt_hex(v.to_bytes(32, "big")) == h


def test_field_errors():
    for bad in (R, R + 1, 2**256 - 1):
        with pytest.raises(InputError, match="not a BN254 scalar field element"):
            native.felt_hex_to_int(le_hex(bad))
        with pytest.raises(InputError, match="not a BN254 scalar field element"):
            native.be_bytes_to_felt_hex(bad.to_bytes(32, "big"))
    with pytest.raises(InputError, match="hex digits"):
        native.felt_hex_to_int("01")
    with pytest.raises(InputError, match="non-hex"):
        native.felt_hex_to_int("zz" * 32)
    with pytest.raises(InputError, match="32 bytes"):
        native.be_bytes_to_felt_hex(b"\x01" * 31)
    with pytest.raises(InputError, match="not a signed 128-bit integer"):
        native.felt_hex_to_int(le_hex(2**127))
    for x in (float("nan"), float("inf"), 2.0**63):
        with pytest.raises(InputError, match="cannot quantize"):
            native.quantize(x, 0)
    with pytest.raises(InputError, match="too large"):
        native.quantize(1.0, 63)
    assert native.quantize(1.25, 1) == 3 and native.quantize(-1.25, 1) == -3


# ---- calldata vs eth_abi --------------------------------------------------------------------


def selector(signature: str) -> bytes:
    return bytes(Web3.keccak(text=signature)[:4])


@PROPS
@given(proof=st.binary(max_size=300), instances=st.lists(felts, max_size=12))
def test_verify_calldata_matches_eth_abi(proof, instances):
    data = native.encode_verify_calldata(proof, [le_hex(v) for v in instances])
    want = selector("verifyProof(bytes,uint256[])") + abi_encode(["bytes", "uint256[]"], [proof, instances])
    assert data == want
    assert native.decode_verify_calldata(data) == (proof, instances)


@settings(max_examples=40, deadline=None)
@given(words=st.lists(st.binary(min_size=32, max_size=32), max_size=8), instances=st.lists(felts, max_size=6))
def test_verify_calldata_matches_ezkl(words, instances):
    """ezkl's own encoder (from a proof file) gives the same calldata plus 32 trailing zero bytes,
    which the verifier's ABI decoder ignores. Real proofs are whole 32-byte words; for other
    lengths ezkl 23 does not pad `bytes` as the ABI (and eth_abi) does, and we follow the ABI."""
    proof = b"".join(words)
    felt_hex = [le_hex(v) for v in instances]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "proof.json"
        path.write_text(json.dumps({"proof": list(proof), "instances": [felt_hex]}))
        theirs = bytes(ezkl.encode_evm_calldata(str(path), str(Path(tmp) / "calldata.bin")))
    ours = native.encode_verify_calldata(proof, felt_hex)
    assert theirs == ours + bytes(32)
    assert native.decode_verify_calldata(theirs) == (proof, instances)


abi_args = st.one_of(
    st.tuples(st.just("uint256"), st.integers(0, 2**256 - 1)),
    st.tuples(st.just("address"), st.integers(0, 2**160 - 1)),
    st.tuples(st.just("bytes"), st.binary(max_size=80)),
    st.tuples(st.just("uint256[]"), st.lists(st.integers(0, 2**256 - 1), max_size=5)),
)


@PROPS
@given(args=st.lists(abi_args, max_size=5), name=st.sampled_from(["f", "verifyProof", "request_2"]))
def test_encode_call_matches_eth_abi(args, name):
    types = [t for t, _ in args]
    values = [v for _, v in args]
    signature = f"{name}({','.join(types)})"
    py_values = [Web3.to_checksum_address(v.to_bytes(20, "big")) if t == "address" else v for t, v in args]
    data = native.encode_call(signature, values)
    assert data == selector(signature) + abi_encode(types, py_values)
    assert native.decode_call(signature, data) == values
    decoded = abi_decode(types, data[4:])
    plain = [list(d) if isinstance(d, tuple) else d for d in decoded]
    assert [int(d, 16) if t == "address" else d for t, d in zip(types, plain, strict=True)] == values


def test_calldata_errors():
    with pytest.raises(InputError, match="not supported"):
        native.encode_call("f(uint)", [1])
    with pytest.raises(InputError, match="expected 1 arguments, got 0"):
        native.encode_call("f(uint256)", [])
    with pytest.raises(InputError, match="cannot be negative"):
        native.encode_call("f(uint256)", [-1])
    with pytest.raises(InputError, match=r">= 2\^256"):
        native.encode_call("f(uint256)", [2**256])
    with pytest.raises(InputError, match="expected an int"):
        native.encode_call("f(uint256)", [True])
    with pytest.raises(InputError, match="cannot take"):
        native.encode_call("f(bytes)", [1])
    with pytest.raises(InputError, match="below 2\\^160"):
        native.encode_call("f(address)", [2**160])
    with pytest.raises(InputError, match="instance 1"):
        native.encode_verify_calldata(b"", [le_hex(1), le_hex(R)])
    data = native.encode_verify_calldata(b"proof", [le_hex(1)])
    with pytest.raises(InputError, match="selector does not match"):
        native.decode_verify_calldata(b"\x00" + data[1:])
    with pytest.raises(InputError, match="past the end"):
        native.decode_verify_calldata(data[:-1])


# ---- properties against pure-Python references (no eth_abi, no ezkl) -----------------------
# The field and ABI code is alloy's (U256/I256, hex, sol!, alloy-dyn-abi); these pin what the
# hand-written code did, on inputs the parity tests above never build: every element (not just
# the i128 range), either hex case, and calldata that is truncated or has its words rewritten.

HALF = (R - 1) // 2
near_edges = st.one_of(
    felts,
    st.integers(HALF - 2**129, HALF + 2**129),
    st.integers(R - 2**128 - 8, R - 1),
    st.integers(2**127 - 8, 2**127 + 8),
    st.integers(0, 2**64),
)


@PROPS
@given(v=near_edges, upper=st.booleans(), prefix=st.sampled_from(["", "0x", "0X"]))
def test_felt_hex_to_int_any_element_matches_python(v, upper, prefix):
    h = le_hex(v)
    signed = v - R if v > HALF else v
    text = prefix + (h.upper() if upper else h)
    if -(2**127) <= signed < 2**127:
        assert native.felt_hex_to_int(text) == signed
        assert native.int_to_felt_hex(signed) == h
    else:
        with pytest.raises(InputError, match="not a signed 128-bit integer"):
            native.felt_hex_to_int(text)
    assert native.felt_hex_to_be_bytes(text) == v.to_bytes(32, "big")


@PROPS
@given(word=st.binary(min_size=32, max_size=32) | near_edges.map(lambda v: v.to_bytes(32, "big")))
def test_be_bytes_to_felt_hex_accepts_exactly_the_elements(word):
    v = int.from_bytes(word, "big")
    if v < R:
        assert native.be_bytes_to_felt_hex(word) == le_hex(v)
    else:
        with pytest.raises(InputError, match="not a BN254 scalar field element"):
            native.be_bytes_to_felt_hex(word)


class _Bad(Exception):
    pass


def _reference_decode(types: list[str], body: bytes) -> list:
    """What the decoder accepts: every word, offset and length inside the data (no padding or
    trailing-bytes checks, as the verifier's own decoder); addresses below 2^160."""

    def word(at: int) -> int:
        if at + 32 > len(body):
            raise _Bad
        return int.from_bytes(body[at : at + 32], "big")

    out: list = []
    for i, t in enumerate(types):
        if t in ("uint256", "address"):
            v = word(32 * i)
            if t == "address" and v >= 2**160:
                raise _Bad
            out.append(v)
            continue
        at = word(32 * i)
        n = word(at)
        if t == "bytes":
            if at + 32 + n > len(body):
                raise _Bad
            out.append(body[at + 32 : at + 32 + n])
        else:
            if at + 32 + 32 * n > len(body):
                raise _Bad
            out.append([word(at + 32 + 32 * k) for k in range(n)])
    return out


@PROPS
@given(args=st.lists(abi_args, min_size=1, max_size=4), data=st.data())
def test_decode_call_of_damaged_calldata_matches_python(args, data):
    types = [t for t, _ in args]
    signature = f"f({','.join(types)})"
    calldata = bytearray(native.encode_call(signature, [v for _, v in args]))
    words = (len(calldata) - 4) // 32
    for _ in range(data.draw(st.integers(0, 3), label="rewrites")):
        k = data.draw(st.integers(0, words - 1), label="word")
        value = data.draw(st.integers(0, len(calldata) + 64) | st.integers(0, 2**256 - 1), label="value")
        calldata[4 + 32 * k : 4 + 32 * k + 32] = value.to_bytes(32, "big")
    cut = data.draw(st.just(len(calldata)) | st.integers(4, len(calldata)), label="length")
    damaged = bytes(calldata[:cut]) + data.draw(st.binary(max_size=40), label="trailing bytes")
    try:
        want = _reference_decode(types, damaged[4:])
    except _Bad:
        with pytest.raises(InputError, match="cannot decode calldata"):
            native.decode_call(signature, damaged)
    else:
        assert native.decode_call(signature, damaged) == want
