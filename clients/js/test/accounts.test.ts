// Every account and event of a saved chain (`model-ledger dump`, the Rust
// SDK's decoding): this client decodes the same values, re-encodes the same
// bytes, and computes the same claimable amount for every book entry.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Decoder, Encoder } from "@solana/kit";
import * as client from "../src/index.js";
import { loadIdl, sameFields, toPortable, type Portable } from "./idl.js";
import { vectors, type Dump } from "./vectors.js";

const idl = loadIdl();
const chains = (process.env.MODEL_LEDGER_DUMPS ?? "demo.json,scenario.json").split(",");
const codecs = client as unknown as Record<string, () => Decoder<unknown> & Encoder<unknown>>;
const bytes = (base64: string): Uint8Array => new Uint8Array(Buffer.from(base64, "base64"));

for (const chain of chains) {
  const dump = vectors<Dump>(chain);

  test(`${chain}: every account decodes to the Rust SDK's values and re-encodes to its bytes`, () => {
    assert.ok(dump.accounts.length > 0);
    for (const account of dump.accounts) {
      const data = bytes(account.data);
      if (account.type === "RoyaltyBook") {
        const header = client.decodeBookHeader(data);
        const { entries: rustEntries, ...rustHeader } = account.decoded;
        const ours = toPortable(idl, { defined: { name: "RoyaltyBook" } }, header);
        assert.deepEqual(sameFields(rustHeader, ours), rustHeader, `book ${account.address}`);
        assert.deepEqual(client.getRoyaltyBookEncoder().encode(header), data.subarray(0, client.BOOK_HEADER_END));
        const entries = client.decodeBookEntries(data);
        assert.equal(entries.length, (rustEntries as Portable[]).length);
        entries.forEach((entry, index) => {
          const rust = (rustEntries as Record<string, Portable>[])[index]!;
          const u128 = (field: string) => client.u128(Uint8Array.from(rust[field] as string[], Number));
          assert.deepEqual(
            entry,
            { activeShares: BigInt(rust.active_shares as string), snapshot: u128("snapshot"), accruedScaled: u128("accrued_scaled"), claimedTotal: u128("claimed_total") },
            `entry ${index} of book ${account.address}`,
          );
          assert.equal(client.claimable(header, entry), BigInt(rust.claimable as string), `claimable of entry ${index} of book ${account.address}`);
        });
        continue;
      }
      const codec = codecs[`get${account.type}Codec`];
      assert.ok(codec, `the client has a codec for ${account.type}`);
      const decoded = codec().decode(data);
      const ours = toPortable(idl, { defined: { name: account.type } }, decoded);
      assert.deepEqual(sameFields(account.decoded, ours), account.decoded, `${account.type} ${account.address}`);
      // Accounts are allocated at their largest (names and URIs at their
      // longest): the encoding is the data's start, the rest is zeros.
      const encoded = codec().encode(decoded);
      assert.deepEqual(encoded, data.subarray(0, encoded.length), `${account.type} ${account.address} re-encoded`);
      assert.ok(data.subarray(encoded.length).every((byte) => byte === 0), `${account.type} ${account.address}: only zeros after its encoding`);
    }
  });

  test(`${chain}: every event decodes to the Rust SDK's values and re-encodes to its bytes`, () => {
    let count = 0;
    for (const transaction of dump.transactions) {
      for (const event of transaction.events) {
        const data = bytes(event.data);
        const decoded = client.decodeEvent(data);
        assert.ok(decoded, `an event in ${transaction.signature}`);
        const [name, rust] = Object.entries(event.decoded)[0]!;
        assert.equal(decoded.name, name);
        assert.deepEqual(toPortable(idl, { defined: { name } }, decoded.data), rust, `${name} in ${transaction.signature}`);
        const encoder = codecs[`get${name}Encoder`]!();
        assert.deepEqual(encoder.encode(decoded.data), data.subarray(16), `${name} re-encoded`);
        count++;
      }
    }
    assert.ok(count > 0, "the chain has events");
  });
}

test("an event cut short, or unknown, is refused by name; data without the event tag is no event", () => {
  const dump = vectors<Dump>("demo.json");
  const data = bytes(dump.transactions[0]!.events[0]!.data);
  assert.throws(() => client.decodeEvent(data.subarray(0, data.length - 1)), client.EventDecodeError);
  const unknown = Uint8Array.from(data);
  unknown.fill(0, 8, 16);
  assert.throws(() => client.decodeEvent(unknown), /discriminator 0000000000000000 that this client does not know/);
  assert.equal(client.decodeEvent(new Uint8Array([1, 2, 3])), null);
});

test("amounts read as the CLI shows them, for any decimals a mint may have", () => {
  assert.equal(client.formatTokens(487_500n, 6), "0.487500");
  assert.equal(client.formatTokens(5n, 0), "5");
  assert.equal(client.formatTokens(2n ** 128n - 1n, 255), `0.${"0".repeat(255 - 39)}${(2n ** 128n - 1n).toString()}`);
});
