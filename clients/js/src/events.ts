// The program's events (`emit_cpi!`): an inner instruction of the program
// to itself whose data is Anchor's event tag, the event's discriminator,
// then the event's Borsh body.

import type { ReadonlyUint8Array } from "@solana/kit";
import { EVENT_CODECS, type ModelLedgerEventData } from "./generated/events.js";

export type { ModelLedgerEventData } from "./generated/events.js";

/** Anchor's tag in front of every self-CPI event (`EVENT_IX_TAG_LE`). */
export const EVENT_IX_TAG = new Uint8Array([0xe4, 0x45, 0xa5, 0x2e, 0x51, 0xcb, 0x9a, 0x1d]);

export type ModelLedgerEvent = {
  [Name in keyof ModelLedgerEventData]: { name: Name; data: ModelLedgerEventData[Name] };
}[keyof ModelLedgerEventData];

export class EventDecodeError extends Error {
  override name = "EventDecodeError";
}

function startsWith(data: ReadonlyUint8Array, prefix: ReadonlyUint8Array, at = 0): boolean {
  return data.length >= at + prefix.length && prefix.every((byte, i) => data[at + i] === byte);
}

/**
 * The event an inner instruction's data carries: `null` when it carries no
 * event tag (not an event); an `EventDecodeError` when it has the tag but
 * not a whole event this client knows (cut short, or a newer program).
 */
export function decodeEvent(data: ReadonlyUint8Array): ModelLedgerEvent | null {
  if (!startsWith(data, EVENT_IX_TAG)) return null;
  const codec = EVENT_CODECS.find(({ discriminator }) => startsWith(data, discriminator, 8));
  if (!codec) {
    const shown = Array.from(data.subarray(8, 16), (byte) => byte.toString(16).padStart(2, "0")).join("");
    throw new EventDecodeError(`an event with discriminator ${shown} that this client does not know`);
  }
  const decoder = codec.decoder();
  let decoded: [ModelLedgerEventData[keyof ModelLedgerEventData], number];
  try {
    decoded = decoder.read(data, 16);
  } catch (error) {
    throw new EventDecodeError(`a ${codec.name} event that does not decode (${String(error)}): cut short?`);
  }
  if (decoded[1] !== data.length) {
    throw new EventDecodeError(`a ${codec.name} event with ${data.length - decoded[1]} bytes after its body`);
  }
  return { name: codec.name, data: decoded[0] } as ModelLedgerEvent;
}
