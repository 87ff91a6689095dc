// Claiming with this client alone: "claim everything" packed into
// transactions a cluster accepts, and, against a real validator
// (MODEL_LEDGER_TEST_URL), a contributor who claims with nothing but this
// client and sees its token balance grow by what `earnings` said.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  address,
  appendTransactionMessageInstructions,
  createKeyPairSignerFromBytes,
  createNoopSigner,
  createSolanaRpc,
  createSolanaRpcSubscriptions,
  createTransactionMessage,
  getSignatureFromTransaction,
  pipe,
  sendAndConfirmTransactionFactory,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type Address,
} from "@solana/kit";
import * as client from "../src/index.js";

const blockhash = "11111111111111111111111111111111" as Parameters<typeof client.transactionSize>[2];

test("claiming 40 contributions takes several transactions, each within the size limit, each claim once", async () => {
  const wallet = createNoopSigner(address("FkHTcLfDr2HEoLLX9SRtGZeSqBksrvbWbHWmZmwfuTJC"));
  const model = address("3ZWuDhbpqBxirUWqJH6kCVAEPUx4kYhsKrrMprXrGbEk");
  const mint = address("DxyvfH2nKyK3GMgbe94ENbhcNLKryxEMr7nzcst7pvpL");
  const tokenProgram = address("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
  const targets = Array.from({ length: 40 }, (_, index) => ({ model, index, paymentMint: mint, tokenProgram }));
  const plan = await client.planClaimAll({ payoutWallet: wallet, targets, priorityFeeMicroLamports: 1_000n });
  assert.ok(plan.length > 1, `40 claims in ${plan.length} transaction(s)`);
  const claimed: Address[] = [];
  for (const instructions of plan) {
    assert.ok(client.transactionSize(wallet.address, instructions, blockhash) <= client.TRANSACTION_SIZE_LIMIT);
    const [limit, price, create, ...claims] = instructions;
    assert.equal(limit?.programAddress, client.COMPUTE_BUDGET_PROGRAM_ADDRESS);
    assert.equal(price?.programAddress, client.COMPUTE_BUDGET_PROGRAM_ADDRESS);
    // The limit covers what follows it, by the program's table.
    assert.equal(Buffer.from(limit.data!).readUInt32LE(1), client.computeUnitsOf(instructions.slice(2)) + 2 * client.COMPUTE_BUDGET_COMPUTE_UNITS);
    assert.equal(Buffer.from(price.data!).readBigUInt64LE(1), 1_000n);
    assert.equal(create?.programAddress, client.ASSOCIATED_TOKEN_PROGRAM_ADDRESS);
    for (const claim of claims) {
      assert.equal(claim.programAddress, client.MODEL_LEDGER_PROGRAM_ADDRESS);
      claimed.push(claim.accounts![1]!.address);
    }
  }
  const expected = await Promise.all(targets.map(async (target) => (await client.findContributionPda(target))[0]));
  assert.deepEqual([...claimed].sort(), [...expected].sort());
});

const url = process.env.MODEL_LEDGER_TEST_URL;

test("a contributor claims with the TypeScript client alone on a real validator", { skip: url ? false : "MODEL_LEDGER_TEST_URL names no validator" }, async () => {
  const cli = process.env.MODEL_LEDGER;
  assert.ok(cli && url, "MODEL_LEDGER names the CLI");
  const dir = mkdtempSync(join(tmpdir(), "model-ledger-js-claim-"));
  // More contributions than one transaction holds.
  const scenario = JSON.parse(execFileSync("test/scenario", [dir, "30", "60"], { encoding: "utf8" })) as {
    contributor: string;
    contributor_keypair: string;
    mint: string;
    cli_args: string[];
  };
  const earnings = JSON.parse(
    execFileSync(cli, [...scenario.cli_args, "--output", "json", "earnings", "--wallet", scenario.contributor], { encoding: "utf8" }),
  ) as { contributions: { index: number; claimable: number }[] };
  const owed = earnings.contributions.reduce((sum, c) => sum + BigInt(c.claimable), 0n);
  assert.ok(owed > 0n, "the scenario leaves royalties to claim");

  const rpc = createSolanaRpc(url);
  const rpcSubscriptions = createSolanaRpcSubscriptions(url.replace(/^http/, "ws").replace(/:(\d+)$/, (_, port: string) => `:${Number(port) + 1}`));
  const signer = await createKeyPairSignerFromBytes(Uint8Array.from(JSON.parse(readFileSync(scenario.contributor_keypair, "utf8")) as number[]));
  assert.equal(signer.address, scenario.contributor);

  const claimables = await client.claimablesOf(rpc, signer.address);
  assert.deepEqual(
    claimables.map((c) => [c.index, c.amount]).sort((a, b) => Number(a[0]) - Number(b[0])),
    earnings.contributions.map((c) => [c.index, BigInt(c.claimable)]).sort((a, b) => Number(a[0]) - Number(b[0])),
    "claimablesOf agrees with `model-ledger earnings`",
  );

  const plan = await client.planClaimAll({ payoutWallet: signer, targets: claimables.filter((c) => c.amount > 0n) });
  assert.ok(plan.length > 1, "30 claims need more than one transaction");
  const send = sendAndConfirmTransactionFactory({ rpc, rpcSubscriptions });
  for (const instructions of plan) {
    const { value: latest } = await rpc.getLatestBlockhash({ commitment: "confirmed" }).send();
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(signer, m),
      (m) => setTransactionMessageLifetimeUsingBlockhash(latest, m),
      (m) => appendTransactionMessageInstructions(instructions, m),
    );
    const signed = await signTransactionMessageWithSigners(message);
    await send(signed as Parameters<typeof send>[0], { commitment: "confirmed" });
    assert.ok(getSignatureFromTransaction(signed));
  }
  const [account] = await client.findAssociatedTokenPda(signer.address, address(scenario.mint), client.TOKEN_PROGRAM_ADDRESS);
  const { value: balance } = await rpc.getTokenAccountBalance(account, { commitment: "confirmed" }).send();
  assert.equal(BigInt(balance.amount), owed, "the balance read over RPC grew by exactly what earnings showed");
  const after = await client.claimablesOf(rpc, signer.address);
  assert.ok(after.every((c) => c.amount === 0n), "nothing left to claim");
});
