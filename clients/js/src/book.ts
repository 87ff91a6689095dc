// A model's royalty book: the generated decoder reads its fixed header;
// here are its entries (one per contribution index, after the header, which
// the IDL cannot describe) and what an entry can claim, by the program's own
// arithmetic (programs/model_ledger/src/math/royalty.rs: settle, then
// whole tokens of the scaled accrual, rounded down).

import { getU64Decoder, type ReadonlyUint8Array } from "@solana/kit";
import { getRoyaltyBookDecoder, ROYALTY_BOOK_DISCRIMINATOR, type RoyaltyBook } from "./generated/accounts/royaltyBook.js";

/** Accruals are kept in 1/SCALE token units. */
export const SCALE = 1_000_000_000_000n;
/** Discriminator and header: where entry 0 starts. */
export const BOOK_HEADER_END = 8 + 384;
export const BOOK_ENTRY_SIZE = 64;

/** One contribution's balance in the book (128-bit values as bigints). */
export type BookEntry = {
  /** Shares earning now: the accepted shares, 0 otherwise. */
  activeShares: bigint;
  /** `accPerShare` at the entry's last settlement. */
  snapshot: bigint;
  /** Earned and not yet claimed, in 1/SCALE token units. */
  accruedScaled: bigint;
  /** Tokens claimed over the contribution's life. */
  claimedTotal: bigint;
};

/** A 128-bit little-endian unsigned integer. */
export function u128(bytes: ReadonlyUint8Array): bigint {
  if (bytes.length !== 16) {
    throw new RangeError(`a u128 is 16 bytes, not ${bytes.length}`);
  }
  let value = 0n;
  for (let i = 15; i >= 0; i--) {
    value = (value << 8n) | BigInt(bytes[i] ?? 0);
  }
  return value;
}

export class BookError extends Error {
  override name = "BookError";
}

function isBook(data: ReadonlyUint8Array): boolean {
  return data.length >= BOOK_HEADER_END && ROYALTY_BOOK_DISCRIMINATOR.every((byte, i) => data[i] === byte);
}

/** The book's header; throws a `BookError` naming what is wrong. */
export function decodeBookHeader(data: ReadonlyUint8Array): RoyaltyBook {
  if (!isBook(data)) {
    throw new BookError(`not a royalty book (${data.length} bytes, or another account's discriminator)`);
  }
  const header = getRoyaltyBookDecoder().decode(data);
  if (data.length < BOOK_HEADER_END + header.entryCount * BOOK_ENTRY_SIZE) {
    throw new BookError(`a royalty book of ${header.entryCount} entries cut short at ${data.length} bytes`);
  }
  return header;
}

/**
 * Entry `index` of a book; an index past the book's entries (a contribution
 * never accepted) has an all-zero entry, as on chain.
 */
export function decodeBookEntry(data: ReadonlyUint8Array, index: number): BookEntry {
  const header = decodeBookHeader(data);
  if (!Number.isInteger(index) || index < 0) {
    throw new RangeError(`a contribution index is a whole number, not ${index}`);
  }
  if (index >= header.entryCount) {
    return { activeShares: 0n, snapshot: 0n, accruedScaled: 0n, claimedTotal: 0n };
  }
  const at = BOOK_HEADER_END + index * BOOK_ENTRY_SIZE;
  return {
    activeShares: getU64Decoder().decode(data, at),
    snapshot: u128(data.subarray(at + 8, at + 24)),
    accruedScaled: u128(data.subarray(at + 24, at + 40)),
    claimedTotal: u128(data.subarray(at + 40, at + 56)),
  };
}

/** Every entry of a book, in index order. */
export function decodeBookEntries(data: ReadonlyUint8Array): BookEntry[] {
  const { entryCount } = decodeBookHeader(data);
  return Array.from({ length: entryCount }, (_, index) => decodeBookEntry(data, index));
}

/**
 * Whole tokens (base units) the entry can claim now: its accrual settled
 * against the book's accumulator, divided by SCALE, rounded down; the
 * fraction stays in the book for the next claim.
 */
export function claimable(book: RoyaltyBook, entry: BookEntry): bigint {
  const accPerShare = u128(book.accPerShare);
  if (accPerShare < entry.snapshot) {
    throw new BookError("an entry's snapshot is ahead of its book's accumulator");
  }
  const owed = entry.accruedScaled + (accPerShare - entry.snapshot) * entry.activeShares;
  const tokens = owed / SCALE;
  if (tokens > 0xffff_ffff_ffff_ffffn) {
    throw new BookError("a claimable amount beyond u64");
  }
  return tokens;
}

/** Base units as tokens of a mint with `decimals` (any u8), exactly: no floating point. */
export function formatTokens(amount: bigint, decimals: number): string {
  const digits = amount.toString().padStart(decimals + 1, "0");
  if (decimals === 0) return digits;
  return `${digits.slice(0, digits.length - decimals)}.${digits.slice(digits.length - decimals)}`;
}
