// Verify a proven request. A single-request proof is checked in this browser with ezkl's WASM engine
// (@ezkljs/engine 21.0.0): the proof bytes from the fulfil transaction's calldata, the instances DPrompt
// rebuilds from the request's stored features (publicInstances), the verifying key whose sha256 must be the
// model's on-chain vk hash. A batch proof (Freivalds' einsum columns, which engine 21 cannot check) is
// re-run through the registered batch verifier with eth_call. The result names the check that ran.
import { ethers } from "ethers";

const VERIFIER_ABI = ["function verifyProof(bytes proof, uint256[] instances) view returns (bool)"];
let engine = null;

async function loadEngine() {
  if (!engine) {
    const mod = await import("/vendor/ezkl/ezkl.js");
    await mod.default("/vendor/ezkl/ezkl_bg.wasm");
    engine = mod;
  }
  return engine;
}

async function bytesOf(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${(await res.json().catch(() => ({}))).error || ""}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function sha256(bytes) {
  return ethers.hexlify(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))).slice(2);
}

/** A uint256 as ezkl's field element: 32 bytes little-endian, hex without 0x. */
function felt(value) {
  return ethers.toBeHex(BigInt(value), 32).slice(2).match(/../g).reverse().join("");
}

/** The fulfil transaction's decoded call: {name, ids, proof, outputs, hash}. */
async function fulfilCall(s, rid) {
  const event = s.iface.getEvent("DPromptFulfilled");
  const topic = ethers.zeroPadValue(ethers.toBeHex(BigInt(rid)), 32);
  const [log] = await s.provider.getLogs({ address: s.config.dprompt, fromBlock: s.config.from_block,
                                           toBlock: "latest", topics: [event.topicHash, topic] });
  if (!log) throw new Error(`request ${rid} has no fulfilment yet`);
  const tx = await s.provider.getTransaction(log.transactionHash);
  let call = null;
  try {
    if (tx.to && tx.to.toLowerCase() === s.config.dprompt.toLowerCase()) call = s.iface.parseTransaction(tx);
  } catch { /* not a DPrompt call */ }
  if (!call || !["fulfil", "fulfilBatch"].includes(call.name)) {
    throw new Error(`transaction ${log.transactionHash} is not a direct fulfil/fulfilBatch call to DPrompt; its ` +
      "proof cannot be read from the calldata");
  }
  // plain arrays: ethers' decoded Results are frozen, and a call that takes them as arguments fails
  const ids = call.name === "fulfil" ? [BigInt(call.args[0])] : Array.from(call.args[0], BigInt);
  return { name: call.name, ids, proof: call.args[1], outputs: Array.from(call.args[2], BigInt), hash: log.transactionHash,
           block: log.blockNumber };
}

/**
 * The instances DPrompt handed the verifier: read in the state just before the fulfilment's block (DPrompt
 * frees a request's stored features once it is answered), which needs an RPC that serves that state.
 */
async function instancesBefore(s, call, read) {
  try {
    return await read();
  } catch (err) {
    throw new Error(`cannot rebuild the instances: DPrompt's stored features are read in the state of block ` +
      `${call.block - 1} (just before the fulfilment in tx ${call.hash}), and your RPC ${s.config.rpc} did not ` +
      `serve it (${err.shortMessage || err.message}); an archive RPC can`);
  }
}

/**
 * {ok, check: "browser" | "chain", message, seconds}. ``s``: the request page's state (config, provider,
 * contract, iface, state, model).
 */
export async function verifyRequest(s, rid) {
  const call = await fulfilCall(s, rid);
  const [cfg] = await s.contract.model(s.state.modelId);
  if (call.name === "fulfilBatch") {
    const n = call.ids.length;
    const instances = await instancesBefore(s, call, () =>
      s.contract.batchPublicInstances(call.ids, call.outputs, { blockTag: call.block - 1 }));
    const [verifier] = await s.contract.batchVerifier(s.state.modelId, n);
    const contract = new ethers.Contract(verifier, VERIFIER_ABI, s.provider);
    const t0 = performance.now();
    let ok;
    let why = "";
    try {
      ok = await contract.verifyProof(call.proof, Array.from(instances, BigInt));
    } catch (err) {
      ok = false;
      why = ` (${err.shortMessage || err.message})`;
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      ok, check: "chain", seconds,
      message: ok
        ? `accepted by the chain's verifier (via your RPC ${s.config.rpc}): eth_call verifyProof on the registered ` +
          `batch-${n} verifier ${verifier} returned true for the proof in tx ${call.hash} and the instances DPrompt ` +
          `rebuilds for requests ${call.ids.join(", ")}. Not verified in this browser: the WASM engine cannot check ` +
          "batch proofs (Freivalds' einsum columns)."
        : `rejected by the chain's verifier (via your RPC): the batch-${n} verifier ${verifier} refused the proof in ` +
          `tx ${call.hash}${why}.`,
    };
  }
  const model = s.model;
  const files = await (await fetch(`/api/models/${encodeURIComponent(model.name)}/verifier`)).json();
  if (files.error) throw new Error(files.error);
  const [vk, settings, srs] = await Promise.all([files.vk.url, files.settings.url, files.srs.url].map(bytesOf));
  const vkSha = await sha256(vk);
  const onchainVk = ethers.hexlify(cfg.vkHash).slice(2);
  if (vkSha !== onchainVk) {
    return { ok: false, check: "browser", seconds: 0,
             message: `not verified: the verifying key the server sent has sha256 ${vkSha.slice(0, 12)}…, the model's ` +
               `on-chain vk hash is ${onchainVk.slice(0, 12)}…; this server's build is not the registered one ` +
               `(${model.check_command}).` };
  }
  const instances = await instancesBefore(s, call, () =>
    s.contract.publicInstances(rid, call.outputs, { blockTag: call.block - 1 }));
  const proofJson = {
    protocol: null, instances: [instances.map(felt)], proof: Array.from(ethers.getBytes(call.proof)), hex_proof: null,
    transcript_type: "EVM", split: null, pretty_public_inputs: null, timestamp: null,
  };
  const ezkl = await loadEngine();
  const encoded = new Uint8ClampedArray(new TextEncoder().encode(JSON.stringify(proofJson)));
  const t0 = performance.now();
  let ok;
  let why = "";
  try {
    ok = ezkl.verify(encoded, new Uint8ClampedArray(vk), new Uint8ClampedArray(settings), new Uint8ClampedArray(srs));
  } catch (err) {
    ok = false;
    why = String(err.message || err);
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    ok, check: "browser", seconds,
    message: ok
      ? `verified in this browser (ezkl WASM engine 21.0.0, ${seconds.toFixed(2)} s): the proof in tx ${call.hash} is ` +
        `valid for request ${rid}'s instances (its stored features and the answer), under the vk whose sha256 ` +
        `${vkSha.slice(0, 12)}… is the model's on-chain vk hash, with the ${srs.length} SRS bytes a verifier reads ` +
        `(sha256 ${files.srs.sha256.slice(0, 12)}…, from the build's SRS ${files.srs.source_sha256.slice(0, 12)}…).`
      : `rejected in this browser: the proof in tx ${call.hash} does not verify for request ${rid}'s instances ` +
        `(${why || "verify returned false"}).`,
  };
}
