/**
 * A child process that holds one persistent manager cache and does what its parent says, one
 * JSON command per stdin line, answering each with one JSON line on stdout. Lets a test
 * interleave real processes step by step (A loads, B invalidates, A changes a key, ...).
 *
 * Usage: manager-driver.ts <cacheDir> [cacheName]
 * Commands: { op: 'set', key, value } · { op: 'set-fn', key } · { op: 'delete', key } ·
 *   { op: 'clear' } · { op: 'invalidate' } · { op: 'save' } · { op: 'dump' } ·
 *   { op: 'fill', prefix, count } · { op: 'own-handler', signal } · { op: 'poison', key } ·
 *   { op: 'exit', how: 'natural' | 'process-exit' | 'throw' }
 * It never saves unless told to: what reaches the disk otherwise is the exit or signal flush.
 * While it waits for commands, stdin keeps it alive; the 'natural' exit lets go of stdin.
 */
import * as readline from 'node:readline';
import { getCacheManager } from '../../lib';

const [cacheDir, cacheName = 'shared'] = process.argv.slice(2);
const manager = getCacheManager('driver');
manager.cacheDirectory = cacheDir;
// No schedule: only the exit/signal flush or an explicit save writes.
manager.autoSync = false;
const cache = manager.registerCache<string, unknown>(cacheName);

const reply = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const dump = () => Object.fromEntries([...cache].sort(([a], [b]) => (a < b ? -1 : 1)));

type Command = { op: string; key?: string; value?: unknown; prefix?: string; count?: number; how?: string; signal?: NodeJS.Signals };

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const command = JSON.parse(line) as Command;
  try {
    switch (command.op) {
      case 'set':
        cache.set(command.key!, command.value);
        return reply({ ok: true });
      case 'set-fn':
        cache.set(command.key!, () => 1);
        return reply({ ok: true });
      case 'poison': {
        // A value that was fine at set and becomes unserializable afterwards.
        const holder: Record<string, unknown> = { fine: true };
        cache.set(command.key!, holder);
        holder.later = () => 1;
        return reply({ ok: true });
      }
      case 'fill':
        for (let i = 0; i < command.count!; i++) cache.set(`${command.prefix}${i}`, i);
        return reply({ ok: true });
      case 'delete':
        return reply({ ok: cache.delete(command.key!) });
      case 'clear':
        cache.clear();
        return reply({ ok: true });
      case 'invalidate':
        await cache.invalidate();
        return reply({ ok: true });
      case 'save':
        await cache.save();
        return reply({ ok: true });
      case 'dump':
        return reply(dump());
      case 'own-handler':
        process.on(command.signal!, () => reply({ handled: command.signal }));
        return reply({ ok: true });
      case 'exit':
        reply({ ok: true });
        if (command.how === 'process-exit') process.exit(0);
        if (command.how === 'throw') setImmediate(() => { throw new Error('uncaught on purpose'); });
        lines.close();
        process.stdin.destroy();
        return;
      default:
        return reply({ error: `unknown op ${command.op}` });
    }
  } catch (error) {
    reply({ error: (error as { code?: string }).code ?? String(error) });
  }
});
reply({ ready: true, loaded: dump() });
