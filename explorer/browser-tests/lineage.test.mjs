// Lineage graphs that crowd stay legible, as drawn by chromium: a model with
// 12 derived models, and one with two generations of 4 under it (each of
// the youngest derived from two parents), long names throughout
// (lineage-fixture). Checked on the boxes the browser laid out: no edge
// label overlaps another or a model's box, every name stays inside its box
// (the whole name in the box's title). Screenshots go to ARTIFACTS.
//
//   LINEAGE_URL    the explorer over the fixture's ledger
//   LINEAGE        {"hub": address, "root": address}
//   ARTIFACTS      where screenshots go

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const url = process.env.LINEAGE_URL;
const fixture = JSON.parse(process.env.LINEAGE ?? "{}");
const artifacts = process.env.ARTIFACTS ?? "target/ci-artifacts";
mkdirSync(artifacts, { recursive: true });

let browser;

before(async () => {
  assert.ok(url && fixture.hub && fixture.root, "run sets LINEAGE_URL and LINEAGE");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
});

/** The graph's laid-out boxes: edge labels, model boxes and their name texts. */
async function layout(page) {
  return page.locator("svg#lineage").evaluate((svg) => {
    const box = (element) => {
      const b = element.getBBox();
      return { x: b.x, y: b.y, right: b.x + b.width, bottom: b.y + b.height };
    };
    return {
      labels: [...svg.querySelectorAll("g.edge text")].map((text) => ({ text: text.textContent, ...box(text) })),
      nodes: [...svg.querySelectorAll("g.generation a")].map((a) => ({
        title: a.querySelector("title")?.textContent,
        shown: a.querySelector("text.model-name").textContent,
        rect: box(a.querySelector("rect")),
        name: box(a.querySelector("text.model-name")),
      })),
    };
  });
}

const overlap = (a, b) => a.x < b.right && b.x < a.right && a.y < b.bottom && b.y < a.bottom;

function assertLegible(drawn) {
  for (const [i, a] of drawn.labels.entries()) {
    for (const b of drawn.labels.slice(i + 1)) {
      assert.ok(!overlap(a, b), `edge labels "${a.text}" and "${b.text}" overlap`);
    }
    for (const node of drawn.nodes) {
      assert.ok(!overlap(a, node.rect), `edge label "${a.text}" covers the box of ${node.title}`);
    }
  }
  for (const node of drawn.nodes) {
    assert.ok(node.name.x >= node.rect.x && node.name.right <= node.rect.right, `the name "${node.shown}" leaves its box`);
    const [start, end = ""] = node.shown.split("…");
    assert.ok(node.title.startsWith(start) && node.title.endsWith(end), `"${node.shown}" shortens ${node.title}`);
  }
}

test("a model with 12 derived models: every label and name legible", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${url}/models/${fixture.hub}`);
  const drawn = await layout(page);
  assert.equal(drawn.nodes.length, 13);
  assert.equal(drawn.labels.length, 12);
  assert.ok(drawn.nodes.some((node) => node.shown.includes("…")), "long names are cut to their boxes");
  assertLegible(drawn);
  await page.locator("svg#lineage").screenshot({ path: join(artifacts, "lineage-twelve-children.png") });
  await page.close();
});

test("three generations of 4, the youngest with two parents each: every label and name legible", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${url}/models/${fixture.root}`);
  const graph = page.locator("svg#lineage");
  assert.equal(await graph.getAttribute("aria-label"), "lineage over 3 generations");
  const drawn = await layout(page);
  assert.equal(drawn.nodes.length, 9);
  // 4 edges from the root, 2 into each of the 4 youngest.
  assert.equal(drawn.labels.length, 12);
  assertLegible(drawn);
  await graph.screenshot({ path: join(artifacts, "lineage-three-generations.png") });
  await page.close();
});
