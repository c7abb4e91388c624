/**
 * `npm run bench`: memoir's memory-core hit path beside its peers in one process, the
 * 1,000-caller stampede, then the sections other benchmarks contribute (keys, file, mongo, redis, sql,
 * manager) and a summary against the targets of issue 2.
 *
 *   --quick (or BENCH_QUICK=1)  small iteration counts, for CI; figures are indicative only
 *   --json=<file>               also write the results as JSON (the smoke test reads it)
 *   --only=<parts>              comma list of parts to run: hits, stampede, and the section
 *                               names keys, file, mongo, redis, sql, caches, structures, manager,
 *                               manager-persistence (default: everything)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  FULL_TIMING,
  QUICK_TIMING,
  type Subject,
  stampede,
  type TimingConfig,
  timeInterleaved,
} from './measure';
import { cachesVerdicts } from './caches';
import { fileVerdicts } from './file';
import { type RedisBenchResult, redisVerdicts } from './redis';
import { sqlVerdicts } from './sql';
import { structuresVerdicts } from './structures';
import { type Peer, PEERS } from './peers';
import { CASES, DISTINCT, prepare } from './peers/cases';
import { A, B, EXPECTED_PRIMITIVES, makeSlowBody } from './peers/workload';
import {
  type CaseId,
  formatNs,
  type HitRow,
  heading,
  hitTable,
  renderResult,
  type StampedeRow,
  stampedeTable,
  summaryTable,
  table,
  type Verdict,
} from './report';

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
// Sections read the flag from the environment too.
if (quick) process.env.BENCH_QUICK = '1';
const jsonPath = process.argv.find((arg) => arg.startsWith('--json='))?.slice('--json='.length);
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const wanted = (part: string) => !only || only.includes(part);
const timing: TimingConfig = quick ? QUICK_TIMING : FULL_TIMING;
const STAMPEDE_CALLERS = 1000;
const STAMPEDE_BODY_MS = 20;
/** Longest wait for one stampede; see `stampede` for which library needs it. */
const STAMPEDE_CAP_MS = quick ? 1000 : 5000;

async function runHitCases(peers: Peer[]): Promise<{ rows: HitRow[]; baselineNs: number }> {
  const key = `${A}:${B}`;
  const map = new Map([[key, EXPECTED_PRIMITIVES]]);
  const distinctKeys = Array.from({ length: DISTINCT }, (_, i) => `${i}:${B}`);
  const distinctMap = new Map(distinctKeys.map((k, i) => [k, i * 31 + B.length]));
  const rows: HitRow[] = [];
  let baselineNs = Number.NaN;
  for (const c of CASES) {
    console.log(heading(c.title));
    const caseRows: HitRow[] = [{ case: c.id, library: '(baseline) Map.get' }];
    const get = c.distinct ? (i: number) => distinctMap.get(distinctKeys[i % DISTINCT]) : () => map.get(key);
    const subjects: Subject[] = [{ sync: true, call: get }];
    if (!c.sync) {
      // What any async API pays before doing anything: one await of a ready value.
      caseRows.push({ case: c.id, library: '(floor) await async Map.get' });
      subjects.push({ sync: false, call: async (i) => get(i) });
    }
    for (const peer of peers) {
      const prepared = await prepare(peer, c);
      caseRows.push({ case: c.id, library: peer.name, note: prepared.note });
      if (!prepared.call) continue;
      subjects.push(
        c.sync
          ? { sync: true, call: prepared.call }
          : { sync: false, call: prepared.call as (i: number) => Promise<unknown> },
      );
    }
    const timings = await timeInterleaved(subjects, timing);
    // Rows without a note are the measured ones, in the order their subjects were pushed.
    let next = 0;
    for (const row of caseRows) if (!row.note) row.timing = timings[next++];
    const baseline = caseRows[0].timing!.medianNs;
    if (Number.isNaN(baselineNs)) baselineNs = baseline;
    for (const row of caseRows) if (row.timing) row.ratio = row.timing.medianNs / baseline;
    console.log(hitTable(caseRows));
    rows.push(...caseRows);
  }
  return { rows, baselineNs };
}

async function runStampedes(peers: Peer[]): Promise<StampedeRow[]> {
  console.log(
    heading(
      `${STAMPEDE_CALLERS.toLocaleString('en')} concurrent calls of one key, ${STAMPEDE_BODY_MS} ms async body`,
    ),
  );
  const rows: StampedeRow[] = [];
  for (const peer of peers) {
    const ok = makeSlowBody(STAMPEDE_BODY_MS, false);
    const okFn = peer.async(ok.fn, 'primitives', 1);
    const resolve = await stampede(
      () => okFn(A, B),
      () => ok.runs,
      STAMPEDE_CALLERS,
      STAMPEDE_CAP_MS,
    );
    const bad = makeSlowBody(STAMPEDE_BODY_MS, true);
    const badFn = peer.async(bad.fn, 'primitives', 1);
    const reject = await stampede(
      () => badFn(A, B),
      () => bad.runs,
      STAMPEDE_CALLERS,
      STAMPEDE_CAP_MS,
    );
    rows.push({ library: peer.name, resolve, reject });
  }
  console.log(stampedeTable(rows, STAMPEDE_CAP_MS));
  return rows;
}

interface SectionSpec {
  file: string;
  title: string;
  /** Known entry points, in order of preference; else any exported function named bench… or run…. */
  entries: string[];
  /** Options for the entry point; quick ones always carry `quick: true` for sections that read it. */
  options(quick: boolean): unknown;
}

const SECTIONS: SectionSpec[] = [
  {
    file: 'keys.ts',
    title: 'Key function (bench/keys.ts)',
    entries: ['benchKeys', 'runKeysBenchmark'],
    options: (q) => (q ? { quick, batches: 3, batchMs: 2 } : {}),
  },
  {
    file: 'file.ts',
    title: 'File core (bench/file.ts)',
    entries: ['runFileBenchmark', 'benchFile'],
    options: (q) => (q ? { quick, arrays: false } : {}),
  },
  {
    file: 'mongo.ts',
    title: 'Mongo core against the wire-protocol stand-in (bench/mongo.ts)',
    entries: ['benchMongo', 'runMongoBenchmark'],
    options: (q) => (q ? { quick, operations: 50 } : {}),
  },
  {
    file: 'redis.ts',
    title: 'Redis backend beside the libraries that cache in Redis (bench/redis.ts)',
    entries: ['runRedisBenchmark'],
    options: (q) => ({ quick: q }),
  },
  {
    file: 'sql.ts',
    title: 'SQL core on PostgreSQL, MariaDB and SQLite, beside the same SELECT (bench/sql.ts)',
    entries: ['runSqlBenchmark'],
    options: (q) => (q ? { quick } : {}),
  },
  {
    file: 'caches.ts',
    title: 'Key-value caches beside keyv, cache-manager and unstorage (bench/caches.ts)',
    entries: ['runCachesBenchmark'],
    options: (q) => ({ quick: q }),
  },
  {
    file: 'structures.ts',
    title: 'Data-structure caches on Redis beside the raw commands (bench/structures.ts)',
    entries: ['runStructuresBenchmark'],
    options: (q) => ({ quick: q }),
  },
  {
    file: 'manager.ts',
    title: 'Manager: dependent-cache chain invalidation (bench/manager.ts)',
    entries: ['benchManagerInvalidation', 'runManagerBenchmark'],
    options: (q) => (q ? { quick, runs: 3 } : {}),
  },
  {
    file: 'manager-persistence.ts',
    title: 'Manager: persistent caches, set check and merged saves (bench/manager-persistence.ts)',
    entries: ['benchManagerPersistence'],
    options: (q) => (q ? { quick } : {}),
  },
];

interface SectionOutcome {
  title: string;
  ms: number;
  error?: string;
  result?: unknown;
}

/** Runs each section whose file exists; one that throws is reported and fails the run. */
async function runSections(): Promise<SectionOutcome[]> {
  const outcomes: SectionOutcome[] = [];
  for (const spec of SECTIONS) {
    const file = path.join(__dirname, spec.file);
    if (!wanted(path.basename(spec.file, '.ts')) || !fs.existsSync(file)) continue;
    console.log(heading(spec.title));
    const started = performance.now();
    try {
      const mod = (await import(file)) as Record<string, unknown>;
      const name =
        spec.entries.find((entry) => typeof mod[entry] === 'function') ??
        Object.keys(mod).find((key) => /^(bench|run)/i.test(key) && typeof mod[key] === 'function');
      if (!name) throw new Error(`no bench*/run* function exported by ${spec.file}`);
      const result = await (mod[name] as (options: unknown) => Promise<unknown>)(
        spec.options(quick),
      );
      // A section that printed its own output returns nothing.
      if (result !== undefined) {
        const format = mod.formatRows;
        console.log(typeof format === 'function' ? format(result) : renderResult(result));
      }
      const ms = performance.now() - started;
      console.log(`(${(ms / 1000).toFixed(1)} s)`);
      outcomes.push({ title: spec.title, ms, result });
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.log(`section failed: ${message}`);
      outcomes.push({ title: spec.title, ms: performance.now() - started, error: message });
      process.exitCode = 1;
    }
  }
  return outcomes;
}

/** memoir's hit-path and stampede figures against the targets of issue 2. */
function summarize(hits: HitRow[], stampedes: StampedeRow[]): Verdict[] {
  const memoirNs = (id: CaseId) =>
    hits.find((row) => row.case === id && row.library === 'memoir')?.timing?.medianNs ?? Number.NaN;
  const hitVerdict = (target: string, id: CaseId, limitNs: number): Verdict => {
    const ns = memoirNs(id);
    if (Number.isNaN(ns)) return { target, measured: 'not run' };
    return { target, measured: formatNs(ns), pass: ns <= limitNs };
  };
  const peerNs = (id: CaseId, library: string) =>
    hits.find((row) => row.case === id && row.library === library)?.timing?.medianNs ?? Number.NaN;
  /** Issue 18: at most `limitNs`, and faster than each of `peers` in this very run. */
  const aheadVerdict = (id: CaseId, label: string, limitNs: number, peers: string[], peerCase: CaseId = id): Verdict => {
    const target = `${label} <= ${formatNs(limitNs)}, faster than ${peers.join(' and ')}`;
    const ns = memoirNs(id);
    if (Number.isNaN(ns)) return { target, measured: 'not run' };
    const beside = peers.map((peer) => `${peer} ${formatNs(peerNs(peerCase, peer))}`).join(', ');
    // A peer that did not run (failed to load) is no pass.
    const ahead = peers.every((peer) => ns < peerNs(peerCase, peer));
    return { target, measured: `${formatNs(ns)} (${beside})`, pass: ns <= limitNs && ahead };
  };
  const memoir = stampedes.find((row) => row.library === 'memoir');
  return [
    hitVerdict('sync hit, two primitives <= 250 ns', 'sync-primitives', 250),
    hitVerdict('async hit, two primitives <= 300 ns', 'async-primitives', 300),
    hitVerdict('async hit, one small nested object <= 2 µs', 'async-object', 2000),
    hitVerdict('sync hit, one small nested object <= 2 µs', 'sync-object', 2000),
    aheadVerdict('sync-primitives', 'sync hit, two primitives', 50, ['moize']),
    aheadVerdict('async-primitives', 'async hit, two primitives', 110, ['moize', 'lru-cache']),
    aheadVerdict('async-object', 'async hit, one nested object', 800, ['lru-cache']),
    // lru-cache has no sync API: its async hit (JSON keys) is the one to beat here too.
    aheadVerdict('sync-object', 'sync hit, one nested object (vs the async hit of peers without sync)', 800, ['lru-cache'], 'async-object'),
    {
      target: `${STAMPEDE_CALLERS} concurrent calls: body runs once, all get the value`,
      measured: memoir
        ? `${memoir.resolve.bodyRuns} run(s), ${memoir.resolve.fulfilled} fulfilled`
        : 'not run',
      pass:
        memoir && memoir.resolve.bodyRuns === 1 && memoir.resolve.fulfilled === STAMPEDE_CALLERS,
    },
    {
      target: `${STAMPEDE_CALLERS} concurrent calls, rejecting: body runs once, all rejected`,
      measured: memoir
        ? `${memoir.reject.bodyRuns} run(s), ${memoir.reject.rejected} rejected`
        : 'not run',
      pass: memoir && memoir.reject.bodyRuns === 1 && memoir.reject.rejected === STAMPEDE_CALLERS,
    },
  ];
}

async function loadPeers(): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (const { name, load } of PEERS) {
    try {
      peers.push(await load());
    } catch (error) {
      console.log(`! ${name} could not be loaded and is left out: ${(error as Error).message}`);
      if (name === 'memoir') process.exitCode = 1;
    }
  }
  return peers;
}

async function main(): Promise<void> {
  const started = performance.now();
  const cpus = os.cpus();
  const mode = quick
    ? 'QUICK mode (figures indicative only)'
    : `${timing.batches} interleaved batches of ~${timing.batchMs} ms after ${timing.warmupMs} ms warm-up`;
  console.log(
    `memoir benchmark · node ${process.version} · ${cpus[0]?.model ?? 'unknown cpu'} x${cpus.length} · ${mode}`,
  );
  const load = os.loadavg()[0];
  // Other processes competing for the cores inflate every figure; say so beside them.
  if (load > cpus.length * 0.75) {
    console.log(
      `! load average ${load.toFixed(1)} on ${cpus.length} cores: timings are inflated by other work`,
    );
  }
  const peers = await loadPeers();
  console.log(heading('How each library is used'));
  console.log(
    table(
      ['library', 'setup'],
      peers.map((peer) => [peer.name, peer.setup]),
    ),
  );

  const { rows: hits, baselineNs } = wanted('hits')
    ? await runHitCases(peers)
    : { rows: [], baselineNs: Number.NaN };
  const stampedes = wanted('stampede') ? await runStampedes(peers) : [];
  await Promise.all(peers.map((peer) => peer.close?.()));
  const sections = await runSections();

  const fileRows = sections.find((section) => section.title.startsWith('File core'))?.result;
  const cacheRows = sections.find((section) => section.title.startsWith('Key-value caches'))?.result;
  const redisResult = sections.find((section) => section.title.startsWith('Redis backend'))?.result as
    | RedisBenchResult
    | undefined;
  const sqlRows = sections.find((section) => section.title.startsWith('SQL core'))?.result;
  const structureRows = sections.find((section) => section.title.startsWith('Data-structure caches'))?.result;
  const verdicts = [
    ...summarize(hits, stampedes),
    ...(Array.isArray(fileRows) ? fileVerdicts(fileRows) : []),
    ...(redisResult ? redisVerdicts(redisResult) : []),
    ...(Array.isArray(sqlRows) ? sqlVerdicts(sqlRows) : []),
    ...(Array.isArray(cacheRows) ? cachesVerdicts(cacheRows) : []),
    ...(Array.isArray(structureRows) ? structuresVerdicts(structureRows) : []),
  ];
  console.log(summaryTable(verdicts, quick));
  const elapsed = (performance.now() - started) / 1000;
  console.log(`\nbaseline Map.get ${formatNs(baselineNs)} · total ${elapsed.toFixed(1)} s`);

  if (jsonPath) {
    const json = {
      quick,
      node: process.version,
      loadAverage: os.loadavg(),
      baselineNs,
      hits,
      stampedes,
      verdicts,
      sections,
      seconds: elapsed,
    };
    fs.writeFileSync(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  }
}

main().then(
  // Exit explicitly: a peer's stray timer or socket must not keep a finished run alive.
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
