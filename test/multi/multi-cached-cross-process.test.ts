import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KvWorker, startKvWorkers } from '../support/kv-workers';
import { spawnStandin } from '../support/mongo-standin';
import { clearNamespaces, REDIS_URL } from '../support/redis-fixtures';

/**
 * multiCached across real processes: ids another process is loading are waited for, not loaded
 * twice, while the ids nobody is loading go to this process's function in one call.
 */
jest.setTimeout(60_000);

const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-multi-cross-'));
let workers: KvWorker[] = [];
let standin: { uri: string; stop(): Promise<void> };

beforeAll(async () => {
  [workers, standin] = await Promise.all([startKvWorkers(2), spawnStandin()]);
});

/** Cache names used, for removing their Redis keys at the end. */
const names: string[] = [];

afterAll(async () => {
  await clearNamespaces(names, REDIS_URL);
  await Promise.all(workers.map((worker) => worker.kill('SIGTERM')));
  await standin?.stop();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe.each([
  ['file', () => ({ backend: 'file', cacheDir })],
  ['mongo (stand-in)', () => ({ backend: 'mongo', mongetter: { uri: standin.uri, db: 'memoir_multi_cross', collection: 'entries' } })],
  ['redis', () => ({ backend: 'redis', redis: REDIS_URL })],
])('%s', (_label, backend) => {
  it('an id loading in another process is waited for; only the others are loaded here, in one call', async () => {
    const [first, second] = workers;
    const options = { ...backend(), name: `users-${Date.now().toString(36)}` };
    names.push(options.name);
    await Promise.all(workers.map((worker) => worker.request('openMulti', { options })));
    const slow = first.request<Array<[string, string]>>('multiCall', { ids: ['a', 'b'], ms: 600 });
    await until(() => first.started.includes('a,b'));
    const answer = await second.request<Array<[string, string]>>('multiCall', { ids: ['b', 'c'], ms: 0 });
    const pidOf = (worker: KvWorker) => worker.child.pid;
    expect(new Map(answer)).toEqual(new Map([['b', `b@${pidOf(first)}`], ['c', `c@${pidOf(second)}`]]));
    expect(second.started).toEqual(['c']);
    expect(new Map(await slow)).toEqual(new Map([['a', `a@${pidOf(first)}`], ['b', `b@${pidOf(first)}`]]));
    first.started.length = 0;
    second.started.length = 0;
  });

  it('an id whose loader was SIGKILLed is taken over once its lease runs out', async () => {
    const victim = KvWorker.start();
    await victim.ready;
    const [, survivor] = workers;
    const options = { ...backend(), name: `crash-${Date.now().toString(36)}`, lease: '1s' };
    names.push(options.name);
    await Promise.all([victim, survivor].map((worker) => worker.request('openMulti', { options })));
    void victim.request('multiCall', { ids: ['x', 'y'], ms: 60_000 }).catch(() => undefined);
    await until(() => victim.started.includes('x,y'));
    const waiting = survivor.request<Array<[string, string]>>('multiCall', { ids: ['x', 'z'], ms: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await victim.kill('SIGKILL');
    expect(new Map(await waiting)).toEqual(new Map([['x', `x@${survivor.child.pid}`], ['z', `z@${survivor.child.pid}`]]));
    expect(survivor.started).toEqual(['z', 'x']);
    survivor.started.length = 0;
  });
});
