// The golden vectors `run` has the Rust SDK write into $MODEL_LEDGER_VECTORS.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Portable } from "./idl.js";

const dir = process.env.MODEL_LEDGER_VECTORS;

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the file's shape
export function vectors<T>(name: string): T {
  if (!dir) throw new Error("MODEL_LEDGER_VECTORS names the folder the Rust SDK wrote the golden vectors into (test/run does)");
  return JSON.parse(readFileSync(join(dir, name), "utf8")) as T;
}

export type InstructionVector = {
  name: string;
  args: Record<string, Portable>;
  accounts: { address: string; signer: boolean; writable: boolean }[];
  data: string;
  compute_units: number;
};

export type Dump = {
  program: string;
  accounts: { address: string; type: string; data: string; decoded: Record<string, Portable> }[];
  transactions: { signature: string; events: { data: string; decoded: Record<string, Portable> }[] }[];
};
