/**
 * The Redis keys of one key-value cache namespace. The cache builds a key as `namespace:key`,
 * but a plain join lets namespaces meet: `a` with key `sub:k` and `a:sub` with key `k` would
 * be one Redis key, and a SCAN of `a:*` would reach `a:sub`'s keys. So the namespace part is
 * stored with `%` and `:` percent-encoded: it then holds no ':', the first ':' of a Redis key
 * ends it, and `clear`'s SCAN of `<encoded>:*` matches this namespace alone. A namespace
 * without those characters keeps the plain `namespace:key` layout other clients read.
 *
 * A key that does not start with `namespace:` (a `keyBuilder`'s own layout, or any key of the
 * empty namespace) is stored as built.
 */
export interface KvKeys {
  /** The Redis key of a key as the cache built it. */
  toRedis(built: string): string;
  /** The key as the cache built it, of a Redis key of this namespace. */
  fromRedis(redisKey: string): string;
  /** The Redis key of a lock named `<kind>:<built key>` (lock, fill, memo). */
  lock(name: string): string;
  /** SCAN MATCH pattern of every key of the namespace, as the server sees keys (prefix included). */
  pattern(keyPrefix: string): string;
}

const LOCK_PREFIX = 'memoir:kv-lock:';

const encodeNamespace = (namespace: string) => namespace.replace(/[%:]/g, (char) => (char === '%' ? '%25' : '%3A'));
/** SCAN MATCH is a glob: the encoded namespace may still hold `*`, `?`, `[`, `]` or `\`. */
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);

export function kvKeys(namespace: string): KvKeys {
  const built = `${namespace}:`;
  const stored = `${encodeNamespace(namespace)}:`;
  const plain = namespace === '' || built === stored;
  const toRedis = (key: string) => (plain || !key.startsWith(built) ? key : stored + key.slice(built.length));
  return {
    toRedis,
    fromRedis: (key) => (plain || !key.startsWith(stored) ? key : built + key.slice(stored.length)),
    lock(name) {
      // The kind holds no ':', so the built key after it is namespaced like any other key.
      const at = name.indexOf(':');
      return LOCK_PREFIX + (at < 0 ? name : name.slice(0, at + 1) + toRedis(name.slice(at + 1)));
    },
    pattern: (keyPrefix) => `${globEscape(keyPrefix + stored)}*`,
  };
}
