import { fork } from 'node:child_process';
import * as path from 'node:path';
import Redis from 'ioredis';
import { createRedisCore } from '../backends/redis';
import { cached } from '../lib';
import { answersPing, RedisServer } from '../test/support/redis-server';
import { CommandCounter } from './redis/monitor';
import {
  nodeRedisClient,
  openSubject,
  type RedisSubject,
  SUBJECT_NAMES,
  type SubjectName,
} from './redis/subjects';
import { FULL_TIMING, QUICK_TIMING, timeAlternating } from './measure';
import { formatNs, heading, table, type Verdict } from './report';

/**
 * memoir's Redis backend beside the libraries that cache in Redis, all on one redis-server of
 * the benchmark's own (a loopback port in 6450-6499, nothing persisted), memoizing the same
 * function returning the same small object:
 *
 *   hit      median per call, sequential awaits, interleaved batches; the floor is a raw GET
 *            of the very bytes memoir stored, through the very client memoir used
 *   miss     median per call of a key nobody computed, and the commands each library sent
 *            for it, counted by the server (MONITOR; commands run inside scripts excluded)
 *   stampede 8 processes x 1,000 concurrent calls of one key, 100 ms body: how many times
 *            each library ran the function
 *
 * Run alone with `npx tsx bench/redis.ts` (BENCH_QUICK=1 for a short pass); `npm run bench`
 * calls `runRedisBenchmark` and adds `redisVerdicts` to its summary.
 */
const VALUE = { id: 42, name: 'small value', tags: ['a', 'b'] };
const PROCESSES = 8;
const CALLERS = 1_000;

export interface RedisBenchResult {
  hits: Array<{ library: string; medianUs: number; ratioToFloor?: number }>;
  misses: Array<{ library: string; medianUs: number; commandsPerMiss: number }>;
  stampede: Array<{
    library: string;
    processes: number;
    callers: number;
    bodyRuns: number;
    fulfilled: number;
  }>;
}

async function freePort(): Promise<number> {
  for (let port = 6450; port < 6500; port++) if (!(await answersPing(port))) return port;
  throw new Error('no free port in 6450-6499 for the benchmark redis-server');
}

const us = (ns: number) => ns / 1e3;

async function benchHits(url: string, subjects: RedisSubject[], quick: boolean) {
  const client = await nodeRedisClient(url);
  const io = new Redis(url);
  const body = async (_id: number) => VALUE;
  // memoir through the user's client: the floor is a GET of its value key through that client.
  const viaClient = cached(body, { name: 'hit-client', backend: 'redis', redis: client });
  await viaClient(1);
  const core = createRedisCore({
    name: 'hit-client',
    options: { redis: client },
    report: () => undefined,
  });
  const valueKey = `{memoir:hit-client:${viaClient.keyFor(1)}}:value`;
  const bytes = client.withTypeMapping({ 36: Buffer } as never);
  const rows: Array<{ library: string; call: () => Promise<unknown> }> = [
    { library: '(floor) GET, same bytes, same node-redis client', call: () => bytes.get(valueKey) },
    { library: 'memoir cached() hit, user client', call: () => viaClient(1) },
    {
      library: 'memoir core.get (no engine), user client',
      call: () => core.get(viaClient.keyFor(1)),
    },
    { library: '(floor) GET, same bytes, ioredis', call: () => io.getBuffer(valueKey) },
  ];
  for (const subject of subjects) {
    const fn = subject.wrap(body, `hit-${subject.name}`);
    await fn(1);
    rows.push({ library: `${subject.name} hit`, call: () => fn(1) });
  }
  // A hit is a round trip of tens of microseconds: subjects take turns call by call.
  const medians = (
    await timeAlternating(
      rows.map((row) => row.call),
      quick ? QUICK_TIMING : FULL_TIMING,
    )
  ).map((timing) => timing.medianNs);
  const floor = medians[0]!;
  client.destroy();
  io.disconnect();
  return rows.map((row, i) => ({
    library: row.library,
    medianUs: us(medians[i]!),
    ratioToFloor: medians[i]! / floor,
  }));
}

async function benchMisses(port: number, subjects: RedisSubject[], quick: boolean) {
  const counter = await CommandCounter.open(port);
  const calls = quick ? 30 : 300;
  const rows: RedisBenchResult['misses'] = [];
  try {
    for (const subject of subjects) {
      const fn = subject.wrap(async () => VALUE, `miss-${subject.name}`);
      await fn(-1); // connects, loads scripts: not part of a miss
      await counter.reset();
      const samples: number[] = [];
      for (let i = 0; i < calls; i++) {
        const started = process.hrtime.bigint();
        await fn(i);
        samples.push(Number(process.hrtime.bigint() - started));
      }
      await counter.settle();
      samples.sort((a, b) => a - b);
      rows.push({
        library: subject.name,
        medianUs: us(samples[Math.floor(samples.length / 2)]!),
        commandsPerMiss: counter.count / calls,
      });
    }
  } finally {
    counter.close();
  }
  return rows;
}

/**
 * PROCESSES children (started once, reused for every library), each making `callers`
 * concurrent calls of one key at the same moment.
 */
async function benchStampede(url: string, quick: boolean) {
  const rows: RedisBenchResult['stampede'] = [];
  const callers = quick ? 200 : CALLERS;
  const children = Array.from({ length: PROCESSES }, () =>
    fork(path.join(__dirname, 'redis/stampede-child.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, STAMPEDE_URL: url, STAMPEDE_CALLERS: String(callers) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const next = (child: (typeof children)[number], type: string) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        resolve(m as never);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`stampede child exited (${code})`)));
    });
  try {
    await Promise.all(children.map((child) => next(child, 'ready')));
    for (const library of SUBJECT_NAMES) {
      // Connected first, so that every process starts its calls at the same moment.
      const opened = children.map((child) => next(child, 'opened'));
      for (const child of children) child.send({ type: 'open', library });
      await Promise.all(opened);
      const done = children.map((child) => next(child, 'done'));
      const namespace = `stampede-${library}-${Date.now()}`;
      for (const child of children) child.send({ type: 'go', library, namespace });
      const reports = await Promise.all(done);
      rows.push({
        library,
        processes: PROCESSES,
        callers,
        bodyRuns: reports.reduce((sum, report) => sum + report.runs!, 0),
        fulfilled: reports.reduce((sum, report) => sum + report.fulfilled!, 0),
      });
    }
  } finally {
    for (const child of children) if (child.connected) child.disconnect();
  }
  return rows;
}

export async function runRedisBenchmark(
  options: { quick?: boolean } = {},
): Promise<RedisBenchResult> {
  const quick = options.quick ?? process.env.BENCH_QUICK === '1';
  const server = await RedisServer.start(await freePort());
  const subjects: RedisSubject[] = [];
  try {
    for (const name of SUBJECT_NAMES)
      subjects.push(await openSubject(name as SubjectName, server.url));
    console.log(
      table(
        ['library', 'setup'],
        subjects.map((subject) => [subject.name, subject.setup]),
      ),
    );
    const hits = await benchHits(server.url, subjects, quick);
    console.log(heading('Redis hit: median per call (one call at a time, subjects alternating)'));
    console.log(
      table(
        ['library', 'median', 'x floor'],
        hits.map((row) => [
          row.library,
          formatNs(row.medianUs * 1e3),
          `x${row.ratioToFloor!.toFixed(2)}`,
        ]),
        ['left', 'right', 'right'],
      ),
    );
    const misses = await benchMisses(server.port, subjects, quick);
    console.log(heading('Redis miss: median per call, commands sent per miss (server count)'));
    console.log(
      table(
        ['library', 'median', 'commands'],
        misses.map((row) => [
          row.library,
          formatNs(row.medianUs * 1e3),
          row.commandsPerMiss.toFixed(2),
        ]),
        ['left', 'right', 'right'],
      ),
    );
    const stampede = await benchStampede(server.url, quick);
    console.log(
      heading(
        `${PROCESSES} processes x ${stampede[0]?.callers ?? CALLERS} concurrent calls of one key`,
      ),
    );
    console.log(
      table(
        ['library', 'body runs', 'fulfilled'],
        stampede.map((row) => [
          row.library,
          String(row.bodyRuns),
          `${row.fulfilled}/${row.processes * row.callers}`,
        ]),
        ['left', 'right', 'right'],
      ),
    );
    return { hits, misses, stampede };
  } finally {
    await Promise.all(subjects.map((subject) => subject.close().catch(() => undefined)));
    await server.stop();
  }
}

/** The targets: hit <= 1.3x the raw GET floor, miss <= 3 round trips, one computation. */
export function redisVerdicts(result: RedisBenchResult): Verdict[] {
  const hit = result.hits.find((row) => row.library.startsWith('memoir cached()'));
  const miss = result.misses.find((row) => row.library === 'memoir');
  const stampede = result.stampede.find((row) => row.library === 'memoir');
  return [
    {
      target: 'redis: hit <= 1.3x a raw GET of the same bytes (median)',
      measured: hit
        ? `x${hit.ratioToFloor!.toFixed(2)} (${formatNs(hit.medianUs * 1e3)})`
        : 'not run',
      pass: hit ? hit.ratioToFloor! <= 1.3 : undefined,
    },
    {
      target: 'redis: miss <= 3 round trips',
      measured: miss ? `${miss.commandsPerMiss.toFixed(2)} commands` : 'not run',
      pass: miss ? miss.commandsPerMiss <= 3 : undefined,
    },
    {
      target: `redis: ${PROCESSES} processes x concurrent calls of one key run the body once`,
      measured: stampede ? `${stampede.bodyRuns} run(s)` : 'not run',
      pass: stampede
        ? stampede.bodyRuns === 1 && stampede.fulfilled === stampede.processes * stampede.callers
        : undefined,
    },
  ];
}

/** The section prints its own tables; the harness then renders nothing more. */
export function formatRows(): string {
  return '';
}

if (require.main === module) {
  void runRedisBenchmark().then(
    (result) => {
      for (const verdict of redisVerdicts(result)) {
        console.log(`${verdict.pass ? 'PASS' : 'FAIL'}  ${verdict.target}: ${verdict.measured}`);
      }
      process.exit(0);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
