/**
 * Data-structure caches on Redis: each structure is one key of Redis's own type (STRING, HASH,
 * SET, ZSET), each operation one command, or one script when it also moves the ttl. Another
 * client reads (and changes) them with plain commands.
 *
 *   npx tsx examples/structures-redis.ts                                          # 127.0.0.1:6379
 *   MEMOIR_EXAMPLE_REDIS=redis://cache.internal:6379/2 npx tsx examples/structures-redis.ts
 *
 * It works in database 0 of the local Redis (CI starts one), in a namespace unique to this
 * run, and clears it at the end. In an application, MEMOIR_DSN=redis://... makes Redis the
 * 'default' alias every structure class uses, with no `static cache` at all.
 */
import { caches, closeConnections, DictCache, SentinelCache, SetCache, SortedSetCache, ValueCache } from 'memoir';

const redis = process.env.MEMOIR_EXAMPLE_REDIS ?? 'redis://127.0.0.1:6379/0';
const namespace = `structures-example-${process.pid}`;
caches.setConfig({ shared: { backend: 'redis', redis, namespace, serializer: 'json', timeout: '1s' } });

class Visits extends ValueCache<number> {
  static override cache = 'shared';
  static override ttl = '10m'; // INCRBY and PEXPIRE in one script: one round trip
}

class Counters extends DictCache<string, number> {
  static override cache = 'shared';
  static override serialize = false; // raw text: other clients HINCRBY it
}

class Tags extends SetCache<string> {
  static override cache = 'shared';
}

class Queue extends SortedSetCache<string> {
  static override cache = 'shared';
}

class Gate extends SentinelCache {
  static override cache = 'shared';
  static override ttl = '1m'; // SET NX PX
}

async function main(): Promise<void> {
  const cache = caches.get('shared');
  const raw = (...args: string[]) => cache.raw(args[0], ...args.slice(1));
  const key = (name: string) => `${namespace}:${name}`;

  console.log('visits:', await new Visits('home').increment(), 'ttl ms:', await raw('PTTL', key('home')));

  const counters = new Counters('page', { data: { views: 1 } });
  await counters.ready(); // the object's own operations wait for `data`; another client's do not
  await raw('HINCRBY', key('page'), 'views', '41'); // another client, a plain command
  console.log('views after HINCRBY:', await counters.get('views')); // 42

  await new Tags('tags').add('redis');
  console.log('SMEMBERS:', String(await raw('SMEMBERS', key('tags')))); // "redis": members are their JSON text

  const queue = await new Queue('queue', { data: [[2, 'second'], [1, 'first']] }).ready();
  console.log('TYPE:', String(await raw('TYPE', key('queue'))), 'pop:', await queue.pop()); // zset [1, 'first']

  console.log('claims:', await new Gate('deploy').claim(), await new Gate('deploy').claim()); // true false

  await cache.clear(); // SCAN + UNLINK of this namespace only
  await caches.close();
  await closeConnections();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
