/** Human formatting for the CLI's tables: sizes, durations, times and aligned columns. */

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** '850ms', '42s', '3m 12s', '5h 2m', '2d 4h': two units at most, enough to read at a glance. */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const steps: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (let i = 0; i < steps.length; i++) {
    const [unit, size] = steps[i];
    if (ms < size) continue;
    const whole = Math.floor(ms / size);
    const next = steps[i + 1];
    const rest = next ? Math.floor((ms - whole * size) / next[1]) : 0;
    return rest > 0 && next ? `${whole}${unit} ${rest}${next[0]}` : `${whole}${unit}`;
  }
  return `${Math.round(ms)}ms`;
}

/** An epoch-ms timestamp as local 'YYYY-MM-DD HH:MM:SS'. */
export function formatTime(epochMs: number | undefined): string {
  if (epochMs === undefined) return '-';
  const date = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** Columns padded to their widest cell; columns listed in `right` are right-aligned (numbers). */
export function table(headers: string[], rows: string[][], right: number[] = []): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        right.includes(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]),
      )
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Cuts a one-line text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
