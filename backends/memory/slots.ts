/** What the memory key-value store keeps per key, and what its native structures may do with it. */
export interface Slot {
  value: unknown;
  /** Epoch ms after which the value is gone; 0: never. */
  expiresAt: number;
  version: number;
}

export interface Slots {
  /** The live slot of `key`; an expired one is dropped on the way. */
  live(key: string): Slot | undefined;
  /** Stores `value` as the key's new slot. */
  write(key: string, value: unknown, expiresAt: number): void;
  /** A slot changed in place: a new version (optimistic readers conflict), and a new expiry when `ttl` is given. */
  touched(slot: Slot, ttl: number | undefined): void;
  remove(key: string): void;
  /** The expiry of a time to live from now (0: none). */
  expiryOf(ttl: number | undefined): number;
}
