/**
 * Leases live on the server's clock; the engine reads marks with its own (`clock` option,
 * default Date.now). This translates one into the other.
 *
 * Every acquire and renew carries the caller's `now` and returns the server's `TIME` of the
 * same moment; their difference is the offset by which server times (a mark's `since` and
 * `leaseUntil`) are reported in the caller's clock. So the engine's `isLive(mark, clock())`
 * agrees with the server: a mark reads live exactly while its lease key exists (up to the
 * round-trip time), whatever the skew between the machines or an injected test clock. The
 * server alone decides who may take a mark (expiry by PX, checked in the scripts); the
 * translation only tells the engine when it is worth asking again.
 *
 * Before the first acquire or renew the offset is 0 (the caller's clock is taken to agree
 * with the server's); a waiter always acquires before it reads marks, so this only affects
 * `get` calls of a process that never claimed a key.
 */
export class ServerClock {
  private offset = 0;

  /** Records the caller's `now` at the server's `serverNow` (both epoch ms). */
  observe(callerNow: number, serverNow: number): void {
    this.offset = callerNow - serverNow;
  }

  /** A server time in the caller's clock. */
  toCaller(serverTime: number): number {
    return serverTime + this.offset;
  }
}
