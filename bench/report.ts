/** Plain-text tables for the harness: fixed-width columns, so the output pastes anywhere. */

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
