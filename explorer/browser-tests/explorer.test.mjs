// The explorer as a person sees it, in Debian's chromium driven by
// playwright-core, against a server that `run` started on loopback over the
// demo's chain. What the pages show is checked against the chain itself,
// read through the CLI.
//
//   EXPLORER_URL   the explorer (http://127.0.0.1:PORT)
//   MODEL_LEDGER   the model-ledger binary
//   LEDGER_DIR     the demo's ledger directory
//   ARTIFACTS      where screenshots go
//   CHROMIUM       the browser [default: /usr/bin/chromium]

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const url = process.env.EXPLORER_URL;
const artifacts = process.env.ARTIFACTS ?? "target/ci-artifacts";
mkdirSync(artifacts, { recursive: true });

/// What the chain says, through the CLI (JSON).
function cli(...args) {
  const output = execFileSync(process.env.MODEL_LEDGER, ["--ledger", process.env.LEDGER_DIR, "--output", "json", ...args], {
    encoding: "utf8",
  });
  return JSON.parse(output);
}

let browser;
let page;

before(async () => {
  assert.ok(url, "EXPLORER_URL names the explorer");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    // No sandbox as root in CI; no background traffic on a closed network.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
});

after(async () => {
  await browser?.close();
});

test("the adapter's page draws its lineage over three generations", async () => {
  await page.goto(url);
  await page.getByRole("link", { name: "atlas-med-lora" }).click();
  await page.waitForURL(/\/models\//);
  assert.equal(await page.locator("h1").textContent(), "atlas-med-lora");

  const graph = page.locator("svg#lineage");
  assert.equal(await graph.getAttribute("aria-label"), "lineage over 3 generations");
  const generations = await graph.locator("g.generation").evaluateAll((groups) =>
    groups.map((group) => [group.dataset.generation, [...group.querySelectorAll("text.model-name")].map((t) => t.textContent)]),
  );
  assert.deepEqual(generations, [
    ["-2", ["atlas-base-7b"]],
    ["-1", ["atlas-chat-7b"]],
    ["0", ["atlas-med-lora"]],
  ]);
  // Each derivation is labelled with its royalty and licence.
  const edges = await graph.locator("g.edge text").allTextContents();
  assert.deepEqual(edges.sort(), ["10.00 % royalty · licence v1", "15.00 % royalty · licence v1"]);
  // Licences in plain words.
  assert.match(await page.locator("div.licence").first().textContent(), /may use commercially; may derive models/);
  await page.screenshot({ path: join(artifacts, "explorer-model.png"), fullPage: true });

  // An ancestor's node leads to its own page, which draws its descendants.
  await graph.locator("a", { hasText: "atlas-base-7b" }).click();
  await page.waitForURL(/\/models\//);
  assert.equal(await page.locator("h1").textContent(), "atlas-base-7b");
  assert.equal(await page.locator("svg#lineage g.generation").count(), 3);
});

test("a contributor's earnings on the explorer are the chain's", async () => {
  await page.goto(url);
  await page.getByRole("link", { name: "atlas-chat-7b" }).click();
  await page.waitForURL(/\/models\//);
  const row = page.locator("table.contributions tbody tr").first();
  const contributor = await row.locator("td a.mono").first().getAttribute("title");
  const earnedOnPage = (await row.locator("td.earned").textContent()).trim();

  await row.locator("td a.mono").first().click();
  await page.waitForURL(/\/wallets\//);
  const chain = cli("earnings", "--wallet", contributor);
  assert.equal(chain.totals.length, 1);
  const shown = page.locator("p.totals");
  assert.equal((await shown.locator(".claimed").textContent()).trim(), chain.totals[0].claimed_ui);
  assert.equal((await shown.locator(".claimable").textContent()).trim(), chain.totals[0].claimable_ui);
  // Earned is what was claimed plus what can be claimed, to the base unit.
  const earned = BigInt(chain.totals[0].claimed) + BigInt(chain.totals[0].claimable);
  assert.equal(await shown.locator(".earned span").getAttribute("title"), `${earned} base units`);
  assert.equal(earnedOnPage, (await shown.locator(".earned").textContent()).trim());
  await page.screenshot({ path: join(artifacts, "explorer-wallet.png"), fullPage: true });
});

test("search finds a model by name and a wallet by address", async () => {
  await page.goto(url);
  await page.fill("input[name=q]", "med-lora");
  await page.press("input[name=q]", "Enter");
  await page.waitForURL(/\/models\//);
  assert.equal(await page.locator("h1").textContent(), "atlas-med-lora");

  const contributor = await page.locator("table.contributions tbody tr td a.mono").first().getAttribute("title");
  await page.fill("input[name=q]", contributor);
  await page.press("input[name=q]", "Enter");
  await page.waitForURL(/\/wallets\//);
  assert.match(await page.locator("h1").textContent(), new RegExp(contributor));

  await page.fill("input[name=q]", "no model is called this");
  await page.press("input[name=q]", "Enter");
  assert.match(await page.locator("main").textContent(), /Nothing in the index matches/);
});

test("a batch's page checks a call's proof and refuses one that does not parse", async () => {
  await page.goto(url);
  await page.getByRole("link", { name: "atlas-chat-7b" }).click();
  await page.getByRole("link", { name: "check a call" }).first().click();
  await page.waitForURL(/\/batches\//);
  assert.match(await page.locator("h1").textContent(), /^Batch #\d+ of atlas-chat-7b$/);
  await page.fill("textarea[name=proof]", "{ not json");
  await page.click("button[type=submit]");
  assert.match(await page.locator("#proof-result").textContent(), /Cannot check: not JSON/);
  const forged = JSON.stringify({
    call: { request_hash: "00".repeat(32), output_hash: "11".repeat(32), attribution: [[0, 1]] },
    proof: [],
  });
  await page.fill("textarea[name=proof]", forged);
  await page.click("button[type=submit]");
  assert.match(await page.locator("#proof-result").textContent(), /Not in this batch/);
  await page.screenshot({ path: join(artifacts, "explorer-batch.png"), fullPage: true });
});
