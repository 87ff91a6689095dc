// Claiming: one contribution's claim, and "everything this wallet can
// claim" split into as many transactions as the size limit needs, each
// creating the receiving token account first (idempotently) and carrying a
// compute-unit limit from the program's own table
// (sdk/src/compute_units.rs; the tests hold these figures to it).

import {
  AccountRole,
  appendTransactionMessageInstructions,
  compileTransaction,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  getU32Encoder,
  getU64Encoder,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageLifetimeUsingBlockhash,
  type Address,
  type Blockhash,
  type Instruction,
  type TransactionSigner,
} from "@solana/kit";
import { getClaimInstruction } from "./generated/instructions/claim.js";
import { findContributionPda } from "./generated/pdas/contribution.js";
import { findRoyaltyBookPda } from "./generated/pdas/royaltyBook.js";
import { findVaultPda } from "./generated/pdas/vault.js";
import { MODEL_LEDGER_PROGRAM_ADDRESS } from "./generated/programs/modelLedger.js";
import {
  ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
  COMPUTE_BUDGET_PROGRAM_ADDRESS,
  findAssociatedTokenPda,
  findEventAuthorityPda,
  SYSTEM_PROGRAM_ADDRESS,
} from "./pdas.js";

/** Units a claim may take: the offline table's figure with its margin. */
export const CLAIM_COMPUTE_UNITS = 10_020;
/** Units creating an associated token account may take (it CPIs into the token program). */
export const CREATE_ASSOCIATED_TOKEN_COMPUTE_UNITS = 40_000;
/** Units each compute-budget instruction takes. */
export const COMPUTE_BUDGET_COMPUTE_UNITS = 150;
/** The largest transaction a cluster accepts, in bytes. */
export const TRANSACTION_SIZE_LIMIT = 1232;

/** One contribution with something to claim, as `claimablesOf` or the explorer's API gives it. */
export type ClaimTarget = {
  model: Address;
  index: number;
  paymentMint: Address;
  tokenProgram: Address;
};

/** The payout wallet claims contribution `index` of `model` into `destination` (default: its associated account). */
export async function getClaimInstructionFor(
  input: ClaimTarget & { payoutWallet: TransactionSigner; destination?: Address },
): Promise<Instruction> {
  const [[contribution], [royaltyBook], [vault], [eventAuthority]] = await Promise.all([
    findContributionPda({ model: input.model, index: input.index }),
    findRoyaltyBookPda({ model: input.model }),
    findVaultPda({ model: input.model }),
    findEventAuthorityPda(),
  ]);
  const destination =
    input.destination ?? (await findAssociatedTokenPda(input.payoutWallet.address, input.paymentMint, input.tokenProgram))[0];
  return getClaimInstruction({
    payoutWallet: input.payoutWallet,
    contribution,
    royaltyBook,
    vault,
    paymentMint: input.paymentMint,
    tokenProgram: input.tokenProgram,
    destination,
    eventAuthority,
    program: MODEL_LEDGER_PROGRAM_ADDRESS,
  });
}

/** Creates `owner`'s associated token account for `mint` unless it exists (paid by `payer`). */
export async function getCreateAssociatedTokenIdempotentInstruction(input: {
  payer: Address;
  owner: Address;
  mint: Address;
  tokenProgram: Address;
}): Promise<Instruction> {
  const [account] = await findAssociatedTokenPda(input.owner, input.mint, input.tokenProgram);
  return {
    programAddress: ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
    accounts: [
      { address: input.payer, role: AccountRole.WRITABLE_SIGNER },
      { address: account, role: AccountRole.WRITABLE },
      { address: input.owner, role: AccountRole.READONLY },
      { address: input.mint, role: AccountRole.READONLY },
      { address: SYSTEM_PROGRAM_ADDRESS, role: AccountRole.READONLY },
      { address: input.tokenProgram, role: AccountRole.READONLY },
    ],
    data: new Uint8Array([1]),
  };
}

export function getSetComputeUnitLimitInstruction(units: number): Instruction {
  return {
    programAddress: COMPUTE_BUDGET_PROGRAM_ADDRESS,
    data: new Uint8Array([2, ...getU32Encoder().encode(units)]),
  };
}

export function getSetComputeUnitPriceInstruction(microLamportsPerUnit: bigint): Instruction {
  return {
    programAddress: COMPUTE_BUDGET_PROGRAM_ADDRESS,
    data: new Uint8Array([3, ...getU64Encoder().encode(microLamportsPerUnit)]),
  };
}

/** What a transaction of `instructions` may cost, in compute units. */
export function computeUnitsOf(instructions: readonly Instruction[]): number {
  return instructions.reduce((units, instruction) => {
    switch (instruction.programAddress) {
      case MODEL_LEDGER_PROGRAM_ADDRESS:
        return units + CLAIM_COMPUTE_UNITS;
      case ASSOCIATED_TOKEN_PROGRAM_ADDRESS:
        return units + CREATE_ASSOCIATED_TOKEN_COMPUTE_UNITS;
      case COMPUTE_BUDGET_PROGRAM_ADDRESS:
        return units + COMPUTE_BUDGET_COMPUTE_UNITS;
      default:
        throw new Error(`no compute-unit figure for program ${instruction.programAddress}`);
    }
  }, 0);
}

function withBudget(instructions: Instruction[], priorityFee: bigint | undefined): Instruction[] {
  const budget = priorityFee === undefined ? 1 : 2;
  const units = computeUnitsOf(instructions) + budget * COMPUTE_BUDGET_COMPUTE_UNITS;
  const head = [getSetComputeUnitLimitInstruction(units)];
  if (priorityFee !== undefined) head.push(getSetComputeUnitPriceInstruction(priorityFee));
  return [...head, ...instructions];
}

/** The wire size of a transaction of `instructions` paid by `feePayer`, signatures included. */
export function transactionSize(feePayer: Address, instructions: readonly Instruction[], blockhash: Blockhash): number {
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayer(feePayer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash({ blockhash, lastValidBlockHeight: 0n }, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  return Buffer.from(getBase64EncodedWireTransaction(compileTransaction(message)), "base64").length;
}

/**
 * Every claim of `targets`, packed into as few transactions as the size
 * limit allows: each transaction is [compute-unit limit, (priority fee),
 * for each mint it pays in: create the wallet's token account (idempotent),
 * then its claims]. The payout wallet pays the fees and signs alone.
 */
export async function planClaimAll(input: {
  payoutWallet: TransactionSigner;
  targets: readonly ClaimTarget[];
  priorityFeeMicroLamports?: bigint;
}): Promise<Instruction[][]> {
  const wallet = input.payoutWallet.address;
  // Any 32-byte value measures the same as a real blockhash.
  const blockhash = "11111111111111111111111111111111" as Blockhash;
  const transactions: Instruction[][] = [];
  let current: Instruction[] = [];
  let mints = new Set<string>();
  const sorted = [...input.targets].sort((a, b) => (a.model === b.model ? a.index - b.index : a.model < b.model ? -1 : 1));
  for (const target of sorted) {
    const additions: Instruction[] = [];
    const mintKey = `${target.paymentMint}/${target.tokenProgram}`;
    if (!mints.has(mintKey)) {
      additions.push(
        await getCreateAssociatedTokenIdempotentInstruction({
          payer: wallet,
          owner: wallet,
          mint: target.paymentMint,
          tokenProgram: target.tokenProgram,
        }),
      );
    }
    additions.push(await getClaimInstructionFor({ ...target, payoutWallet: input.payoutWallet }));
    const candidate = [...current, ...additions];
    if (
      current.length > 0 &&
      transactionSize(wallet, withBudget(candidate, input.priorityFeeMicroLamports), blockhash) > TRANSACTION_SIZE_LIMIT
    ) {
      transactions.push(withBudget(current, input.priorityFeeMicroLamports));
      current = [];
      mints = new Set();
      // The new transaction needs the token account instruction again.
      if (additions.length === 1) {
        additions.unshift(
          await getCreateAssociatedTokenIdempotentInstruction({
            payer: wallet,
            owner: wallet,
            mint: target.paymentMint,
            tokenProgram: target.tokenProgram,
          }),
        );
      }
    }
    current.push(...additions);
    mints.add(mintKey);
  }
  if (current.length > 0) transactions.push(withBudget(current, input.priorityFeeMicroLamports));
  return transactions;
}
