import * as v8 from 'node:v8';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { closeConnections } from '../../../backends/redis';
import type { Claim, CoreEvent } from '../../../lib/contract';
import { encodeValue } from '../../../backends/redis/records';
import { MemoirError } from '../../../lib/errors';
import { redisCore, uniqueName } from '../../support/redis-fixtures';
import { RedisServer } from '../../support/redis-server';

/**
 * The Redis core's own regressions, beyond the shared contract, on a server of this file's
 * own (port 6401) so that SCRIPT FLUSH and foreign keys touch nobody else.
 */
const PORT = 6401;
let server: RedisServer;
let raw: ReturnType<typeof createClient>;

beforeAll(async () => {
  server = await RedisServer.start(PORT);
  raw = createClient({ url: server.url });
  raw.on('error', () => undefined);
  await raw.connect();
});

const onTeardown: Array<() => void> = [];

afterAll(async () => {
  for (const teardown of onTeardown) teardown();
  await closeConnections();
  raw?.destroy();
  await server?.stop();
});

const claim = (owner: string, now: number, lease = 10_000): Claim => ({
  owner,
  now,
  leaseUntil: now + lease,
});

it('runs its scripts again after the server lost its script cache (NOSCRIPT → EVAL)', async () => {
  const core = redisCore(uniqueName('noscript'), server.url);
  expect((await core.acquire('k', claim('A', Date.now()))).acquired).toBe(true);
  await raw.sendCommand(['SCRIPT', 'FLUSH']);
  await core.write('k', 'value', { time: 1, owner: 'A' });
  expect(await core.get('k')).toMatchObject({ value: 'value', completed: true });
  expect((await core.get('k'))?.processing).toBeUndefined();
});

it('keeps every key of one entry under one hash tag, and the name unambiguous', async () => {
  const plain = redisCore('a', server.url);
  const nested = redisCore('a:b', server.url);
  await plain.write('b:c', 'of a', { time: 1 });
  await nested.write('c', 'of a:b', { time: 1 });
  await plain.acquire('b:c', claim('A', Date.now()));
  const keys = (await raw.keys('{memoir:a*')).sort();
  expect(keys).toEqual(['{memoir:a%3Ab:c}:value', '{memoir:a:b:c}:lease', '{memoir:a:b:c}:value']);
  expect(await plain.keys()).toEqual(['b:c']);
  await plain.clear();
  expect((await nested.get('c'))?.value).toBe('of a:b');
  await nested.clear();
});

it('reports foreign data under its key once, reads it as a miss, and writes over it', async () => {
  const events: CoreEvent[] = [];
  const name = uniqueName('foreign');
  const core = redisCore(name, server.url, {}, events);
  await raw.set(`{memoir:${name}:k}:value`, 'not memoir');
  expect(await core.get('k')).toBeUndefined();
  expect(await core.get('k')).toBeUndefined();
  expect(events.map((event) => event.type)).toEqual(['corrupt-entry']);
  expect(events[0]?.message).toContain(name);
  await core.write('k', 42, { time: 1 });
  expect((await core.get('k'))?.value).toBe(42);
});

it('a writer whose lease ran out and was taken over does not overwrite, and says so', async () => {
  const events: CoreEvent[] = [];
  const core = redisCore(uniqueName('late-writer'), server.url, {}, events);
  const other = redisCore(core.name, server.url);
  expect((await core.acquire('k', claim('late', Date.now(), 50))).acquired).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 80));
  expect((await other.acquire('k', claim('new', Date.now()))).acquired).toBe(true);
  await other.write('k', 'new value', { time: 2, owner: 'new' });
  expect(await core.renew('k', claim('late', Date.now()))).toBe(false);
  expect(events).toEqual([]);
  expect(await core.write('k', 'late value', { time: 1, owner: 'late' })).toBe('fenced');
  expect((await other.get('k'))?.value).toBe('new value');
  expect(events.map((event) => event.type)).toEqual(['lease-lost']);
});

it('a dead mark stays (its owner may still store) and then expires on the server', async () => {
  const core = redisCore(uniqueName('dead-mark'), server.url);
  await core.acquire('k', claim('A', Date.now(), 30));
  await new Promise((resolve) => setTimeout(resolve, 60));
  const mark = (await core.get('k'))?.processing;
  expect(mark?.owner).toBe('A');
  expect(mark!.leaseUntil).toBeLessThan(Date.now()); // dead, in the caller's clock
  // Kept for max(60 s, 5 x lease) after the lease, then gone without anyone cleaning up.
  const ttl = await raw.pTTL(`{memoir:${core.name}:k}:lease`);
  expect(ttl).toBeGreaterThan(50_000);
  expect(ttl).toBeLessThanOrEqual(60_030);
  // Nobody took it over: the owner may renew it and store its result.
  expect(await core.renew('k', claim('A', Date.now()))).toBe(true);
  expect(await core.write('k', 'slow but valid', { time: 1, owner: 'A' })).toBe(true);
  expect(await core.get('k')).toMatchObject({ value: 'slow but valid', completed: true });
});

it('a lost lease is never re-acquired by a renewal', async () => {
  const core = redisCore(uniqueName('no-reacquire'), server.url);
  await core.acquire('k', claim('A', Date.now()));
  await core.clearBeingCalculated();
  expect(await core.renew('k', claim('A', Date.now()))).toBe(false);
  expect(await core.get('k')).toBeUndefined();
});

it('reports marks in the caller’s clock, whatever its skew to the server', async () => {
  const core = redisCore(uniqueName('skew'), server.url);
  const skewed = Date.now() + 3_600_000; // this caller's clock is an hour ahead
  const outcome = await core.acquire('k', claim('A', skewed, 5_000));
  expect(outcome.entry.processing).toMatchObject({ since: skewed, leaseUntil: skewed + 5_000 });
  const mark = (await core.get('k'))?.processing;
  expect(mark?.leaseUntil).toBe(skewed + 5_000);
  // On the server the lease runs 5 s of the server's own time, not until the caller's clock says so.
  const stored = await raw.get(`{memoir:${core.name}:k}:lease`);
  const leaseUntil = Number(stored?.split(':')[1]);
  const [seconds, micros] = (await raw.time()).map(Number);
  const serverNow = seconds! * 1000 + Math.floor(micros! / 1000);
  expect(leaseUntil - serverNow).toBeGreaterThan(4_000);
  expect(leaseUntil - serverNow).toBeLessThanOrEqual(5_000);
});

it('wakes a waiter as soon as the key is written (pub/sub), without waiting out maxMs', async () => {
  const core = redisCore(uniqueName('wake'), server.url);
  const writer = redisCore(core.name, server.url);
  await core.waitForChange!('k', 10); // subscribes; returns after 10 ms
  const started = Date.now();
  const woken = core.waitForChange!('k', 5_000);
  setTimeout(() => void writer.write('k', 1, { time: 1 }), 20);
  await woken;
  expect(Date.now() - started).toBeLessThan(1_000);
});

it('clear removes only this function’s keys, in SCAN batches (a foreign key survives)', async () => {
  const core = redisCore(uniqueName('clear'), server.url);
  for (let i = 0; i < 2_500; i++) await core.write(`k${i}`, i, { time: 1 });
  await raw.set('foreign', 'stays');
  await raw.set(`${core.name}:lookalike`, 'stays');
  await core.clear();
  expect(await core.keys()).toEqual([]);
  expect(await raw.get('foreign')).toBe('stays');
  expect(await raw.get(`${core.name}:lookalike`)).toBe('stays');
});

it('clears 200k entries in SCAN pages and per-batch UNLINKs: only this function’s keys go', async () => {
  const core = redisCore(uniqueName('clear-200k'), server.url);
  const record = encodeValue(1, Buffer.from(v8.serialize('v')), false);
  for (let batch = 0; batch < 200; batch++) {
    const pairs: Array<[string, Buffer]> = [];
    for (let i = 0; i < 1_000; i++)
      pairs.push([`{memoir:${core.name}:${batch}-${i}}:value`, record]);
    await raw.mSet(pairs);
  }
  await raw.set('foreign', 'stays');
  await raw.set(`{memoir:${core.name}x:k}:value`, record); // a namespace that shares a prefix
  await raw.configResetStat();
  await core.clear();
  const stats = await raw.info('commandstats');
  const calls = (command: string) =>
    Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  // Paged: ~200 SCANs of ~1,000 keys, one UNLINK per page; never KEYS or FLUSHDB.
  expect(calls('scan')).toBeGreaterThan(150);
  expect(calls('unlink')).toBeGreaterThan(150);
  expect(calls('keys') + calls('flushdb') + calls('flushall')).toBe(0);
  expect(await core.keys()).toEqual([]);
  expect(await raw.get('foreign')).toBe('stays');
  expect(await raw.exists(`{memoir:${core.name}x:k}:value`)).toBe(1);
}, 60_000);

it('never closes, nor defines commands on, a client it was given', async () => {
  const io = new Redis({ port: PORT, host: '127.0.0.1' });
  const node = createClient({ url: server.url });
  node.on('error', () => undefined);
  try {
    await node.connect();
    await io.ping();
    const ownMembers = (client: object) => Object.keys(client).sort();
    const before = [ownMembers(io), ownMembers(node)];
    for (const client of [io, node]) {
      const core = redisCore(uniqueName('user-client'), client);
      await core.acquire('k', claim('A', Date.now()));
      await core.write('k', 1, { time: 1, owner: 'A' });
      await core.waitForChange!('k', 10);
      await core.close?.();
    }
    await closeConnections();
    expect([ownMembers(io), ownMembers(node)]).toEqual(before);
    expect(Object.keys((io as unknown as { scriptsSet: object }).scriptsSet)).toEqual([]);
    expect(await io.ping()).toBe('PONG');
    expect(await node.ping()).toBe('PONG');
  } finally {
    io.disconnect();
    node.destroy();
  }
});

it('honours an ioredis keyPrefix in every operation, SCAN patterns included', async () => {
  const prefixed = new Redis({ port: PORT, host: '127.0.0.1', keyPrefix: 'app1:' });
  onTeardown.push(() => prefixed.disconnect());
  const name = uniqueName('prefix');
  const core = redisCore(name, prefixed);
  await core.write('k', 1, { time: 1 });
  await core.acquire('pending', claim('A', Date.now()));
  expect((await raw.keys(`app1:{memoir:${name}:*`)).sort()).toEqual([
    `app1:{memoir:${name}:k}:value`,
    `app1:{memoir:${name}:pending}:lease`,
  ]);
  expect((await core.keys()).sort()).toEqual(['k', 'pending']);
  await raw.set(`{memoir:${name}:unprefixed}:value`, 'another app’s');
  await core.clearBeingCalculated();
  expect(await core.keys()).toEqual(['k']);
  await core.clear();
  expect(await core.keys()).toEqual([]);
  expect(await raw.get(`{memoir:${name}:unprefixed}:value`)).toBe('another app’s');
});

it('refuses a redis option it cannot use, naming the option', () => {
  const error = (() => {
    try {
      redisCore('x', 'http://127.0.0.1:6379');
    } catch (caught) {
      return caught as MemoirError;
    }
  })();
  expect(error).toBeInstanceOf(MemoirError);
  expect(error?.code).toBe('INVALID_OPTION');
  expect(error?.message).toMatch(/"redis"/);
  expect(() => redisCore('x', { not: 'a client' })).toThrow(/Invalid option "redis"/);
});
