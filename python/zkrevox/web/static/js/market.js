// The market: every model published on this DPrompt, read from the chain, with the verifiable-build status
// the server computes against its local builds (zkrevox.chain.site.build_statuses).
import { $, dprompt, el, ethers, formatEth, loadConfig, readProvider, rpcProblem, say, short } from "/static/js/common.js";

async function main() {
  let config;
  try {
    config = await loadConfig();
  } catch (err) {
    say(String(err), "error");
    return;
  }
  const provider = readProvider(config);
  const banner = $("wallet");
  banner.className = "banner";
  banner.textContent = `read-only page: DPrompt ${config.dprompt} on chain ${config.chain_id}, read through ${config.rpc}`;
  const contract = dprompt(config, provider);
  const iface = new ethers.Interface(config.abi.DPrompt);
  try {
    const [count, builds] = await Promise.all([contract.modelCount(),
      fetch("/api/builds").then((r) => r.json())]);
    const range = { address: config.dprompt, fromBlock: config.from_block, toBlock: "latest" };
    const requested = await provider.getLogs({ ...range, topics: [iface.getEvent("DPromptRequested").topicHash] });
    const fulfilled = await provider.getLogs({ ...range, topics: [iface.getEvent("DPromptFulfilled").topicHash] });
    const modelOf = new Map(requested.map((l) => { const a = iface.parseLog(l).args; return [a.requestId, a.modelId]; }));
    const answered = new Map();
    for (const l of fulfilled) {
      const m = modelOf.get(iface.parseLog(l).args.requestId);
      answered.set(m, (answered.get(m) || 0) + 1);
    }
    const rows = [];
    for (let id = 1n; id <= count; id++) {
      const [cfg, publisher, retired] = await contract.model(id);
      const record = config.models.find((m) => BigInt(m.model_id) === id);
      const build = (Array.isArray(builds) ? builds : []).find((b) => BigInt(b.model_id) === id) ||
        { state: "unknown", detail: builds.error || "", command: `zkrevox check-model ${id}` };
      const sizes = record ? record.batch_sizes : [];
      const registered = [];
      for (const n of sizes) {
        const [verifier] = await contract.batchVerifier(id, n);
        if (BigInt(verifier) !== 0n) registered.push(n);
      }
      const name = record ? record.name : `(not in this server's record)`;
      const window = Number(cfg.challengeWindow);
      rows.push(el("tr", { testid: "market-row", "data-model": record ? record.name : "", "data-build": build.state },
        el("td", {}, String(id)),
        el("td", {}, name + (retired ? " (retired)" : "")),
        el("td", { class: "mono" }, short(publisher)),
        el("td", {}, formatEth(cfg.fee)),
        el("td", {}, `${Number(cfg.developerShareBps) / 100} %`),
        el("td", {}, window ? `window ${window} s, fee ${formatEth(cfg.optimisticFee)}, bond ` +
          `${ethers.formatEther(cfg.answerBond)} ${config.stake_token ? "stake tokens" : "ETH"}` : "not offered"),
        el("td", {}, registered.length ? `1, ${registered.join(", ")}` : "1"),
        el("td", {}, String(answered.get(id) || 0)),
        el("td", {}, formatEth(await contract.developerEarnings(id))),
        el("td", {}, el("span", { class: build.state === "verified" ? "verified" : build.state === "mismatch" ? "mismatch" : "muted",
                                  testid: "build-state" }, build.state),
          el("div", { class: "muted" }, build.detail), el("code", {}, build.command)),
      ));
    }
    $("market").replaceChildren(...rows);
    say(`${count} model(s) on DPrompt ${config.dprompt}, chain ${config.chain_id}`, "ok");
  } catch (err) {
    say(rpcProblem(config, err), "error");
  }
  document.body.dataset.ready = "1";
}

main();
