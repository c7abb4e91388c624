import { describe, MemoirError } from '../errors';
import { valueText } from '../keys';
import { readValueText } from './canonical-text';
import { fromRawText, rawText } from './raw';

/**
 * How set members and dict keys are stored: as text, the same in every process.
 *
 * - Serialized (the default): the key encoding of lib/keys, which is canonical and injective,
 *   so `1` and `'1'` are two members, `{ a: 1, b: 2 }` and `{ b: 2, a: 1 }` one; and it reads
 *   back into an equal value. (Never v8: its bytes for equal values can differ, e.g. with
 *   object key order, so equal members would not meet.) On Redis a string member is stored
 *   as its JSON text, `"che"`.
 * - Raw (`static serialize = false`): strings as they are, numbers as their digits, read back
 *   as raw values are (raw.ts): text that spells a number comes back as that number.
 */
export interface MemberCodec {
  /** The stored text of `value`; `role` names it in a refusal ('member', 'key'). */
  encode(value: unknown, role: string): string;
  decode(text: string): unknown;
}

const ACCEPTED = 'strings, numbers, bigints, booleans, null, undefined, Dates, and arrays, plain objects, Maps and Sets of these';

export const CANONICAL_MEMBERS: MemberCodec = {
  encode(value, role) {
    const text = valueText(value, `the ${role}`, `A ${role} of a data-structure cache is one of: ${ACCEPTED}.`);
    if (typeof value !== 'string' && typeof value !== 'number') {
      const read = readValueText(text);
      if (!read.ok) {
        throw new MemoirError('INVALID_ARGUMENT', `Invalid ${role} ${describe(value)}: a ${role} of a data-structure cache is one of: ${ACCEPTED}.`);
      }
    }
    return text;
  },
  decode(text) {
    const read = readValueText(text);
    // Only memoir writes these texts; one it cannot read comes back as the text itself.
    return read.ok ? read.value : text;
  },
};

export const RAW_MEMBERS: MemberCodec = {
  encode: rawText,
  decode: fromRawText,
};
