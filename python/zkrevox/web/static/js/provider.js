// A provider's page: per model its stake (and token), capacity, pending requests, unbonding countdown,
// earned fees (withdrawable with `zkrevox withdraw`), and its recent answers with gas, read from the chain.
import { $, dprompt, el, ethers, formatEth, loadConfig, readProvider, rpcProblem, say, short } from "/static/js/common.js";

const ERC20 = ["function symbol() view returns (string)", "function decimals() view returns (uint8)"];

async function main() {
  const address = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  $("title").textContent = `provider ${address}`;
  if (!ethers.isAddress(address)) {
    say(`“${address}” is not an address (0x and 40 hex digits).`, "error");
    return;
  }
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
    let symbol = "ETH";
    let decimals = 18;
    if (config.stake_token) {
      const token = new ethers.Contract(config.stake_token, ERC20, provider);
      [symbol, decimals] = [await token.symbol(), Number(await token.decimals())];
    }
    const now = Number((await provider.getBlock("latest")).timestamp);
    const rows = [];
    for (const m of config.models) {
      const p = await contract.providerState(m.model_id, address);
      const unbonding = Number(p.withdrawableAt)
        ? (Number(p.withdrawableAt) > now ? `withdrawable in ${Number(p.withdrawableAt) - now} s` : "withdrawable now")
        : "—";
      rows.push(el("tr", {},
        el("td", {}, m.name),
        el("td", { testid: "provider-stake" }, `${ethers.formatUnits(p.stake, decimals)} ${symbol}` +
          (p.eligible ? "" : " (not eligible)")),
        el("td", {}, String(p.capacity)),
        el("td", {}, String(p.pending)),
        el("td", {}, unbonding),
        el("td", {}, formatEth(p.earned)),
      ));
    }
    $("provider-models").replaceChildren(...rows);
    const collected = await provider.getLogs({ address: config.dprompt, fromBlock: config.from_block, toBlock: "latest",
      topics: [iface.getEvent("DPromptEarningsCollected").topicHash, null, ethers.zeroPadValue(address, 32)] });
    const claimed = collected.reduce((sum, l) => sum + iface.parseLog(l).args.amount, 0n);
    $("provider-claimed").textContent = `earnings claimed so far: ${formatEth(claimed)} in ${collected.length} collection(s)`;
    if (config.store) {
      const res = await fetch(`/api/providers/${address}/queue`);
      const q = await res.json();
      $("provider-queue").textContent = res.ok
        ? `node queue (its store): ${Object.entries(q.counts).map(([k, v]) => `${k} ${v}`).join(", ")}; prove time ` +
          (q.prove_seconds.n ? `median ${q.prove_seconds.median.toFixed(2)} s, max ${q.prove_seconds.max.toFixed(2)} s ` +
            `over ${q.prove_seconds.n} proofs` : "not measured yet")
        : q.error;
    }
    const topic = ethers.zeroPadValue(address, 32);
    const logs = await provider.getLogs({ address: config.dprompt, fromBlock: config.from_block, toBlock: "latest",
                                          topics: [iface.getEvent("DPromptFulfilled").topicHash, null, topic] });
    const recent = logs.slice(-20).reverse();
    const answers = [];
    for (const log of recent) {
      const r = await provider.getTransactionReceipt(log.transactionHash);
      const members = r.logs.filter((l) => l.topics[0] === log.topics[0]).length;
      const id = iface.parseLog(log).args.requestId;
      answers.push(el("tr", {},
        el("td", {}, el("a", { href: `/requests/${id}` }, String(id))),
        el("td", {}, String(log.blockNumber)),
        el("td", { class: "mono" }, short(log.transactionHash)),
        el("td", {}, members > 1 ? `${r.gasUsed / BigInt(members)} (batch of ${members})` : String(r.gasUsed)),
      ));
    }
    $("provider-answers").replaceChildren(...answers);
    say(`credit withdrawable now: ${formatEth(await contract.credits(address))}`, "ok");
  } catch (err) {
    say(rpcProblem(config, err), "error");
  }
  document.body.dataset.ready = "1";
}

main();
