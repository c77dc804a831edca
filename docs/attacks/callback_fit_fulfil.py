"""callback_fit.py, step 2: the provider tries to fulfil the accepted request with a real proof
(`zkrevox prove ticker "buy 1 eth" --out proof29`), in a 2,500,000-gas block and in a 30M one.
Run: . env.sh && REC=... python callback_fit_fulfil.py RID proof29/proof.json"""
import sys
import attacks as a
from zkrevox.chain.proofs import ChainProof

w3, d = a.w3, a.d
rid, path = int(sys.argv[1]), sys.argv[2]
p = ChainProof.from_file(path)
r = d.functions.requestState(rid).call()
fn = d.functions.fulfil(rid, p.proof_bytes, p.outputs(a.model_cfg(r[1])[9]))
for limit in (2_500_000, 30_000_000):
    w3.provider.make_request("evm_setBlockGasLimit", [hex(limit)]); w3.provider.make_request("evm_mine", [])
    try:
        print(f"  block limit {limit:,}: fulfil of {rid} needs", fn.estimate_gas({"from": r[3]}), "gas")
    except Exception as e:  # noqa: BLE001
        print(f"  block limit {limit:,}: fulfil of {rid} refused: {str(e)[:200]}")
