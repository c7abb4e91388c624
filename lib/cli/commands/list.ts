import type { CacheSummary, MarkInfo } from '../../contract';
import type { Command } from '../command';
import { PROGRESS_HELP, PROGRESS_OPTION } from '../command';
import { formatBytes, formatDuration, formatTime, table, truncate } from '../format';

/** A mark as scripts read it: the stored times plus how old it is and how long it has left. */
export function markJson(mark: MarkInfo, now: number) {
  return {
    key: mark.key,
    owner: mark.owner,
    since: mark.since,
    leaseUntil: mark.leaseUntil,
    ageMs: now - mark.since,
    leaseLeftMs: mark.leaseUntil - now,
  };
}

function summaryJson(summary: CacheSummary, now: number) {
  return {
    name: summary.name,
    location: summary.location,
    layout: summary.layout,
    entries: summary.entries,
    completed: summary.completed,
    bytes: summary.bytes,
    liveMarks: summary.liveMarks.map((mark) => markJson(mark, now)),
    deadMarks: summary.deadMarks,
    oldest: summary.oldest ?? null,
    newest: summary.newest ?? null,
    unreadable: summary.unreadable,
    strays: summary.strays ?? [],
  };
}

function human(location: string, caches: CacheSummary[], now: number): string {
  if (caches.length === 0) return `No caches in ${location}.`;
  const rows = caches.map((cache) => [
    cache.name,
    String(cache.entries),
    formatBytes(cache.bytes),
    String(cache.liveMarks.length),
    cache.oldest === undefined
      ? '-'
      : `${formatTime(cache.oldest)} (${formatDuration(now - cache.oldest)} ago)`,
    cache.newest === undefined
      ? '-'
      : `${formatTime(cache.newest)} (${formatDuration(now - cache.newest)} ago)`,
  ]);
  const lines = [
    `Caches in ${location}:`,
    '',
    table(['NAME', 'ENTRIES', 'SIZE', 'MARKS', 'OLDEST', 'NEWEST'], rows, [1, 2, 3]),
  ];
  const marks = caches.flatMap((cache) =>
    cache.liveMarks.map((mark) => ({ cache: cache.name, mark })),
  );
  if (marks.length > 0) {
    lines.push('', 'Being calculated now:', '');
    lines.push(
      table(
        ['CACHE', 'KEY', 'OWNER', 'AGE', 'LEASE LEFT'],
        marks.map(({ cache, mark }) => [
          cache,
          truncate(mark.key, 40),
          truncate(mark.owner, 40),
          formatDuration(now - mark.since),
          formatDuration(mark.leaseUntil - now),
        ]),
      ),
    );
  }
  const problems = caches.filter(
    (cache) => cache.unreadable > 0 || cache.deadMarks > 0 || (cache.strays?.length ?? 0) > 0,
  );
  for (const cache of problems) {
    const notes = [];
    if (cache.unreadable > 0)
      notes.push(`${cache.unreadable} unreadable file(s) or document(s), not counted`);
    if (cache.deadMarks > 0)
      notes.push(`${cache.deadMarks} expired mark(s) (taken over on the next call)`);
    const strays = cache.strays ?? [];
    if (strays.length > 0) {
      const shown = strays.slice(0, 5).map((stray) => `${stray.name} (${stray.type})`);
      if (strays.length > shown.length) shown.push(`${strays.length - shown.length} more`);
      notes.push(`${strays.length} entr${strays.length === 1 ? 'y' : 'ies'} memoir did not write, left alone: ${shown.join(', ')}`);
    }
    lines.push('', `${cache.name}: ${notes.join('; ')}`);
  }
  return lines.join('\n');
}

export const listCommand: Command = {
  name: 'list',
  summary: 'list every cache with its entries, size, being-calculated marks and age',
  usage: 'memoir list [--cache-dir DIR | --mongo-uri URI --collection NAME | --redis URL | --sql URL [--table NAME]] [--progress]',
  description:
    'Lists every cache in the cache directory (or every cache name in a MongoDB collection or a\n' +
    'SQL table): entries, bytes (file caches: data files on disk; mongo and sql: stored values), live\n' +
    'being-calculated marks with their owner, age and lease left, and the oldest and newest entry.',
  positionals: [],
  options: PROGRESS_OPTION,
  optionHelp: PROGRESS_HELP,
  async run(context) {
    const catalog = context.catalog();
    const now = context.io.now();
    const caches = await catalog.list(now, context.progress('reading caches'));
    context.output(
      { location: catalog.location, caches: caches.map((cache) => summaryJson(cache, now)) },
      () => human(catalog.location, caches, now),
    );
  },
};
