"""The on-chain half of ``make demo``: a real anvil, real contracts, a real proof.

Owner, provider and user are anvil's dev accounts 0, 1 and 2 (public test keys,
local chain only). Deploy the ticker verifier and DPrompt, stake as the
provider, request as the user, prove and fulfil as the provider, read the
answer back as the user.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from eth_account import Account

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient, bitmap_indices
from zkrevox.chain.deploy import current_verifier, deploy, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.chain.proofs import ChainProof

STAKE_WEI = 10**18


def run(prompt: str, say: Callable[[str], None]) -> dict:
    from zkrevox import Prover

    prover = Prover.load("ticker")
    params = model_params("ticker")
    owner, provider_acct, user_acct = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:3])
    with tempfile.TemporaryDirectory() as work, Anvil() as chain:
        say(f"anvil on {chain.url} (chain id 31337)")
        w3 = connect(chain.url)
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), directory=Path(work))
        record = dep.models["ticker"]
        say(f"deployed DPrompt {dep.dprompt.address}, verifier {record.verifier.address} "
            f"({record.verifier_size} bytes), model id {record.model_id}")
        provider = DPromptClient(w3, dep.dprompt.address, provider_acct)
        user = DPromptClient(w3, dep.dprompt.address, user_acct)
        stake = provider.stake(record.model_id, STAKE_WEI)
        say(f"provider {provider_acct.address} staked 1 ETH (gas {stake['gasUsed']})")
        request_id, req = user.request(record.model_id, prompt)
        say(f"user requested {prompt!r}: request {request_id} (gas {req['gasUsed']})")
        proof = prover.prove(prompt)
        chain_proof = ChainProof.from_proof(proof)
        outputs = chain_proof.outputs(params.num_outputs)
        receipt = provider.fulfil(request_id, chain_proof.proof_bytes, outputs)
        say(f"provider proved in {proof.prove_seconds:.2f}s and fulfilled (gas {receipt['gasUsed']})")
        info = user.request_info(request_id)
        tickers = [params.labels[i] for i in bitmap_indices(info.answer, params.num_outputs)]
        say(f"on-chain answer to request {request_id}: {info.status} {tickers}")
        return {"request_id": request_id, "status": info.status, "tickers": tickers,
                "fulfil_gas": int(receipt["gasUsed"])}
