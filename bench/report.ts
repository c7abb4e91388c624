/** Plain-text tables for the harness: fixed-width columns, so the output pastes anywhere. */
import type { StampedeResult, Timing } from './measure';

export type Align = 'left' | 'right';

/** A table with a header row and a dashed rule; `align` is per column (default left). */
export function table(headers: string[], rows: string[][], align: Align[] = []): string {
  const widths = headers.map((header, c) =>
    Math.max(header.length, ...rows.map((row) => (row[c] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (align[c] === 'right' ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** `4.5 ns`, `334 ns`, `1.02 µs`, `12.3 ms`: three significant digits in a readable unit. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  if (ns < 1e3) return `${ns < 100 ? ns.toFixed(1) : ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`;
  return `${(ns / 1e6).toPrecision(3)} ms`;
}

/** `x1.0`, `x74`, `x1,040`: a multiple of the baseline. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '—';
  return ratio < 10 ? `x${ratio.toFixed(1)}` : `x${Math.round(ratio).toLocaleString('en')}`;
}

export function heading(title: string): string {
  return `\n== ${title} ${'='.repeat(Math.max(3, 76 - title.length))}`;
}

function formatCell(value: unknown): string {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? value.toLocaleString('en') : value.toFixed(2);
  }
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

/** Nested objects become dotted keys: `{ hit: { medianMicros: 3 } }` → `hit.medianMicros`. */
function flatten(value: object, prefix = '', into: Record<string, unknown> = {}) {
  for (const [key, inner] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
      flatten(inner, name, into);
    } else {
      into[name] = inner;
    }
  }
  return into;
}

/**
 * Renders whatever a section's benchmark function returned: an array of records as a
 * table with one column per field, an object as a two-column key/value table.
 */
export function renderResult(result: unknown): string {
  if (Array.isArray(result) && result.every((row) => row !== null && typeof row === 'object')) {
    const rows = result.map((row) => flatten(row));
    const headers = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    const align = headers.map((h): Align => (typeof rows[0][h] === 'number' ? 'right' : 'left'));
    return table(
      headers,
      rows.map((row) => headers.map((h) => (h in row ? formatCell(row[h]) : ''))),
      align,
    );
  }
  if (result !== null && typeof result === 'object') {
    const entries = Object.entries(flatten(result));
    return table(
      ['field', 'value'],
      entries.map(([key, value]) => [key, formatCell(value)]),
      ['left', 'right'],
    );
  }
  return formatCell(result);
}

export type CaseId =
  | 'sync-primitives'
  | 'async-primitives'
  | 'async-object'
  | 'sync-object'
  | 'sync-distinct'
  | 'async-distinct';

export interface HitRow {
  case: CaseId;
  library: string;
  timing?: Timing;
  /** Median over the case's bare `Map.get` median. */
  ratio?: number;
  /** Why the row has no figure. */
  note?: string;
}

export function hitTable(rows: HitRow[]): string {
  return table(
    ['library', 'median/call', 'vs Map.get', 'batches min..max', 'note'],
    rows.map((row) => [
      row.library,
      row.timing ? formatNs(row.timing.medianNs) : 'n/a',
      row.ratio === undefined ? '' : formatRatio(row.ratio),
      row.timing ? `${formatNs(row.timing.minNs)} .. ${formatNs(row.timing.maxNs)}` : '',
      row.note ?? '',
    ]),
    ['left', 'right', 'right', 'right', 'left'],
  );
}

export interface StampedeRow {
  library: string;
  resolve: StampedeResult;
  reject: StampedeResult;
}

export function stampedeTable(rows: StampedeRow[], capMs: number): string {
  const yesNo = (flag: boolean) => (flag ? 'yes' : 'no');
  const runs = (r: StampedeResult) => (r.cutOff ? `>= ${r.bodyRuns}` : String(r.bodyRuns));
  const cut = (r: StampedeResult) =>
    r.cutOff ? ` (${r.fulfilled + r.rejected} settled by the ${capMs / 1000} s cut-off)` : '';
  return table(
    [
      'library',
      'body runs',
      'all got value',
      'body runs (reject)',
      'all rejected',
      'error kept?',
      'wall (resolve/reject)',
    ],
    rows.map(({ library, resolve, reject }) => [
      library,
      runs(resolve),
      yesNo(resolve.fulfilled === resolve.callers && resolve.distinctOutcomes === 1) + cut(resolve),
      runs(reject),
      yesNo(reject.rejected === reject.callers) + cut(reject),
      // "Kept" means a call made after the rejection settled did not run the body again.
      reject.nextCallReran === undefined ? '?' : yesNo(!reject.nextCallReran),
      `${resolve.wallMs.toFixed(0)} / ${reject.wallMs.toFixed(0)} ms`,
    ]),
    ['left', 'right', 'left', 'right', 'left', 'left', 'right'],
  );
}

export interface Verdict {
  target: string;
  measured: string;
  /** Undefined when the part that measures it was not run (see --only). */
  pass?: boolean;
}

export function summaryTable(verdicts: Verdict[], quick: boolean): string {
  const title = `Summary: memoir vs the targets of issues 2, 3 and 18${quick ? ' (QUICK mode: indicative only)' : ''}`;
  const rows = verdicts.map((v) => [
    v.target,
    v.measured,
    v.pass === undefined ? '—' : v.pass ? 'PASS' : 'MISS',
  ]);
  return `${heading(title)}\n${table(['target', 'memoir', 'verdict'], rows, ['left', 'right', 'left'])}`;
}
