// A request's page: its live timeline read from the chain (and the node's store when the server has it),
// the answer as the agent's labels, failures in words, and Verify: which check ran is always said.
import { $, STATUS_NAMES, connectWallet, dprompt, el, ethers, formatEth, labelsOf, loadConfig, modelById,
  readProvider, rpcProblem, say, short, showWallet } from "/static/js/common.js";
import { verifyRequest } from "/static/js/verify.js";

const POLL_MS = 1000;
const rid = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const s = { config: null, provider: null, contract: null, wallet: null, iface: null, logs: {}, receipts: {},
            chainTime: 0, fetchedAt: 0, state: null, model: null, timer: null, done: false };

function topicOf(id) {
  return ethers.zeroPadValue(ethers.toBeHex(BigInt(id)), 32);
}

async function logsOf(name) {
  if (s.logs[name]?.length) return s.logs[name];
  const event = s.iface.getEvent(name);
  const raw = await s.provider.getLogs({ address: s.config.dprompt, fromBlock: s.config.from_block, toBlock: "latest",
                                         topics: [event.topicHash, topicOf(rid)] });
  s.logs[name] = raw.map((log) => ({ log, ev: s.iface.parseLog(log) }));
  return s.logs[name];
}

async function receipt(hash) {
  if (!s.receipts[hash]) s.receipts[hash] = await s.provider.getTransactionReceipt(hash);
  return s.receipts[hash];
}

function step(text, cls = "done", testid = null) {
  return el("li", testid ? { class: cls, testid } : { class: cls }, text);
}

function secondsLeft(until) {
  return Math.max(0, Number(until) - (s.chainTime + Math.floor((Date.now() - s.fetchedAt) / 1000)));
}

function errorName(selector) {
  try {
    return s.iface.getError(selector).name;
  } catch {
    return selector;
  }
}

async function refresh() {
  const next = await s.contract.nextRequestId();
  if (BigInt(rid) === 0n || BigInt(rid) >= next) {
    say(`No request ${rid} on DPrompt ${s.config.dprompt} (chain ${s.config.chain_id}); the latest request is ` +
      `${next - 1n}. Check the id in the address; nothing was sent.`, "error");
    s.done = true;
    return;
  }
  const st = await s.contract.requestState(rid);
  const block = await s.provider.getBlock("latest");
  s.chainTime = Number(block.timestamp);
  s.fetchedAt = Date.now();
  s.state = st;
  const status = STATUS_NAMES[Number(st.status)] || `status ${st.status}`;
  if (status === "none") {
    say(`No request ${rid} on DPrompt ${s.config.dprompt} (chain ${s.config.chain_id}); the latest request is ` +
      `${next - 1n}. Check the id in the address; nothing was sent.`, "error");
    s.done = true;
    return;
  }
  s.model = modelById(s.config, st.modelId) || { name: `model ${st.modelId}`, labels: [], num_outputs: 256,
                                                   answer_key: "labels" };
  const items = [];
  const [requested] = await logsOf("DPromptRequested");
  if (requested) {
    const r = await receipt(requested.log.transactionHash);
    const prompt = requested.ev.args.prompt;
    let text;
    try { text = ethers.toUtf8String(prompt); } catch { text = `(not UTF-8) ${prompt}`; }
    $("prompt-shown").textContent = `“${text}” → ${s.model.name}`;
    items.push(step(`request mined: tx ${short(requested.log.transactionHash)} in block ${requested.log.blockNumber}, ` +
      `gas ${r.gasUsed}, paid ${formatEth(st.fee)} (${st.optimistic ? "optimistic" : "proven"})`, "done", "step-requested"));
  }
  items.push(step(`provider assigned: ${st.provider}; deadline ${new Date(Number(st.deadline) * 1000).toLocaleTimeString()}`,
    "done", "step-assigned"));
  if (s.config.store) {
    const res = await fetch(`/api/requests/${rid}/offchain`);
    if (res.ok) {
      const job = await res.json();
      const path = job.history.map((h) => `${h.to} ${new Date(h.at * 1000).toLocaleTimeString()}`).join(" → ");
      items.push(step(`node: ${path}`, "done", "step-offchain"));
    }
  }
  for (const { ev, log } of await logsOf("DPromptFulfilSkipped")) {
    items.push(step(`a batch proof skipped this request (${errorName(ev.args.reason)}) in tx ${short(log.transactionHash)}; ` +
      "the provider can still answer it before the deadline", "fail", "step-skipped"));
  }
  let statusText;
  let kind = "info";
  const answer = labelsOf(st.answer, s.model);
  const shown = `${s.model.answer_key}: ${answer.length ? answer.join(", ") : "(none)"}`;
  if (st.optimistic) {
    const [answered] = await logsOf("DPromptAnswered");
    if (answered) {
      const r = await receipt(answered.log.transactionHash);
      items.push(step(`answered without a proof: tx ${short(answered.log.transactionHash)}, gas ${r.gasUsed}`, "done",
        "step-answered"));
    }
  }
  if (status === "pending") {
    const left = secondsLeft(st.deadline);
    statusText = left > 0 ? `pending: waiting for ${short(st.provider)} to ${st.optimistic ? "answer" : "prove and fulfil"} ` +
      `(${left} s to the deadline)` : null;
    if (left === 0) {
      statusText = `expired: the deadline passed at ${new Date(Number(st.deadline) * 1000).toLocaleTimeString()} ` +
        "without an answer; anyone can settle it (Reclaim): the whole payment becomes the requester's credit and " +
        "part of the provider's stake is burned";
      kind = "error";
      showAction("reclaim", "Reclaim", async (signer) => dprompt(s.config, signer).reclaim(rid));
    }
  } else if (status === "answered") {
    const left = secondsLeft(st.windowEnd);
    const countdown = el("li", { class: "", testid: "countdown" },
      left > 0 ? `challenge window: ${left} s left; anyone can dispute with a proof until then`
        : "challenge window over: anyone can finalize");
    items.push(countdown);
    statusText = left > 0 ? `answered (optimistic, not final): final in ${left} s unless a dispute proves it wrong`
      : "answered (optimistic): the challenge window is over; waiting for finalize";
    if (left === 0) showAction("finalize", "Finalize", async (signer) => dprompt(s.config, signer).finalize([rid]));
    $("verify-result").textContent = "An optimistic answer carries no proof: nothing to verify (a dispute would bring one).";
  } else if (status === "fulfilled" || status === "overturned") {
    const [fulfilled] = await logsOf("DPromptFulfilled");
    const [overturned] = await logsOf("DPromptAnswerOverturned");
    if (overturned) {
      const r = await receipt(overturned.log.transactionHash);
      items.push(step(`overturned: dispute tx ${short(overturned.log.transactionHash)} by ${short(overturned.ev.args.disputer)} ` +
        `(gas ${r.gasUsed}) proved another answer; the proof was accepted by the chain's verifier`, "fail", "step-overturned"));
      statusText = "final: overturned by a dispute (the proven answer stands)";
    } else if (fulfilled) {
      const r = await receipt(fulfilled.log.transactionHash);
      const tx = await s.provider.getTransaction(fulfilled.log.transactionHash);
      const call = safeParse(tx);
      if (st.optimistic) {
        $("verify-result").textContent = "An optimistic answer carries no proof: nothing to verify; it is final because " +
          "no one disputed it within the challenge window.";
        items.push(step(`final: finalized in tx ${short(fulfilled.log.transactionHash)} (gas ${r.gasUsed}); no dispute`,
          "done", "step-final"));
        statusText = "final: the optimistic answer stands (no dispute in the challenge window)";
      } else {
        const n = call && call.name === "fulfilBatch" ? call.args[0].length : 1;
        items.push(step(`fulfilled: tx ${short(fulfilled.log.transactionHash)} in block ${fulfilled.log.blockNumber}, ` +
          (n > 1 ? `one fulfilBatch of ${n} (gas ${r.gasUsed}, ${r.gasUsed / BigInt(n)} per request)` : `gas ${r.gasUsed}`) +
          "; the proof was accepted by the chain's verifier", "done", "step-fulfilled"));
        statusText = "fulfilled: proven answer, accepted by the chain's verifier";
        $("verify").disabled = false;
      }
    }
    kind = "ok";
    s.done = true;
  } else if (status === "reclaimed") {
    const [declined] = await logsOf("DPromptDeclined");
    statusText = declined
      ? `declined by the provider in tx ${short(declined.log.transactionHash)}: at the chain's base fee the ` +
        "proof's gas would cost more than the request pays; the payment was credited back to the requester " +
        "(no stake slashed; withdraw it with `zkrevox withdraw`)"
      : "reclaimed: the deadline passed without an answer; the payment was credited back to the requester " +
        "(withdraw it with `zkrevox withdraw`)";
    kind = "error";
    s.done = true;
  }
  for (const { ev, log } of await logsOf("DPromptCallback")) {
    items.push(step(`callback to ${short(ev.args.consumer)}: ${ev.args.success ? "succeeded" : "failed (the answer stands, " +
      "the consumer did not take it)"} in tx ${short(log.transactionHash)}`, ev.args.success ? "done" : "fail", "step-callback"));
  }
  $("timeline").replaceChildren(...items);
  const hasAnswer = ["fulfilled", "overturned", "answered"].includes(status);
  $("answer").textContent = hasAnswer ? shown + (status === "answered" ? " (posted, not final)" : "") : "";
  if (statusText) say(statusText, kind);
  // a CommandAgent ask: keep following until the other request is final too, then show both as one line
  if (s.done && askIds().length === 2 && !(await showCommand())) s.done = false;
  $("title").textContent = `request ${rid}`;
}

/** A CommandAgent ask (?ask=INTENT_ID,TICKER_ID): both answers as one line, once both are final. */
function askIds() {
  return (new URLSearchParams(location.search).get("ask") || "").split(",").filter((x) => /^\d+$/.test(x));
}

/** Renders the line once both requests are final; false while one is not. */
async function showCommand() {
  const ids = askIds();
  const answers = {};
  let prompt = "0x";
  for (const id of ids) {
    const st = await s.contract.requestState(id);
    if (!["fulfilled", "overturned"].includes(STATUS_NAMES[Number(st.status)])) return false;
    const model = modelById(s.config, st.modelId);
    answers[model.answer_key] = labelsOf(st.answer, model);
    const event = s.iface.getEvent("DPromptRequested");
    const [log] = await s.provider.getLogs({ address: s.config.dprompt, fromBlock: s.config.from_block,
                                             toBlock: "latest", topics: [event.topicHash, topicOf(id)] });
    if (log) prompt = s.iface.parseLog(log).args.prompt;
  }
  const q = new URLSearchParams({ intents: (answers.intents || []).join(","), tickers: (answers.tickers || []).join(","),
                                  prompt_hex: prompt.slice(2) });
  const { line } = await (await fetch(`/api/command-line?${q}`)).json();
  $("answer").textContent = `CommandAgent: ${line}  (intents ${ids[0]}: ${(answers.intents || []).join(", ") || "none"}; ` +
    `tickers ${ids[1]}: ${(answers.tickers || []).join(", ") || "none"})`;
  return true;
}

function safeParse(tx) {
  try {
    return tx && tx.to && tx.to.toLowerCase() === s.config.dprompt.toLowerCase() ? s.iface.parseTransaction(tx) : null;
  } catch {
    return null;
  }
}

function showAction(id, label, send, onlyFrom = null) {
  const box = $("actions");
  if (box.querySelector(`[data-testid="${id}"]`)) return;
  const button = el("button", { testid: id, type: "button" }, label);
  if (!s.wallet.signer || (onlyFrom && s.wallet.address.toLowerCase() !== onlyFrom.toLowerCase())) {
    button.disabled = true;
    button.title = onlyFrom ? `only the requester ${onlyFrom} can do this` : "no account can sign here";
  }
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const tx = await send(s.wallet.signer);
      await tx.wait();
      s.logs = {};
      await refresh();
    } catch (err) {
      say(`${label} not done: ${rpcProblem(s.config, err)}`, "error");
      button.disabled = false;
    }
  });
  box.append(button);
}

async function poll() {
  try {
    await refresh();
  } catch (err) {
    say(rpcProblem(s.config, err), "error");
  }
  if (!s.done) s.timer = setTimeout(poll, POLL_MS);
  else document.body.dataset.settled = "1";
}

async function onVerify() {
  const out = $("verify-result");
  $("verify").disabled = true;
  out.className = "status";
  out.textContent = "verifying…";
  try {
    const result = await verifyRequest(s, rid);
    out.className = `status ${result.ok ? "ok" : "error"}`;
    out.textContent = result.message;
    out.dataset.check = result.check;
    out.dataset.ok = String(result.ok);
  } catch (err) {
    out.className = "status error";
    out.textContent = `not verified: ${rpcProblem(s.config, err)}`;
    out.dataset.ok = "false";
  } finally {
    $("verify").disabled = false;
  }
}

async function main() {
  $("title").textContent = `request ${rid}`;
  if (!/^\d+$/.test(rid)) {
    say(`“${rid}” is not a request id (a whole number, e.g. /requests/1); nothing was sent.`, "error");
    document.body.dataset.settled = "1";
    return;
  }
  try {
    s.config = await loadConfig();
  } catch (err) {
    say(String(err), "error");
    return;
  }
  s.provider = readProvider(s.config);
  s.contract = dprompt(s.config, s.provider);
  s.iface = new ethers.Interface(s.config.abi.DPrompt);
  try {
    s.wallet = await connectWallet(s.config, s.provider);
  } catch (err) {
    s.wallet = { mode: "read-only", signer: null, problem: rpcProblem(s.config, err) };
  }
  showWallet(s.wallet);
  $("verify").addEventListener("click", onVerify);
  await poll();
}

main();
