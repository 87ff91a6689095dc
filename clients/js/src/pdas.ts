// Every address the program derives, beside the ones Codama generated from
// the IDL (config, contribution, grant, permit, royalty book, vault): the
// model, its licences and the event authority, whose seeds the IDL does
// not carry (a model's id and a licence's version are not instruction
// arguments where those accounts appear).

import {
  getAddressEncoder,
  getProgramDerivedAddress,
  getU32Encoder,
  getUtf8Encoder,
  type Address,
  type ProgramDerivedAddress,
  type ReadonlyUint8Array,
} from "@solana/kit";
import { MODEL_LEDGER_PROGRAM_ADDRESS } from "./generated/programs/index.js";

const utf8 = getUtf8Encoder();
const address = getAddressEncoder();

/** `["model", creator, model_id]`: a model, by its creator and 32-byte id. */
export async function findModelPda(creator: Address, modelId: ReadonlyUint8Array): Promise<ProgramDerivedAddress> {
  if (modelId.length !== 32) {
    throw new RangeError(`a model id is 32 bytes, not ${modelId.length}`);
  }
  return getProgramDerivedAddress({
    programAddress: MODEL_LEDGER_PROGRAM_ADDRESS,
    seeds: [utf8.encode("model"), address.encode(creator), modelId],
  });
}

/** `["license", model, version]`: licence version `version` (from 1) of a model. */
export async function findLicensePda(model: Address, version: number): Promise<ProgramDerivedAddress> {
  return getProgramDerivedAddress({
    programAddress: MODEL_LEDGER_PROGRAM_ADDRESS,
    seeds: [utf8.encode("license"), address.encode(model), getU32Encoder().encode(version)],
  });
}

/** The signer of the program's self-CPI events (Anchor's `__event_authority`). */
export async function findEventAuthorityPda(): Promise<ProgramDerivedAddress> {
  return getProgramDerivedAddress({
    programAddress: MODEL_LEDGER_PROGRAM_ADDRESS,
    seeds: [utf8.encode("__event_authority")],
  });
}

/** The associated token account of `owner` for `mint` under `tokenProgram`. */
export async function findAssociatedTokenPda(
  owner: Address,
  mint: Address,
  tokenProgram: Address,
): Promise<ProgramDerivedAddress> {
  return getProgramDerivedAddress({
    programAddress: ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
    seeds: [address.encode(owner), address.encode(tokenProgram), address.encode(mint)],
  });
}

export const TOKEN_PROGRAM_ADDRESS = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA" as Address;
export const ASSOCIATED_TOKEN_PROGRAM_ADDRESS = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL" as Address;
export const SYSTEM_PROGRAM_ADDRESS = "11111111111111111111111111111111" as Address;
export const COMPUTE_BUDGET_PROGRAM_ADDRESS = "ComputeBudget111111111111111111111111111111" as Address;
