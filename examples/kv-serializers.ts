/**
 * Serializers decide how values are stored: 'v8' (the default on persistent backends: Date,
 * Map, Set, BigInt survive), 'json' and 'msgpack' (readable by other languages), 'string',
 * 'none' (values as given), or your own object.
 *
 *   npx tsx examples/kv-serializers.ts
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { createCache } from 'memoir';

async function main() {
  const value = { when: new Date(0), tags: new Set(['a', 'b']), total: 12n };

  const v8 = createCache({ backend: 'file', namespace: 'serializers-v8', serializer: 'v8' });
  await v8.set('k', value);
  console.log('v8 keeps the types:', await v8.get('k'));

  const json = createCache({ backend: 'file', namespace: 'serializers-json', serializer: 'json' });
  await json.set('k', { user: 'ada', roles: ['admin'] });
  console.log('json:', await json.get('k'));
  try {
    await json.set('k', value); // a BigInt has no JSON form: refused, never stored half-right
  } catch (error) {
    console.log('json refuses what it cannot hold:', (error as { code: string }).code);
  }

  // Integers stay raw under every built-in serializer but 'string', so increment works on them.
  await json.set('counter', 41);
  console.log('increment of a json integer:', await json.increment('counter'));

  // A custom serializer: anything with serialize/deserialize. Here: compressed JSON.
  const compressed = createCache({
    backend: 'file',
    namespace: 'serializers-zlib',
    serializer: {
      serialize: (v) => deflateSync(JSON.stringify(v)),
      deserialize: (raw) => JSON.parse(inflateSync(raw).toString()),
    },
  });
  await compressed.set('text', 'lorem ipsum '.repeat(100));
  console.log('custom serializer round trip:', ((await compressed.get('text')) as string).length, 'characters');

  for (const cache of [v8, json, compressed]) {
    await cache.clear();
    await cache.close();
  }
}

main();
