import type { RedisPort } from './port';
import { isTimeout, withTimeout } from './timeout';

/**
 * Puts `timeout` on every command of a port, in one place rather than in each adapter. A
 * timed-out command marks the port suspect (a connection memoir owns is then dropped and
 * reopened on demand; see OwnedConnection).
 */
export function timedPort(port: RedisPort, timeoutMs: number): RedisPort {
  const bound = <T>(what: string, promise: Promise<T>): Promise<T> =>
    withTimeout(promise, timeoutMs, () => `${what} on ${port.label}`).catch((error) => {
      if (isTimeout(error)) port.suspect?.();
      throw error;
    });
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
