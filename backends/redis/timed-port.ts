import type { RedisPort } from './port';
import { isTimeout, withTimeout } from '../../lib/util';

/**
 * Puts `timeout` on every command of a port, in one place rather than in each adapter. A
 * command that times out while nothing at all came back since it was sent marks the port
 * suspect (a connection memoir owns is then dropped and reopened on demand; see
 * OwnedConnection); one slow command among answered ones does not.
 */
export function timedPort(port: RedisPort, timeoutMs: number): RedisPort {
  /** When a reply last arrived: a timeout with replies since its command was sent is a slow command, not a dead server. */
  let lastReplyAt = 0;
  const bound = <T>(what: string, promise: Promise<T>): Promise<T> => {
    const sentAt = Date.now();
    return withTimeout(promise, timeoutMs, () => `${what} on ${port.label}`).then(
      (value) => {
        lastReplyAt = Date.now();
        return value;
      },
      (error) => {
        if (isTimeout(error) && lastReplyAt < sentAt) port.suspect?.();
        else if (!isTimeout(error)) lastReplyAt = Date.now(); // the server answered, with an error
        throw error;
      },
    );
  };
  return {
    get label() {
      return port.label;
    },
    cluster: port.cluster,
    keyPrefix: port.keyPrefix,
    mget: (keys) => bound('MGET', port.mget(keys)),
    evalsha: (sha, keys, args) => bound('EVALSHA', port.evalsha(sha, keys, args)),
    eval: (source, keys, args) => bound('EVAL', port.eval(source, keys, args)),
    unlink: (keys) => bound('UNLINK', port.unlink(keys)),
    publish: (channel, message) => bound('PUBLISH', port.publish(channel, message)),
    scan: (pattern, count) => timedPages(port.scan(pattern, count), (page) => bound('SCAN', page)),
    openSubscriber: () => bound('SUBSCRIBE', port.openSubscriber()),
    command: (firstKey, args) => bound(String(args[0]), port.command(firstKey, args)),
    dedicated: (key) => bound('connecting', port.dedicated(key)),
    suspect: () => port.suspect?.(),
    close: () => port.close(),
  };
}

function timedPages(
  pages: AsyncIterable<string[]>,
  bound: (page: Promise<IteratorResult<string[]>>) => Promise<IteratorResult<string[]>>,
): AsyncIterable<string[]> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = pages[Symbol.asyncIterator]();
      return {
        next: () => bound(iterator.next()),
        return: async (value?: unknown) => {
          await iterator.return?.(value);
          return { done: true, value: undefined };
        },
      };
    },
  };
}
