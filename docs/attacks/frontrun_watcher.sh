#!/bin/bash
# frontrun.sh against a running `zkrevox watch` (started on $RPC, disputer dev account 4): its dispute
# is copied from the mempool by account 5 with a higher tip; what does the watcher log and lose?
set -u; cd "$(dirname "$0")"; . ./env.sh
PY=$ROOT/.venv/bin/python
K5=$(cast wallet private-key "test test test test test test test test test test test junk" 5); A5=$(cast wallet address $K5)
cast rpc evm_setAutomine false --rpc-url $RPC >/dev/null
cast rpc evm_setIntervalMining 0 --rpc-url $RPC >/dev/null 2>&1
REC=${REC:-} $PY frontrun_setup.py > setup.out 2>&1 &   # its own txs need blocks: mine while it runs
for i in $(seq 1 30); do cast rpc evm_mine --rpc-url $RPC >/dev/null; sleep 1; grep -q '^[0-9]' setup.out && break; done
RID=$(grep '^[0-9]' setup.out | tail -1); echo "wrong optimistic answer on request $RID"
for i in $(seq 1 200); do
  TX=$(cast rpc txpool_content --rpc-url $RPC | $PY -c "
import json,sys; d=json.load(sys.stdin)['pending']
for s,txs in d.items():
  for n,t in txs.items():
    if t['input'].startswith('0xd08a19af'): print(t['hash'])" | head -1)
  [ -n "$TX" ] && break; sleep 1
done
echo "watcher's pending dispute: $TX"
INPUT=$(cast tx $TX input --rpc-url $RPC); TO=$(cast tx $TX to --rpc-url $RPC)
C=$(cast send $TO $INPUT --private-key $K5 --gas-price 100gwei --priority-gas-price 50gwei --gas-limit 2000000 --async --rpc-url $RPC)
cast rpc evm_mine --rpc-url $RPC >/dev/null
cast rpc evm_setAutomine true --rpc-url $RPC >/dev/null
echo "watcher tx: status $(cast receipt $TX status --rpc-url $RPC) gasUsed $(cast receipt $TX gasUsed --rpc-url $RPC)"
echo "copier tx: status $(cast receipt $C status --rpc-url $RPC) gasUsed $(cast receipt $C gasUsed --rpc-url $RPC)"
echo "copier credit: $(cast call $TO 'credits(address)(uint256)' $A5 --rpc-url $RPC)"
sleep 15; grep "request $RID" watch.log | tail -4
