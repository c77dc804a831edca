// Shared by every page: the server's config, the chain through its RPC, the wallet, small helpers.
// No private key ever reaches a page: an injected EIP-1193 wallet signs; on a local chain only, anvil's
// unlocked dev accounts sign inside the local node (eth_sendTransaction through the RPC), behind a banner.
import { ethers } from "ethers";

export { ethers };

export const $ = (id) => document.querySelector(`[data-testid="${id}"]`) || document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "testid") node.dataset.testid = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

export function short(hex, n = 10) {
  return hex && hex.length > n + 4 ? `${hex.slice(0, n)}…${hex.slice(-4)}` : hex;
}

export function formatEth(wei) {
  return `${ethers.formatEther(wei)} ETH`;
}

export function say(message, kind = "info") {
  const box = $("status");
  box.textContent = message;
  box.className = `status ${kind}`;
}

/** The server's /api/config. */
export async function loadConfig() {
  const res = await fetch("/api/config");
  if (!res.ok) throw new Error(`the server did not answer /api/config (${res.status})`);
  return res.json();
}

/** Why a chain call failed, in words. */
export function rpcProblem(config, err) {
  const text = String(err && (err.shortMessage || err.message) || err);
  if (/failed to fetch|network|ECONNREFUSED|connect|timeout|could not detect/i.test(text)) {
    return `The chain's RPC ${config.rpc} does not answer (${text}). Nothing was sent; check that the node ` +
      "behind it is running, then reload.";
  }
  return text;
}

export function readProvider(config) {
  const network = new ethers.Network(`chain-${config.chain_id}`, config.chain_id);
  const provider = new ethers.JsonRpcProvider(config.rpc, network, { staticNetwork: network, batchMaxCount: 1 });
  provider.pollingInterval = 500; // tx.wait() on a local chain: blocks are mined at once
  return provider;
}

export function dprompt(config, runner) {
  return new ethers.Contract(config.dprompt, config.abi.DPrompt, runner);
}

export const DEV_ACCOUNT_DEFAULT = 2; // anvil's #0 deploys and publishes, #1 is the demo's provider

/**
 * The signer the page may use: {mode: "wallet" | "dev" | "read-only", signer, address, problem}.
 * A wallet on another chain than the deployment's is a problem: nothing may be sent.
 */
export async function connectWallet(config, provider) {
  if (window.ethereum) {
    const wallet = new ethers.BrowserProvider(window.ethereum, "any");
    const chainId = Number(await window.ethereum.request({ method: "eth_chainId" }));
    if (chainId !== config.chain_id) {
      return {
        mode: "wallet", signer: null, address: null,
        problem: `Your wallet is on chain ${chainId}, this deployment (DPrompt ${config.dprompt}) is on chain ` +
          `${config.chain_id}. Switch the wallet to chain ${config.chain_id}; nothing was sent.`,
      };
    }
    const signer = await wallet.getSigner();
    return { mode: "wallet", signer, address: await signer.getAddress(), problem: null };
  }
  if (config.local) {
    const accounts = await provider.send("eth_accounts", []);
    const stored = Number(localStorage.getItem("zkrevox-dev-account") ?? DEV_ACCOUNT_DEFAULT);
    const index = Math.min(Math.max(0, stored), Math.max(0, accounts.length - 1));
    if (!accounts.length) {
      return { mode: "read-only", signer: null, address: null,
               problem: "No wallet in this browser and the local node has no unlocked dev accounts: read-only." };
    }
    const signer = new ethers.JsonRpcSigner(provider, accounts[index]);
    return { mode: "dev", signer, address: accounts[index], index, accounts, problem: null };
  }
  return { mode: "read-only", signer: null, address: null,
           problem: "No wallet in this browser: read-only (install an EIP-1193 wallet to ask)." };
}

/** The banner at the top of every page: which account signs, or why none does. */
export function showWallet(wallet) {
  const banner = $("wallet");
  banner.replaceChildren();
  if (wallet.mode === "dev") {
    banner.className = "banner dev";
    banner.append(
      el("strong", {}, "local dev account "),
      `#${wallet.index} ${wallet.address} — one of anvil's public test accounts, unlocked in the local node ` +
        "(it signs there; no key is in this page). Local chains only. ",
    );
    const pick = el("select", { testid: "dev-account", "aria-label": "dev account" });
    wallet.accounts.forEach((a, i) => pick.append(el("option", { value: String(i) }, `#${i} ${short(a)}`)));
    pick.value = String(wallet.index);
    pick.addEventListener("change", () => {
      localStorage.setItem("zkrevox-dev-account", pick.value);
      location.reload();
    });
    banner.append(pick);
  } else if (wallet.mode === "wallet" && !wallet.problem) {
    banner.className = "banner wallet";
    banner.append(`wallet ${wallet.address}`);
  } else {
    banner.className = "banner warn";
    banner.append(wallet.problem);
  }
}

export function modelById(config, id) {
  return config.models.find((m) => Number(m.model_id) === Number(id));
}

export function labelsOf(bitmap, model) {
  const out = [];
  const b = BigInt(bitmap);
  for (let i = 0; i < model.num_outputs; i++) {
    if ((b >> BigInt(i)) & 1n) out.push(i < model.labels.length ? model.labels[i] : `#${i}`);
  }
  return out;
}

export const STATUS_NAMES = ["none", "pending", "fulfilled", "reclaimed", "answered", "overturned"];

export function nav() {
  return el("nav", {}, el("a", { href: "/" }, "Ask"), " · ", el("a", { href: "/market" }, "Market"));
}
