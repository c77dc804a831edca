// The Ask page: prompt, agent, mode, the fee quoted from the chain, then the request is sent and the
// page moves to its timeline (/requests/ID). Every refusal is said in the page and nothing is sent.
import { $, connectWallet, dprompt, ethers, formatEth, loadConfig, readProvider, rpcProblem, say, showWallet }
  from "/static/js/common.js";

const state = { config: null, provider: null, wallet: null, models: new Map() };

async function onchainModel(model) {
  if (!state.models.has(model.model_id)) {
    const [cfg] = await dprompt(state.config, state.provider).model(model.model_id);
    state.models.set(model.model_id, cfg);
  }
  return state.models.get(model.model_id);
}

function chosen() {
  const agent = $("agent").value;
  if (agent === "command") return { command: true };
  return { model: state.config.models.find((m) => m.name === agent) };
}

/** {value, maxBytes, what}: what the chosen agent and mode cost, read from the chain. */
async function quote() {
  const { command, model } = chosen();
  const optimistic = $("mode").value === "optimistic";
  if (command) {
    if (optimistic) throw new Error("CommandAgent asks both agents for proven answers only: choose proven");
    const agent = new ethers.Contract(state.config.command_agent, state.config.abi.CommandAgent, state.provider);
    const gasPrice = (await state.provider.getFeeData()).gasPrice ?? 0n;
    const [intentPay, tickerPay] = await agent.quote(gasPrice);
    const limits = await Promise.all(state.config.models.map((m) => onchainModel(m)));
    const maxBytes = Math.min(...limits.map((c) => Number(c.spec.maxBytes)));
    return { value: intentPay + tickerPay, maxBytes, gasPrice, what: "CommandAgent (intent + ticker, with callbacks)" };
  }
  const cfg = await onchainModel(model);
  if (optimistic && Number(cfg.challengeWindow) === 0) {
    throw new Error(`${model.name} offers no optimistic mode (its challenge window is 0): choose proven`);
  }
  const contract = dprompt(state.config, state.provider);
  const value = optimistic ? cfg.optimisticFee : await contract.requiredPayment(model.model_id, 0, 0);
  return { value, maxBytes: Number(cfg.spec.maxBytes), what: model.name, window: Number(cfg.challengeWindow) };
}

async function refreshFee() {
  try {
    const q = await quote();
    $("fee").textContent = `${formatEth(q.value)} (${$("mode").value}` +
      (q.window && $("mode").value === "optimistic" ? `, challenge window ${q.window} s)` : ")");
    return q;
  } catch (err) {
    $("fee").textContent = "—";
    say(rpcProblem(state.config, err), "error");
    return null;
  }
}

async function ask() {
  const button = $("ask");
  button.disabled = true;
  try {
    const prompt = $("prompt").value;
    const bytes = new TextEncoder().encode(prompt);
    if (bytes.length === 0) {
      say("Type a prompt first; nothing was sent.", "error");
      return;
    }
    const q = await quote();
    if (bytes.length > q.maxBytes) {
      say(`The prompt is ${bytes.length} bytes; ${q.what} takes at most ${q.maxBytes} bytes (UTF-8). ` +
        "Shorten it; nothing was sent.", "error");
      return;
    }
    if (!state.wallet.signer) {
      say(state.wallet.problem || "No account can sign here: read-only. Nothing was sent.", "error");
      return;
    }
    const { command, model } = chosen();
    say(`sending: ${formatEth(q.value)} from ${state.wallet.address}…`);
    let tx;
    if (command) {
      const agent = new ethers.Contract(state.config.command_agent, state.config.abi.CommandAgent, state.wallet.signer);
      tx = await agent.ask(bytes, { value: q.value, gasPrice: q.gasPrice }); // the quote holds at this gas price
    } else {
      const contract = dprompt(state.config, state.wallet.signer);
      tx = $("mode").value === "optimistic"
        ? await contract.requestOptimistic(model.model_id, bytes, 0, { value: q.value })
        : await contract.request(model.model_id, bytes, { value: q.value });
    }
    say(`transaction ${tx.hash} sent; waiting for it to be mined…`);
    const receipt = await tx.wait();
    const iface = new ethers.Interface(state.config.abi.DPrompt);
    const ids = receipt.logs
      .filter((log) => log.address.toLowerCase() === state.config.dprompt.toLowerCase())
      .map((log) => { try { return iface.parseLog(log); } catch { return null; } })
      .filter((ev) => ev && ev.name === "DPromptRequested")
      .map((ev) => ev.args.requestId.toString());
    if (!ids.length) throw new Error(`transaction ${tx.hash} made no DPrompt request`);
    say(`request ${ids.join(", ")} mined in block ${receipt.blockNumber}`, "ok");
    location.assign(`/requests/${ids[command ? ids.length - 1 : 0]}` + (ids.length > 1 ? `?ask=${ids.join(",")}` : ""));
  } catch (err) {
    const why = rpcProblem(state.config, err);
    say(/nothing was sent/i.test(why) ? why : `Not sent: ${why}`, "error");
  } finally {
    button.disabled = !state.wallet?.signer;
  }
}

async function main() {
  try {
    state.config = await loadConfig();
  } catch (err) {
    say(String(err), "error");
    return;
  }
  const agent = $("agent");
  for (const m of state.config.models) agent.append(new Option(`${m.name} (${m.answer_key})`, m.name));
  if (state.config.command_agent) agent.append(new Option("command (CommandAgent: intent + ticker)", "command"));
  state.provider = readProvider(state.config);
  try {
    state.wallet = await connectWallet(state.config, state.provider);
  } catch (err) {
    state.wallet = { mode: "read-only", signer: null, problem: rpcProblem(state.config, err) };
  }
  showWallet(state.wallet);
  $("ask").disabled = !state.wallet.signer;
  $("ask").addEventListener("click", ask);
  agent.addEventListener("change", refreshFee);
  $("mode").addEventListener("change", refreshFee);
  const q = await refreshFee();
  if (q) {
    say(state.wallet.signer
      ? `Ready: DPrompt ${state.config.dprompt} on chain ${state.config.chain_id}.`
      : state.wallet.problem, state.wallet.signer ? "info" : "error");
  }
  document.body.dataset.ready = "1";
}

main();
