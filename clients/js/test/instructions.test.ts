// Every instruction, built by the generated client from the arguments the
// Rust SDK used, has the Rust SDK's accounts (addresses, order, roles) and
// data bytes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { AccountRole, createNoopSigner, type Address, type Instruction } from "@solana/kit";
import * as client from "../src/index.js";
import { camel, fromPortable, loadIdl, type IdlAccountItem } from "./idl.js";
import { vectors, type InstructionVector } from "./vectors.js";

const idl = loadIdl();
const { instructions, program, event_authority } = vectors<{
  program: string;
  event_authority: string;
  instructions: InstructionVector[];
}>("instructions.json");

/** The instruction's accounts as Codama names them: composites flattened, prefixed when names repeat. */
function accountNames(items: IdlAccountItem[]): { name: string; signer: boolean }[] {
  const leaves = (list: IdlAccountItem[], prefix: string): { name: string; plain: string; signer: boolean }[] =>
    list.flatMap((item) =>
      item.accounts
        ? leaves(item.accounts, `${prefix}${item.name}_`)
        : [{ name: `${prefix}${item.name}`, plain: item.name, signer: item.signer ?? false }],
    );
  const all = leaves(items, "");
  const repeated = new Set(all.map((a) => a.plain)).size !== all.length;
  return all.map((a) => ({ name: camel(repeated ? a.name : a.plain), signer: a.signer }));
}

const role = (meta: { signer: boolean; writable: boolean }): AccountRole =>
  meta.signer
    ? meta.writable
      ? AccountRole.WRITABLE_SIGNER
      : AccountRole.READONLY_SIGNER
    : meta.writable
      ? AccountRole.WRITABLE
      : AccountRole.READONLY;

test("the vectors cover every instruction of the IDL", () => {
  assert.deepEqual(instructions.map((v) => v.name).sort(), idl.instructions.map((i) => i.name).sort());
  assert.equal(program, client.MODEL_LEDGER_PROGRAM_ADDRESS);
});

test("the event authority the client derives is the program's", async () => {
  assert.equal((await client.findEventAuthorityPda())[0], event_authority);
});

for (const vector of instructions) {
  test(`${vector.name}: the generated builder gives the Rust SDK's accounts and bytes`, () => {
    const spec = idl.instructions.find((i) => i.name === vector.name);
    assert.ok(spec, `the IDL has ${vector.name}`);
    const names = accountNames(spec.accounts);
    const input: Record<string, unknown> = {};
    names.forEach(({ name, signer }, i) => {
      const meta = vector.accounts[i];
      assert.ok(meta, `the vector of ${vector.name} has account ${name}`);
      input[name] = signer ? createNoopSigner(meta.address as Address) : meta.address;
    });
    for (const arg of spec.args) {
      const value = vector.args[arg.name];
      assert.ok(value !== undefined, `the vector gives argument ${arg.name}`);
      const converted = fromPortable(idl, arg.type, value);
      // Codama inlines an `args` struct into the instruction's arguments,
      // unless several instructions share its type (then it is a type of
      // its own, with an encoder, and stays one argument).
      const shared = typeof arg.type === "object" && "defined" in arg.type && `get${arg.type.defined.name}Encoder` in client;
      const flattened =
        arg.name === "args" && typeof arg.type === "object" && "defined" in arg.type && !shared
          ? Object.entries(converted as Record<string, unknown>)
          : [[camel(arg.name), converted] as const];
      for (const [key, item] of flattened) {
        // Codama renames an argument that shares an account's name.
        input[names.some((n) => n.name === key) ? `${key}Arg` : key] = item;
      }
    }
    const builderName = `get${camel(vector.name)[0]!.toUpperCase()}${camel(vector.name).slice(1)}Instruction`;
    const builder = (client as unknown as Record<string, (input: unknown) => Instruction>)[builderName];
    assert.equal(typeof builder, "function", `the client exports ${builderName}`);
    const built = builder!(input);
    assert.equal(built.programAddress, program);
    // Accounts past the IDL's (a derivation's parents and their grants)
    // are remaining accounts, passed as they are.
    const extra = vector.accounts.slice(names.length).map((meta) => ({ address: meta.address, role: role(meta) }));
    assert.deepEqual(
      [...(built.accounts ?? []), ...extra].map((meta) => [meta.address, meta.role]),
      vector.accounts.map((meta) => [meta.address, role(meta)]),
    );
    assert.equal(Buffer.from(built.data ?? []).toString("hex"), vector.data);
  });
}

test("claim: the written builder derives every account the Rust SDK does, and its compute-unit figure is the SDK's", async () => {
  const vector = instructions.find((v) => v.name === "claim")!;
  const [wallet, contribution, , , mint, tokenProgram, destination] = vector.accounts.map((a) => a.address as Address);
  // The vectors claim contribution 3 of the model that accept_contribution names second.
  const model = instructions.find((v) => v.name === "accept_contribution")!.accounts[1]!.address as Address;
  const built = await client.getClaimInstructionFor({
    payoutWallet: createNoopSigner(wallet!),
    model,
    index: 3,
    paymentMint: mint!,
    tokenProgram: tokenProgram!,
    destination: destination!,
  });
  assert.deepEqual(
    built.accounts?.map((meta) => [meta.address, meta.role]),
    vector.accounts.map((meta) => [meta.address, role(meta)]),
  );
  assert.equal(built.accounts[1]?.address, contribution);
  assert.equal(client.CLAIM_COMPUTE_UNITS, vector.compute_units);
});
