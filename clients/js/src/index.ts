// The Model Ledger client: Codama's generated client for every account,
// instruction, PDA and error of the program (./generated, from the IDL),
// and what the IDL cannot say: the royalty book's entries and claimable
// amounts, events, the remaining PDAs, and claim builders.

export * from "./generated/index.js";
export * from "./pdas.js";
export * from "./book.js";
export * from "./claim.js";
export * from "./events.js";
export * from "./claimables.js";
