// The program's IDL, read by the tests to turn the Rust SDK's JSON (serde's
// field names, integers as decimal strings, addresses and hashes as their
// bytes) into this client's inputs and its decoded values back into that
// JSON, generically, so every account, event and instruction is compared
// field by field without a hand-written table to fall out of date.

import { readFileSync } from "node:fs";
import { getAddressDecoder, getAddressEncoder, type Address } from "@solana/kit";

export type IdlType =
  | string
  | { array: [IdlType, number] }
  | { vec: IdlType }
  | { option: IdlType }
  | { defined: { name: string } };

type IdlTypeDef = {
  name: string;
  type:
    | { kind: "struct"; fields: { name: string; type: IdlType }[] }
    | { kind: "enum"; variants: { name: string }[] };
};

export type IdlAccountItem = { name: string; signer?: boolean; writable?: boolean; accounts?: IdlAccountItem[] };

export type Idl = {
  instructions: { name: string; accounts: IdlAccountItem[]; args: { name: string; type: IdlType }[] }[];
  types: IdlTypeDef[];
  events: { name: string }[];
};

export function loadIdl(): Idl {
  // Run from clients/js (npm test, test/run).
  const path = process.env.MODEL_LEDGER_IDL ?? "../../idl/model_ledger.json";
  return JSON.parse(readFileSync(path, "utf8")) as Idl;
}

export const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export type Portable = string | boolean | null | Portable[] | { [key: string]: Portable };

const BIG = new Set(["u64", "i64", "u128", "i128"]);
const SMALL = new Set(["u8", "u16", "u32", "i8", "i16", "i32"]);

function typeDef(idl: Idl, name: string): IdlTypeDef {
  const found = idl.types.find((def) => def.name === name);
  if (!found) throw new Error(`the IDL has no type ${name}`);
  return found;
}

/** A client value (as Codama's decoders give it) in the Rust SDK's portable JSON. */
export function toPortable(idl: Idl, type: IdlType, value: unknown): Portable {
  if (typeof type === "string") {
    if (BIG.has(type) || SMALL.has(type)) return String(value);
    if (type === "bool" || type === "string") return value as Portable;
    if (type === "pubkey") return Array.from(getAddressEncoder().encode(value as Address), String);
    throw new Error(`unhandled IDL type ${type}`);
  }
  if ("array" in type) return Array.from(value as ArrayLike<unknown>, (item) => toPortable(idl, type.array[0], item));
  if ("vec" in type) return Array.from(value as ArrayLike<unknown>, (item) => toPortable(idl, type.vec, item));
  if ("option" in type) {
    const option = value as { __option: "Some"; value: unknown } | { __option: "None" };
    return option.__option === "None" ? null : toPortable(idl, type.option, option.value);
  }
  const def = typeDef(idl, type.defined.name);
  if (def.type.kind === "enum") {
    const variant = def.type.variants[value as number];
    if (!variant) throw new Error(`${def.name} has no variant ${String(value)}`);
    return variant.name;
  }
  const record = value as Record<string, unknown>;
  return Object.fromEntries(def.type.fields.map((field) => [field.name, toPortable(idl, field.type, record[camel(field.name)])]));
}

/** The Rust SDK's portable JSON as this client's input value. */
export function fromPortable(idl: Idl, type: IdlType, value: Portable): unknown {
  if (typeof type === "string") {
    if (BIG.has(type)) return BigInt(value as string);
    if (SMALL.has(type)) return Number(value);
    if (type === "bool" || type === "string") return value;
    if (type === "pubkey") return getAddressDecoder().decode(Uint8Array.from(value as string[], Number));
    throw new Error(`unhandled IDL type ${type}`);
  }
  if ("array" in type) {
    if (type.array[0] === "u8") return Uint8Array.from(value as string[], Number);
    return (value as Portable[]).map((item) => fromPortable(idl, type.array[0], item));
  }
  if ("vec" in type) return (value as Portable[]).map((item) => fromPortable(idl, type.vec, item));
  if ("option" in type) return value === null ? null : fromPortable(idl, type.option, value);
  const def = typeDef(idl, type.defined.name);
  if (def.type.kind === "enum") {
    const index = def.type.variants.findIndex((variant) => variant.name === value);
    if (index < 0) throw new Error(`${def.name} has no variant ${JSON.stringify(value)}`);
    return index;
  }
  const record = value as Record<string, Portable>;
  return Object.fromEntries(
    def.type.fields.map((field) => {
      const item = record[field.name];
      if (item === undefined) throw new Error(`${def.name}.${field.name} is missing`);
      return [camel(field.name), fromPortable(idl, field.type, item)];
    }),
  );
}

/** Only the fields the Rust side wrote (it leaves reserved padding out). */
export function sameFields(rust: Portable, client: Portable): Portable {
  if (rust && client && typeof rust === "object" && typeof client === "object" && !Array.isArray(rust) && !Array.isArray(client)) {
    return Object.fromEntries(Object.keys(rust).map((key) => [key, sameFields(rust[key] as Portable, client[key] as Portable)]));
  }
  return client;
}
