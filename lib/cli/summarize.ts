import { inspect } from 'node:util';
import { truncate } from './format';

/**
 * A one-line description of a stored value: its type (with length or size where it has one)
 * and a short preview. Values can be huge; only a bounded part of them is ever rendered.
 */
export function summarizeValue(value: unknown, width = 60): string {
  const preview = inspect(value, {
    depth: 2,
    breakLength: Number.POSITIVE_INFINITY,
    maxArrayLength: 8,
    maxStringLength: width,
    compact: true,
  }).replace(/\s+/g, ' ');
  return truncate(`${describeType(value)} ${preview}`, width + 20);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (value instanceof Map) return `Map(${value.size})`;
  if (value instanceof Set) return `Set(${value.size})`;
  if (Buffer.isBuffer(value)) return `Buffer(${value.length})`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength}B)`;
  if (value instanceof Date) return 'Date';
  if (typeof value === 'string') return `string(${value.length})`;
  if (typeof value === 'object')
    return value.constructor?.name === 'Object' ? 'object' : (value.constructor?.name ?? 'object');
  return typeof value;
}

/** The whole value, for `inspect --key`, still bounded in depth. */
export function renderValue(value: unknown): string {
  return inspect(value, {
    depth: 6,
    maxArrayLength: 200,
    maxStringLength: 10_000,
    breakLength: 100,
  });
}
