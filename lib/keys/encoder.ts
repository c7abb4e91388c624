import { types } from 'node:util';
import { binaryText } from './binary';
import { className, errorType, isBuiltinPrototype } from './intrinsics';
import { Unkeyable } from './unkeyable';

/**
 * The key text of argument values: a type-tagged encoding that a parser could read back, so
 * that two values get the same text only when they are the same value (see docs/keys.md):
 *
 *   null  undefined  true  false            themselves
 *   7  -0  1.5e-7  NaN  -Infinity           numbers: String(n), and -0 for minus zero
 *   12n                                     bigints
 *   "text"                                  strings, as JSON writes them (lone surrogates escaped)
 *   [1,~,"x"]                               arrays; ~ is a hole
 *   {"a":1,"b":[]}                          plain objects, keys sorted; Dict{...}: null prototype
 *   Date(0)  Date(NaN)                      Dates by time value
 *   Map(k:v,k:v)  Set(v,v)                  by content: entries sorted by their own text
 *   RegExp("a+","gi",0)                     source, flags, lastIndex
 *   Number(-0)  String("s")  Boolean(true)  BigInt(1)          boxed primitives
 *   Buffer(<base64>)  Float64Array(...)  DataView(...)  ArrayBuffer(...)   binary (binary.ts)
 *   TypeError{"message":"x"}                built-in errors: every own property but `stack`
 *   URL("https://x/")  URLSearchParams("a=1")
 *   @"Money"(<key>)                         an instance whose class keys itself (memoirKey)
 *   ^2                                      a cycle: the value is the container 2 levels up
 *
 * Why it is injective: every form starts with its own token (a quote, a bracket, a digit or
 * minus, or a word that is then followed by `(` or `{` only for tags), and every form ends
 * where a reader can tell (a closing quote or bracket; a number runs until a delimiter; base64
 * never holds `)`). So a text is read back in exactly one way: one text, one value.
 * Repeated references are not cycles: `[o, o]` is written like `[{...}, {...}]`, since the
 * two are equal. Only a reference to a container still open (an ancestor) is a cycle, written
 * by its distance, which does not depend on where the cycle sits in the arguments.
 *
 * Values the encoding cannot represent faithfully throw `Unkeyable`: functions, symbols,
 * symbol-keyed properties, class instances (their #private fields, closures and prototype
 * state are invisible), subclasses of built-ins, arrays with extra properties, WeakMaps,
 * Promises; also values nested deeper than MAX_DEPTH, or larger than MAX_VALUES.
 */

/** Deeper than this is refused: a key walk must not exhaust the stack (it recurses). */
export const MAX_DEPTH = 1_000;
/** Values visited (repeated references count each time); bounds the work on a shared DAG. */
export const MAX_VALUES = 1_000_000;
/** Past this depth, cycle checks use a Map instead of scanning the open containers. */
const SCAN_DEPTH = 32;

/** The protocol by which a class says how its instances are keyed: `[memoirKey]()`. */
export const memoirKey: unique symbol = Symbol.for('memoir.key') as never;

const isEnumerable = Object.prototype.propertyIsEnumerable;
const dateTime = Date.prototype.getTime;
const mapForEach = Map.prototype.forEach;
const setForEach = Set.prototype.forEach;
const numberValue = Number.prototype.valueOf;
const stringValue = String.prototype.valueOf;
const booleanValue = Boolean.prototype.valueOf;
const bigintValue = BigInt.prototype.valueOf;
const getter = (prototype: object, name: string) =>
  Object.getOwnPropertyDescriptor(prototype, name)?.get as ((this: unknown) => unknown) | undefined;
const regexpSource = getter(RegExp.prototype, 'source')!;
/** Flag getters read the internal slot, unlike `flags`, which reads properties. */
const REGEXP_FLAGS: Array<[flag: string, read: (this: unknown) => unknown]> = [];
for (const [flag, name] of Object.entries({
  d: 'hasIndices',
  g: 'global',
  i: 'ignoreCase',
  m: 'multiline',
  s: 'dotAll',
  u: 'unicode',
  v: 'unicodeSets',
  y: 'sticky',
})) {
  const read = getter(RegExp.prototype, name);
  if (read !== undefined) REGEXP_FLAGS.push([flag, read]);
}
const urlHref = typeof URL === 'function' ? getter(URL.prototype, 'href') : undefined;
const searchParamsText = typeof URLSearchParams === 'function' ? URLSearchParams.prototype.toString : undefined;

/** `-0` for minus zero, String(n) otherwise (which is one text per number, NaN included). */
export function numberText(value: number): string {
  return value === 0 && 1 / value < 0 ? '-0' : `${value}`;
}

/**
 * A string as JSON writes it. Short strings without quotes, backslashes, control characters
 * or surrogates (almost all of them) need no escaping, and are checked here faster than
 * JSON.stringify would take to be called.
 */
export function quote(value: string): string {
  if (value.length > 32) return JSON.stringify(value);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) {
      return JSON.stringify(value);
    }
  }
  return `"${value}"`;
}

/**
 * `"key":` of object keys seen before. Keys repeat from call to call, and one flat piece
 * instead of three makes both building the key and hashing it in Map.get cheaper.
 */
const fieldHeads = new Map<string, string>();
const MAX_FIELD_HEADS = 4096;

function fieldHead(key: string): string {
  let head = fieldHeads.get(key);
  if (head === undefined) {
    head = `${quote(key)}:`;
    if (fieldHeads.size < MAX_FIELD_HEADS) fieldHeads.set(key, head);
  }
  return head;
}

export class KeyEncoder {
  text = '';
  /** The containers being written, outermost first: a reference to one of them is a cycle. */
  private readonly open: object[] = [];
  private openAt: Map<object, number> | undefined;
  private budget = MAX_VALUES;

  /**
   * Writes `count` values of `list` as an array. The list is open while its values are
   * written, like any container, so that a value holding the list itself is a cycle.
   */
  list(list: readonly unknown[], count: number): void {
    this.open.push(list);
    this.text += '[';
    for (let i = 0; i < count; i++) {
      if (i > 0) this.text += ',';
      this.value(list[i]);
    }
    this.text += ']';
    this.open.pop();
  }

  value(value: unknown): void {
    if (--this.budget < 0) throw new Unkeyable(undefined, `larger than ${MAX_VALUES} values`);
    switch (typeof value) {
      case 'string':
        this.text += quote(value);
        return;
      case 'number':
        this.text += numberText(value);
        return;
      case 'boolean':
        this.text += value ? 'true' : 'false';
        return;
      case 'undefined':
        this.text += 'undefined';
        return;
      case 'bigint':
        this.text += `${value}n`;
        return;
      case 'object':
        if (value === null) this.text += 'null';
        else this.object(value);
        return;
      default:
        throw new Unkeyable(value, `a ${typeof value}`);
    }
  }

  private object(object: object): void {
    const level = this.levelsUp(object);
    if (level > 0) {
      this.text += `^${level}`;
      return;
    }
    const open = this.open;
    if (open.length >= MAX_DEPTH) throw new Unkeyable(object, `nested more than ${MAX_DEPTH} levels deep`);
    open.push(object);
    if (this.openAt !== undefined) this.openAt.set(object, open.length - 1);
    else if (open.length > SCAN_DEPTH) this.openAt = new Map(open.map((each, at) => [each, at]));

    const prototype = Object.getPrototypeOf(object);
    if (prototype === Object.prototype) this.fields(object, '{');
    else if (Array.isArray(object)) this.array(object, prototype);
    else if (prototype === null) this.fields(object, 'Dict{');
    else if (prototype === Date.prototype && types.isDate(object)) this.date(object);
    else this.other(object, prototype);

    open.pop();
    this.openAt?.delete(object);
  }

  /** How many levels up `object` is open (1: the innermost open container), or 0. */
  private levelsUp(object: object): number {
    const open = this.open;
    const at = this.openAt !== undefined ? (this.openAt.get(object) ?? -1) : open.lastIndexOf(object);
    return at < 0 ? 0 : open.length - at;
  }

  /** Own enumerable string-keyed properties, sorted; `open` is '{' or a tag and '{'. */
  private fields(object: object, open: string): void {
    noSymbolKeys(object);
    const keys = sortedKeys(object);
    this.text += open;
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) this.text += ',';
      const key = keys[i];
      this.text += fieldHead(key);
      this.value((object as Record<string, unknown>)[key]);
    }
    this.text += '}';
  }

  private array(array: unknown[], prototype: object | null): void {
    if (prototype !== Array.prototype && !isBuiltinPrototype(prototype, 'Array')) {
      throw new Unkeyable(array, `an instance of ${className(prototype)}, a subclass of Array`);
    }
    this.text += '[';
    let present = 0;
    for (let i = 0; i < array.length; i++) {
      if (i > 0) this.text += ',';
      const item = array[i];
      if (item !== undefined || i in array) {
        present++;
        this.value(item);
      } else {
        if (--this.budget < 0) throw new Unkeyable(undefined, `larger than ${MAX_VALUES} values`);
        this.text += '~';
      }
    }
    this.text += ']';
    // `match()` results and the like carry named properties beside their elements.
    if (Object.keys(array).length !== present) {
      const extra = Object.keys(array).filter((key) => !/^(0|[1-9]\d*)$/.test(key));
      throw new Unkeyable(array, `an array with other properties besides its elements (${extra.slice(0, 5).join(', ')})`);
    }
    noSymbolKeys(array);
  }

  private date(date: object): void {
    noProperties(date, 'a Date');
    this.text += `Date(${numberText(dateTime.call(date))})`;
  }

  /** Everything but plain objects, arrays and Dates: the slow path, by internal slots. */
  private other(object: object, prototype: object | null): void {
    const keyMethod = (object as { [memoirKey]?: unknown })[memoirKey];
    if (typeof keyMethod === 'function') {
      this.text += `@${quote(className(prototype))}(`;
      this.value(keyMethod.call(object));
      this.text += ')';
      return;
    }
    const binary = binaryText(object, prototype);
    if (binary !== undefined) {
      if (binary === null) throw subclass(object, prototype);
      if (--this.budget < 0) throw new Unkeyable(undefined, `larger than ${MAX_VALUES} values`);
      this.text += binary;
      return;
    }
    if (types.isMap(object)) this.map(object as Map<unknown, unknown>, prototype);
    else if (types.isSet(object)) this.set(object as Set<unknown>, prototype);
    else if (types.isDate(object)) {
      if (!isBuiltinPrototype(prototype, 'Date')) throw subclass(object, prototype);
      this.date(object);
    } else if (types.isRegExp(object)) this.regexp(object as RegExp, prototype);
    else if (types.isBoxedPrimitive(object)) this.boxed(object, prototype);
    else if (types.isNativeError(object)) this.error(object as Error, prototype);
    else if (urlHref !== undefined && isBuiltinPrototype(prototype, 'URL')) {
      noProperties(object, 'a URL');
      this.text += `URL(${quote(urlHref.call(object) as string)})`;
    } else if (isBuiltinPrototype(prototype, 'Object')) {
      this.fields(object, '{'); // a plain object of another realm
    } else if (searchParamsText !== undefined && isBuiltinPrototype(prototype, 'URLSearchParams')) {
      noProperties(object, 'a URLSearchParams');
      this.text += `URLSearchParams(${quote(searchParamsText.call(object as URLSearchParams))})`;
    } else {
      throw new Unkeyable(object, describeObject(object, prototype));
    }
  }

  private map(map: Map<unknown, unknown>, prototype: object | null): void {
    if (!isBuiltinPrototype(prototype, 'Map')) throw subclass(map, prototype);
    noProperties(map, 'a Map');
    const entries: string[] = [];
    const outer = this.text;
    mapForEach.call(map, (value: unknown, key: unknown) => {
      this.text = '';
      this.value(key);
      this.text += ':';
      this.value(value);
      entries.push(this.text);
    });
    this.text = `${outer}Map(${entries.sort().join(',')})`;
  }

  private set(set: Set<unknown>, prototype: object | null): void {
    if (!isBuiltinPrototype(prototype, 'Set')) throw subclass(set, prototype);
    noProperties(set, 'a Set');
    const members: string[] = [];
    const outer = this.text;
    setForEach.call(set, (member: unknown) => {
      this.text = '';
      this.value(member);
      members.push(this.text);
    });
    this.text = `${outer}Set(${members.sort().join(',')})`;
  }

  private regexp(regexp: RegExp, prototype: object | null): void {
    if (!isBuiltinPrototype(prototype, 'RegExp')) throw subclass(regexp, prototype);
    noProperties(regexp, 'a RegExp');
    let flags = '';
    for (const [flag, read] of REGEXP_FLAGS) if (read.call(regexp)) flags += flag;
    this.text += `RegExp(${quote(regexpSource.call(regexp) as string)},${quote(flags)},`;
    // lastIndex is where the next exec() of a global or sticky RegExp starts.
    this.value(regexp.lastIndex);
    this.text += ')';
  }

  private boxed(object: object, prototype: object | null): void {
    if (types.isNumberObject(object) && isBuiltinPrototype(prototype, 'Number')) {
      noProperties(object, 'a Number object');
      this.text += `Number(${numberText(numberValue.call(object))})`;
    } else if (types.isStringObject(object) && isBuiltinPrototype(prototype, 'String')) {
      const text = stringValue.call(object);
      // A String object's own keys are its indices: anything else was added to it.
      if (Object.keys(object).length !== text.length) throw new Unkeyable(object, 'a String object with added properties');
      noSymbolKeys(object);
      this.text += `String(${quote(text)})`;
    } else if (types.isBooleanObject(object) && isBuiltinPrototype(prototype, 'Boolean')) {
      noProperties(object, 'a Boolean object');
      this.text += `Boolean(${booleanValue.call(object)})`;
    } else if (types.isBigIntObject(object) && isBuiltinPrototype(prototype, 'BigInt')) {
      noProperties(object, 'a BigInt object');
      this.text += `BigInt(${bigintValue.call(object)})`;
    } else {
      throw new Unkeyable(object, describeObject(object, prototype));
    }
  }

  /**
   * A built-in error: its type and every own property but `stack` (which says where it was
   * made, not what it is), enumerable or not, since `message` and `cause` are not enumerable.
   */
  private error(error: Error, prototype: object | null): void {
    const type = errorType(prototype);
    if (type === undefined) throw new Unkeyable(error, describeObject(error, prototype));
    noSymbolKeys(error);
    const names = Object.getOwnPropertyNames(error)
      .filter((name) => name !== 'stack')
      .sort();
    this.text += `${type}{`;
    for (let i = 0; i < names.length; i++) {
      if (i > 0) this.text += ',';
      this.text += fieldHead(names[i]);
      this.value((error as unknown as Record<string, unknown>)[names[i]]);
    }
    this.text += '}';
  }
}

/** Own enumerable symbol-keyed properties have no text that is the same in every process. */
function noSymbolKeys(object: object): void {
  const symbols = Object.getOwnPropertySymbols(object);
  for (let i = 0; i < symbols.length; i++) {
    if (isEnumerable.call(object, symbols[i])) {
      throw new Unkeyable(object, `an object with a symbol-keyed property (${String(symbols[i])})`);
    }
  }
}

/** Built-ins keyed by their internal state must carry no properties of their own besides. */
function noProperties(object: object, what: string): void {
  const keys = Object.keys(object);
  if (keys.length > 0) throw new Unkeyable(object, `${what} with added properties (${keys.slice(0, 5).join(', ')})`);
  noSymbolKeys(object);
}

function subclass(object: object, prototype: object | null): Unkeyable {
  return new Unkeyable(object, `an instance of ${className(prototype)}, a subclass of a built-in type`);
}

function describeObject(object: object, prototype: object | null): string {
  const tag = Object.prototype.toString.call(object).slice(8, -1);
  const name = className(prototype);
  if (isBuiltinPrototype(prototype, name)) return `a ${name}, which has no value to key by`;
  if (name !== tag && tag !== 'Object') return `a ${tag} (${name})`;
  return `an instance of ${name}, whose state (#private fields, closures) the key cannot see`;
}

/**
 * Object.keys sorted by UTF-16 code units (Array#sort's default order). Argument objects are
 * small, and an insertion sort with `<` is several times faster there than Array#sort.
 */
function sortedKeys(object: object): string[] {
  const keys = Object.keys(object);
  if (keys.length > 32) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > key) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

