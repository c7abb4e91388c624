/**
 * Aliases: caches configured by name, like Django's CACHES, from code or from MEMOIR_DSN*
 * environment variables (scheme: backend, #fragment: alias, ?query: options).
 *
 *   MEMOIR_DSN_1='memory://?namespace=sessions&ttl=30m#sessions' npx tsx examples/kv-aliases.ts
 */
import { caches, parseDsn } from 'memoir';

async function main() {
  // What the environment gave (nothing set: only the implicit 'default' alias, on memory).
  console.log('from the environment:', caches.getConfig());

  caches.setConfig(
    {
      default: { backend: 'memory', serializer: 'string' },
      disk: { backend: 'file', namespace: 'aliases', serializer: 'msgpack', timeout: '1s', plugins: ['hitMissRatio', 'timing'] },
    },
    { merge: true }, // keep the aliases the environment defined
  );

  const disk = caches.get('disk'); // built on first use; the same instance every time
  console.log('same instance:', disk === caches.get('disk'));
  await disk.set('k', { answer: 42 });
  console.log('disk:', await disk.get('k'), '- plugins:', disk.plugins.length);

  const scratch = caches.create('disk', { namespace: 'scratch' }); // a new instance, with overrides
  console.log('create gives a new instance:', scratch !== disk, scratch.namespace);

  await caches.get().set('n', 5);
  console.log("'default' uses the string serializer:", JSON.stringify(await caches.get().get('n')));

  // How one DSN reads.
  console.log(parseDsn('redis://cache.internal:6379/2?ttl=2h#sessions', 'MEMOIR_DSN_1'));

  try {
    caches.get('nope');
  } catch (error) {
    console.log((error as Error).message);
  }
  await disk.clear();
  await scratch.close();
  await caches.close();
}

main();
