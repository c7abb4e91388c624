/**
 * Reads back the key encoding of lib/keys (docs/keys.md) for the values a set member or a dict
 * key may be: primitives (strings, numbers including -0 and NaN, bigints, booleans, null,
 * undefined), arrays (holes kept), plain and null-prototype objects, Dates, Maps and Sets of
 * these. The encoding is injective, so a member stored as its text comes back as an equal value.
 * Anything else in a text (a RegExp, a Buffer, a class instance, a cycle) is `undefined` from
 * `readValueText`'s `ok: false`: such values are refused as members when they are written.
 */
export type ReadOutcome = { ok: true; value: unknown } | { ok: false; reason: string };

const NUMBER = /-?(?:Infinity|\d+(?:\.\d+)?(?:e[+-]?\d+)?)|NaN/y;
const WORDS: ReadonlyArray<[string, unknown]> = [
  ['null', null],
  ['undefined', undefined],
  ['true', true],
  ['false', false],
];

class Unreadable extends Error {}

class Reader {
  private at = 0;

  constructor(private readonly text: string) {}

  read(): unknown {
    const value = this.value();
    if (this.at !== this.text.length) this.fail('text after the value');
    return value;
  }

  private value(): unknown {
    const text = this.text;
    const char = text[this.at];
    if (char === '"') return this.string();
    if (char === '[') return this.array();
    if (char === '{') return this.fields({});
    if (char === '-' || (char >= '0' && char <= '9') || text.startsWith('NaN', this.at) || text.startsWith('Infinity', this.at)) return this.number();
    for (const [word, value] of WORDS) {
      if (text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    if (text.startsWith('Dict{', this.at)) {
      this.at += 4;
      return this.fields(Object.create(null));
    }
    if (text.startsWith('Date(', this.at)) {
      this.at += 5;
      const time = this.number();
      this.expect(')');
      return new Date(time as number);
    }
    if (text.startsWith('Map(', this.at)) return this.map();
    if (text.startsWith('Set(', this.at)) return this.set();
    return this.fail('a form set members and dict keys do not take');
  }

  private string(): string {
    const text = this.text;
    let end = this.at + 1;
    while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
    if (end >= text.length) this.fail('an unterminated string');
    const value = JSON.parse(text.slice(this.at, end + 1)) as string;
    this.at = end + 1;
    return value;
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) return this.fail('a malformed number');
    this.at += match[0].length;
    if (this.text[this.at] === 'n') {
      this.at++;
      return BigInt(match[0]);
    }
    return Number(match[0]);
  }

  private array(): unknown[] {
    const array: unknown[] = [];
    this.at++;
    if (this.take(']')) return array;
    for (let index = 0; ; index++) {
      if (this.take('~')) array.length = index + 1;
      else array[index] = this.value();
      if (this.take(']')) return array;
      this.expect(',');
    }
  }

  private fields(object: Record<string, unknown>): Record<string, unknown> {
    this.at++;
    if (this.take('}')) return object;
    for (;;) {
      if (this.text[this.at] !== '"') this.fail('a field name');
      const name = this.string();
      this.expect(':');
      Object.defineProperty(object, name, { value: this.value(), enumerable: true, writable: true, configurable: true });
      if (this.take('}')) return object;
      this.expect(',');
    }
  }

  private map(): Map<unknown, unknown> {
    this.at += 4;
    const map = new Map<unknown, unknown>();
    if (this.take(')')) return map;
    for (;;) {
      const key = this.value();
      this.expect(':');
      map.set(key, this.value());
      if (this.take(')')) return map;
      this.expect(',');
    }
  }

  private set(): Set<unknown> {
    this.at += 4;
    const set = new Set<unknown>();
    if (this.take(')')) return set;
    for (;;) {
      set.add(this.value());
      if (this.take(')')) return set;
      this.expect(',');
    }
  }

  private take(char: string): boolean {
    if (this.text[this.at] !== char) return false;
    this.at++;
    return true;
  }

  private expect(char: string): void {
    if (!this.take(char)) this.fail(`"${char}"`);
  }

  private fail(what: string): never {
    throw new Unreadable(`${what} at ${this.at} of ${this.text.length > 60 ? `${this.text.slice(0, 60)}…` : this.text}`);
  }
}

export function readValueText(text: string): ReadOutcome {
  // The common members, without a reader.
  if (text.length > 1 && text[0] === '"' && text.indexOf('\\') < 0 && text.indexOf('"', 1) === text.length - 1) {
    return { ok: true, value: text.slice(1, -1) };
  }
  try {
    return { ok: true, value: new Reader(text).read() };
  } catch (error) {
    if (error instanceof Unreadable || error instanceof SyntaxError) return { ok: false, reason: error.message };
    throw error;
  }
}
