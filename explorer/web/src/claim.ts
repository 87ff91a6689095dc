// The wallet page's claim buttons. The page works without this script
// (it names the CLI command and the Solana Action); with it, a browser
// wallet found through the Wallet Standard connects, signs and sends the
// transactions the explorer's Action builds for the connected account, and
// the page shows each signature, what is left to claim and the wallet's
// new token balance, both read from the chain.

import { getWallets } from "@wallet-standard/app";
import type { Wallet, WalletAccount } from "@wallet-standard/base";
import type { StandardConnectFeature } from "@wallet-standard/features";
import type { SolanaSignAndSendTransactionFeature } from "@solana/wallet-standard-features";

type Amount = { base_units: string; tokens: string };
type Line = { model: string; model_name: string; index: number; amount: Amount; payment_mint: string; decimals: number };
type ClaimAction = {
  label: string;
  disabled: boolean;
  claimable: Line[];
  balances: { mint: string; amount: Amount }[];
};
type TransactionAnswer = { transaction: string; message: string; links?: { next?: unknown } };

type ClaimingWallet = Wallet & { features: StandardConnectFeature & SolanaSignAndSendTransactionFeature };

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function base58(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let text = "";
  while (value > 0n) {
    text = (ALPHABET[Number(value % 58n)] ?? "") + text;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    text = "1" + text;
  }
  return text;
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

/** Base units as tokens, exactly (no floating point), as the server writes them. */
function tokens(amount: bigint, decimals: number): string {
  const digits = amount.toString().padStart(decimals + 1, "0");
  return decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

function canClaim(wallet: Wallet): wallet is ClaimingWallet {
  return "standard:connect" in wallet.features && "solana:signAndSendTransaction" in wallet.features;
}

const panel = document.getElementById("claim");

if (panel) {
  const action = panel.dataset.action ?? "";
  const pageWallet = panel.dataset.wallet ?? "";
  const status = document.getElementById("claim-status") ?? panel;
  const all = document.getElementById("claim-all") as HTMLButtonElement | null;
  let ones = Array.from(document.querySelectorAll<HTMLButtonElement>("button.claim-one"));
  const wallets = getWallets();
  const usable = (): ClaimingWallet[] => wallets.get().filter(canClaim);

  const say = (text: string, state = ""): void => {
    status.textContent = text;
    status.className = state;
  };

  const show = async (): Promise<ClaimAction> => {
    const response = await fetch(action);
    const body = (await response.json()) as ClaimAction & { message?: string };
    if (!response.ok) throw new Error(body.message ?? `the claim action answered ${response.status}`);
    const sums = new Map<string, { sum: bigint; decimals: number }>();
    for (const line of body.claimable) {
      const known = sums.get(line.payment_mint) ?? { sum: 0n, decimals: line.decimals };
      known.sum += BigInt(line.amount.base_units);
      sums.set(line.payment_mint, known);
    }
    for (const total of document.querySelectorAll<HTMLElement>("p.totals")) {
      const sum = sums.get(total.dataset.mint ?? "");
      const shown = total.querySelector("strong.claimable");
      if (!shown) continue;
      // Nothing left in a mint: zero, with the decimals the page shows.
      const decimals = (shown.textContent.split(".")[1] ?? "").length;
      shown.textContent = sum ? tokens(sum.sum, sum.decimals) : tokens(0n, decimals);
    }
    // Each row's claimable as the chain has it now; a row with nothing
    // left loses its button.
    for (const button of ones) {
      const line = body.claimable.find((l) => l.model === button.dataset.model && String(l.index) === button.dataset.index);
      const cell = button.closest("tr")?.querySelector("td.claimable");
      if (cell) cell.textContent = line ? line.amount.tokens : tokens(0n, (cell.textContent.split(".")[1] ?? "").length);
      if (!line) button.remove();
    }
    ones = ones.filter((button) => button.isConnected);
    const amount = document.getElementById("claim-amount") ?? panel.appendChild(Object.assign(document.createElement("p"), { id: "claim-amount" }));
    amount.textContent = `A claim now pays ${[...sums.values()].map((s) => `${tokens(s.sum, s.decimals)} tokens`).join(" + ") || "nothing"}; ` +
      `the wallet holds ${body.balances.map((b) => b.amount.tokens).join(" + ") || "no"} tokens.`;
    return body;
  };

  const refresh = (): void => {
    const any = usable().length > 0;
    if (all) all.hidden = !any;
    for (const button of ones) button.hidden = !any;
    if (!any) say("No browser wallet found (Phantom, Solflare, Backpack…): claim with the CLI or a Solana Actions client.");
  };

  const claim = async (query: string): Promise<void> => {
    const wallet = usable()[0];
    if (!wallet) return;
    for (const button of [all, ...ones]) if (button) button.disabled = true;
    try {
      say(`Connecting to ${wallet.name}…`);
      const { accounts } = await wallet.features["standard:connect"].connect();
      const account: WalletAccount | undefined = accounts[0];
      if (!account) throw new Error(`${wallet.name} shared no account`);
      if (account.address !== pageWallet) {
        say(`${wallet.name} connected ${account.address}, not this page's wallet: its own contributions are claimed.`);
      }
      const signatures: string[] = [];
      const list = document.getElementById("claim-signatures") ?? panel.appendChild(Object.assign(document.createElement("ul"), { id: "claim-signatures" }));
      for (;;) {
        const response = await fetch(action + query, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ account: account.address }),
        });
        const body = (await response.json()) as TransactionAnswer & { message: string };
        if (!response.ok) {
          // After a claim, "nothing to claim" is the end of the chain.
          if (signatures.length > 0 && response.status === 422) break;
          throw new Error(body.message);
        }
        say(`${body.message} Approve it in ${wallet.name}.`);
        const [output] = await wallet.features["solana:signAndSendTransaction"].signAndSendTransaction({
          account,
          chain: account.chains[0] ?? "solana:mainnet",
          transaction: fromBase64(body.transaction),
        });
        if (output?.signature.length !== 64) throw new Error(`${wallet.name} returned no 64-byte signature`);
        const signature = base58(output.signature);
        signatures.push(signature);
        const item = document.createElement("li");
        item.className = "mono signature";
        item.textContent = signature;
        list.appendChild(item);
        if (query !== "" || !body.links?.next) break;
      }
      const after = await show();
      say(`Claimed in ${signatures.length} transaction(s). ${after.disabled ? "Nothing is left to claim." : "More can be claimed."}`, "ok");
    } catch (error) {
      say(`The claim did not happen: ${error instanceof Error ? error.message : String(error)}`, "bad");
    } finally {
      for (const button of [all, ...ones]) if (button) button.disabled = false;
    }
  };

  all?.addEventListener("click", () => void claim(""));
  for (const button of ones) {
    button.addEventListener("click", () => void claim(`?model=${button.dataset.model ?? ""}&index=${button.dataset.index ?? ""}`));
  }
  wallets.on("register", refresh);
  refresh();
  show().catch((error: unknown) => {
    say(`What is claimable could not be read: ${error instanceof Error ? error.message : String(error)}`, "bad");
  });
}
