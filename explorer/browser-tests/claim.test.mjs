// A contributor with only a browser wallet claims from the explorer's wallet
// page, in Debian's chromium, against `model-ledger serve` over a real
// solana-test-validator. No wallet extension installs headless: the test
// injects a Wallet-Standard wallet that signs with the contributor's real
// ed25519 key (held by this process, as an extension holds it outside the
// page) and sends to the validator. `run-claim` sets the scene.
//
//   EXPLORER_URL, RPC_URL, CONTRIBUTOR, CONTRIBUTOR_KEYPAIR, MINT, ARTIFACTS;
//   BLINK_CONTRIBUTOR, BLINK_KEYPAIR, BLINK_MINT: a second contributor, for the Blink client

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, sign } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const { EXPLORER_URL: url, RPC_URL: rpc, CONTRIBUTOR: contributor, CONTRIBUTOR_KEYPAIR: keypairPath, MINT: mint } = process.env;
const artifacts = process.env.ARTIFACTS ?? "target/ci-artifacts";
mkdirSync(artifacts, { recursive: true });

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
function base58(bytes) {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let text = "";
  while (value > 0n) {
    text = ALPHABET[Number(value % 58n)] + text;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    text = "1" + text;
  }
  return text;
}
function fromBase58(text) {
  let value = 0n;
  for (const char of text) value = value * 58n + BigInt(ALPHABET.indexOf(char));
  const bytes = [];
  while (value > 0n) {
    bytes.unshift(Number(value & 0xffn));
    value >>= 8n;
  }
  for (const char of text) {
    if (char !== "1") break;
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

async function call(method, params) {
  const response = await fetch(rpc, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = await response.json();
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

/** A wallet's token balance in the payment mint, read over RPC (base units). */
async function balance(owner = contributor, ofMint = mint) {
  const { value } = await call("getTokenAccountsByOwner", [owner, { mint: ofMint }, { encoding: "jsonParsed", commitment: "confirmed" }]);
  return value.reduce((sum, account) => sum + BigInt(account.account.data.parsed.info.tokenAmount.amount), 0n);
}

/** The ed25519 private key of a Solana keypair file (its first 32 bytes are the seed). */
function privateKeyOf(path) {
  const secret = Uint8Array.from(JSON.parse(readFileSync(path, "utf8")));
  return createPrivateKey({
    key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(secret.subarray(0, 32))]),
    format: "der",
    type: "pkcs8",
  });
}

const privateKey = privateKeyOf(keypairPath);
const sent = [];

/**
 * The wallet's signer, outside the page: signs the transaction's message
 * with the contributor's key, sends it and waits until it is confirmed.
 */
async function signAndSend(transactionBase64, key = privateKey) {
  const bytes = Buffer.from(transactionBase64, "base64");
  assert.equal(bytes[0], 1, "one signature: the contributor's");
  const message = bytes.subarray(65);
  sign(null, message, key).copy(bytes, 1);
  const signature = await call("sendTransaction", [bytes.toString("base64"), { encoding: "base64", preflightCommitment: "confirmed" }]);
  for (let tries = 0; ; tries++) {
    const { value } = await call("getSignatureStatuses", [[signature]]);
    const status = value[0];
    if (status?.err) throw new Error(`${signature} failed: ${JSON.stringify(status.err)}`);
    if (status && (status.confirmationStatus === "confirmed" || status.confirmationStatus === "finalized")) break;
    if (tries > 600) throw new Error(`${signature} was not confirmed`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  sent.push(signature);
  return signature;
}

/** Registers a Wallet-Standard wallet in the page, as an extension does. */
function injectWallet({ address, publicKey }) {
  const account = {
    address,
    publicKey: Uint8Array.from(publicKey),
    chains: ["solana:localnet"],
    features: ["solana:signAndSendTransaction"],
  };
  const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
  const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  const fromBase58 = (text) => {
    let value = 0n;
    for (const char of text) value = value * 58n + BigInt(ALPHABET.indexOf(char));
    const bytes = [];
    while (value > 0n) {
      bytes.unshift(Number(value & 0xffn));
      value >>= 8n;
    }
    // Each leading "1" is a leading zero byte (one signature in 256 has one).
    for (const char of text) {
      if (char !== "1") break;
      bytes.unshift(0);
    }
    return Uint8Array.from(bytes);
  };
  const wallet = {
    version: "1.0.0",
    name: "Test Wallet",
    icon: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=",
    chains: ["solana:localnet"],
    accounts: [],
    features: {
      "standard:connect": {
        version: "1.0.0",
        connect: async () => {
          wallet.accounts = [account];
          return { accounts: [account] };
        },
      },
      "standard:events": { version: "1.0.0", on: () => () => {} },
      "solana:signAndSendTransaction": {
        version: "1.0.0",
        supportedTransactionVersions: ["legacy", 0],
        signAndSendTransaction: async (...inputs) => {
          const outputs = [];
          for (const input of inputs) {
            if (input.account.address !== address) throw new Error("not this wallet's account");
            const signature = await window.__testWalletSignAndSend(toBase64(input.transaction));
            outputs.push({ signature: fromBase58(signature) });
          }
          return outputs;
        },
      },
    },
  };
  const callback = ({ register }) => register(wallet);
  window.addEventListener("wallet-standard:app-ready", ({ detail }) => callback(detail));
  window.dispatchEvent(new CustomEvent("wallet-standard:register-wallet", { detail: callback }));
}

let browser;

before(async () => {
  assert.ok(url && rpc && contributor && keypairPath && mint, "run-claim sets the scene");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
});

test("without JavaScript the wallet page names the CLI command and the Solana Action, and shows no button", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${url}/wallets/${contributor}`);
  const panel = page.locator("#claim");
  assert.match(await panel.textContent(), /model-ledger claim --all/);
  assert.equal(await panel.getByRole("link", { name: "this page's claim action" }).getAttribute("href"), `/api/actions/claim/${contributor}`);
  assert.equal(await page.locator("#claim-all").isVisible(), false);
  await context.close();
});

test("with no wallet in the browser the page says so", async () => {
  const page = await browser.newPage();
  await page.goto(`${url}/wallets/${contributor}`);
  await page.waitForFunction(() => document.getElementById("claim-status")?.textContent.includes("No browser wallet found"));
  assert.equal(await page.locator("#claim-all").isVisible(), false);
  await page.close();
});

test("a contributor connects a browser wallet, claims one contribution, then everything, and the page shows 0 claimable", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.exposeFunction("__testWalletSignAndSend", signAndSend);
  await page.addInitScript(injectWallet, { address: contributor, publicKey: [...fromBase58(contributor)] });
  await page.goto(`${url}/wallets/${contributor}`);
  const amount = page.locator("#claim-amount");
  await amount.waitFor();
  const pays = (text) => {
    if (text.startsWith("A claim now pays nothing;")) return 0n;
    const match = /A claim now pays ([0-9.]+) tokens;/.exec(text);
    assert.ok(match, text);
    return BigInt(match[1].replace(".", ""));
  };
  const shownBefore = pays(await amount.textContent());
  assert.ok(shownBefore > 0n);
  const before = await balance();
  await page.screenshot({ path: join(artifacts, "explorer-claim-before.png"), fullPage: true });

  // One contribution, from its row.
  const row = page.locator("button.claim-one").first();
  await row.waitFor({ state: "visible" });
  await row.click();
  await page.waitForFunction(() => document.getElementById("claim-status")?.textContent.startsWith("Claimed in 1 transaction"));
  assert.equal(sent.length, 1);
  const afterOne = await balance();
  assert.ok(afterOne > before, "one contribution's claim paid");
  const shownAfterOne = pays(await amount.textContent());
  assert.equal(shownBefore - shownAfterOne, afterOne - before, "what one claim paid is what the page stopped showing");

  // Everything else, in as many transactions as it takes.
  await page.getByRole("button", { name: "Claim with a browser wallet" }).click();
  await page.waitForFunction(() => /^Claimed in \d+ transaction\(s\)\. Nothing is left/.test(document.getElementById("claim-status")?.textContent ?? ""), null, { timeout: 120_000 });
  assert.ok(sent.length >= 3, `the rest took ${sent.length - 1} transactions`);
  const signatures = await page.locator("#claim-signatures li").allTextContents();
  assert.deepEqual(signatures, sent, "the page shows every signature the wallet sent");
  const { value: statuses } = await call("getSignatureStatuses", [signatures]);
  assert.ok(statuses.every((status) => status && !status.err), "every signature landed");

  const afterAll = await balance();
  assert.equal(afterAll - before, shownBefore, "the balance grew by exactly what the page showed before");
  assert.equal(pays(await amount.textContent()), 0n);
  assert.match(await amount.textContent(), new RegExp(`holds ${afterAll.toString().padStart(7, "0").replace(/(\d{6})$/, ".$1")} tokens`));
  assert.equal(await page.locator("p.totals strong.claimable").first().textContent(), "0.000000");
  await page.screenshot({ path: join(artifacts, "explorer-claim-after.png"), fullPage: true });
  await page.close();
});

test("a Blink client claims through the Action: GET, POST, sign, send, and the next action until nothing is left", async () => {
  const { BLINK_CONTRIBUTOR: wallet, BLINK_KEYPAIR: path, BLINK_MINT: blinkMint } = process.env;
  assert.ok(wallet && path && blinkMint, "run-claim names a second contributor");
  const key = privateKeyOf(path);
  const action = `${url}/api/actions/claim/${wallet}`;
  const options = await fetch(action, { method: "OPTIONS", headers: { Origin: "https://dial.to" } });
  assert.equal(options.headers.get("access-control-allow-origin"), "*");
  const rules = await (await fetch(`${url}/actions.json`)).json();
  assert.ok(rules.rules.some((rule) => rule.apiPath === "/api/actions/claim/*"));

  const got = await fetch(action);
  assert.equal(got.headers.get("x-action-version"), "2.4");
  assert.match(got.headers.get("x-blockchain-ids") ?? "", /^solana:[1-9A-HJ-NP-Za-km-z]{32}$/);
  const shown = await got.json();
  assert.equal(shown.type, "action");
  assert.equal(shown.disabled, false);
  const owed = shown.claimable.reduce((sum, line) => sum + BigInt(line.amount.base_units), 0n);
  assert.ok(owed > 0n);
  const before = await balance(wallet, blinkMint);

  let href = shown.links.actions[0].href;
  let transactions = 0;
  for (;;) {
    const response = await fetch(new URL(href, url), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ account: wallet }),
    });
    const answer = await response.json();
    assert.equal(response.status, 200, JSON.stringify(answer));
    assert.equal(answer.type, "transaction");
    await signAndSend(answer.transaction, key);
    transactions++;
    const next = answer.links?.next;
    if (!next) break;
    assert.equal(next.type, "inline");
    href = next.action.links.actions[0].href;
  }
  assert.ok(transactions >= 2, `${transactions} transaction(s)`);
  assert.equal((await balance(wallet, blinkMint)) - before, owed, "the balance grew by what the action listed");
  const done = await (await fetch(action)).json();
  assert.equal(done.disabled, true);
  assert.equal(done.label, "Nothing to claim");
  const refused = await fetch(action, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ account: wallet }) });
  assert.equal(refused.status, 422);
  assert.match((await refused.json()).message, /nothing to claim/);
});
