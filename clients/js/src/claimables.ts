// What a wallet can claim, read straight from a cluster: its contributions
// (every Contribution account whose payout wallet it is) and their models'
// books. A contribution's payout wallet follows its variable-length URI, so
// no RPC filter can select it: contributions are filtered here, which suits
// a client or a test; an app serving many wallets reads the explorer's
// index (`/api/wallets/{address}`) instead.

import {
  getBase64Encoder,
  type Address,
  type Base64EncodedBytes,
  type GetMultipleAccountsApi,
  type GetProgramAccountsApi,
  type Rpc,
} from "@solana/kit";
import { CONTRIBUTION_DISCRIMINATOR, getContributionDecoder } from "./generated/accounts/contribution.js";
import { findRoyaltyBookPda } from "./generated/pdas/royaltyBook.js";
import { MODEL_LEDGER_PROGRAM_ADDRESS } from "./generated/programs/modelLedger.js";
import { claimable, decodeBookEntry, decodeBookHeader } from "./book.js";
import type { ClaimTarget } from "./claim.js";

export type Claimable = ClaimTarget & {
  contribution: Address;
  /** Base units claimable now. */
  amount: bigint;
  /** Base units claimed over the contribution's life. */
  claimed: bigint;
  decimals: number;
};

/** Every contribution `wallet` is the payout wallet of, with what it can claim now (zero included). */
export async function claimablesOf(
  rpc: Rpc<GetProgramAccountsApi & GetMultipleAccountsApi>,
  wallet: Address,
): Promise<Claimable[]> {
  const discriminator = Buffer.from(CONTRIBUTION_DISCRIMINATOR).toString("base64") as Base64EncodedBytes;
  const accounts = await rpc
    .getProgramAccounts(MODEL_LEDGER_PROGRAM_ADDRESS, {
      encoding: "base64",
      filters: [{ memcmp: { offset: 0n, bytes: discriminator, encoding: "base64" } }],
    })
    .send();
  const base64 = getBase64Encoder();
  const mine = accounts
    .map(({ pubkey, account }) => ({ address: pubkey, contribution: getContributionDecoder().decode(base64.encode(account.data[0])) }))
    .filter(({ contribution }) => contribution.payoutWallet === wallet);
  const models = [...new Set(mine.map(({ contribution }) => contribution.model))];
  const books = await Promise.all(models.map(async (model) => (await findRoyaltyBookPda({ model }))[0]));
  const bookAccounts = books.length === 0 ? [] : (await rpc.getMultipleAccounts(books, { encoding: "base64" }).send()).value;
  const bookData = new Map(
    models.map((model, i) => {
      const account = bookAccounts[i];
      if (!account) throw new Error(`the royalty book of model ${model} does not exist`);
      return [model, base64.encode(account.data[0])] as const;
    }),
  );
  return mine.map(({ address, contribution }) => {
    const data = bookData.get(contribution.model);
    if (!data) throw new Error(`no royalty book read for model ${contribution.model}`);
    const header = decodeBookHeader(data);
    const entry = decodeBookEntry(data, contribution.index);
    return {
      model: contribution.model,
      index: contribution.index,
      contribution: address,
      paymentMint: header.paymentMint,
      tokenProgram: header.tokenProgram,
      amount: claimable(header, entry),
      claimed: entry.claimedTotal,
      decimals: header.paymentDecimals,
    };
  });
}
