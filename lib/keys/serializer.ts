import { BRACKET, byteText, NON_ASCII, scan, stringPrefix } from './bytes';
import { dateJson } from './dates';
import {
  circular,
  compressKeyText,
  firstHeaderCode,
  nextHeaderCode,
  OBJECT_FUNCTION,
  OBJECT_PROTOTYPE,
} from './compression';

/**
 * Produces object-hash's serialization text (as bytes, see key-bytes.ts) for the shapes
 * arguments usually have — primitives, dense or sparse arrays, plain objects, Dates — without
 * object-hash's stream and digest machinery. Anything else (Map, Set, class instances, typed
 * arrays, Buffers, functions...) makes it give up, and the caller asks object-hash itself.
 *
 * Every rule here mirrors object-hash 3 with default options (unorderedObjects, respectType):
 * - each object is remembered in visit order; meeting it again writes the string
 *   `[CIRCULAR:<index>]` instead (object-hash never forgets, so shared references count);
 * - a plain object lists its sorted own keys after three type keys (`prototype`,
 *   `__proto__`, `constructor`), which expand Object.prototype and Object once per list.
 *
 * In compressed mode the serializer writes each plain-object header as the code
 * key-compression.ts would put there, and the result is compressKeyText(T) — here is why.
 * Suppose no user string (value, key, a Date's JSON) contains '['; the serializer checks that
 * and otherwise starts again uncompressed and compresses afterwards. Then every '[' in T is
 * structural: the `[native]` of OBJECT_FUNCTION, which appears only inside OBJECT_PROTOTYPE and
 * in a plain object's constructor field (functions as values are refused), or a `[CIRCULAR:i]`
 * the serializer wrote. Every match of compressKeyText's HEADER pattern contains a `[native]`
 * preceded by `,string:11:constructor:fn:string:8:` and before that by `]` or `,` — never
 * OBJECT_PROTOTYPE's own `[native]`, which follows `Null,`. So the `[native]` is a constructor
 * field's, every character of the match around it is text the serializer wrote for that
 * object's header, and the match is exactly that header. Headers of different objects do not
 * overlap (the `prototype` field must be Undefined for a match, so no object nests inside one),
 * hence the regex finds precisely the headers, and the serializer writes a code for precisely
 * those headers: the ones with an undefined `prototype` field and an Object constructor.
 */
const BAIL = Symbol('object-hash must serialize this');
const REDO_UNCOMPRESSED = Symbol('a user string holds "["');
const MAX_VISITED_LIST = 24;

class Serialization {
  text = '';
  /**
   * Objects in visit order, as object-hash's context list. Arguments hold a handful of objects,
   * where a list is cheaper to create and search than a Map; large ones switch to a Map.
   */
  private readonly visitedList: object[] = [];
  private visitedMap: Map<object, number> | undefined;

  constructor(private readonly compressed: boolean) {}

  value(value: unknown): void {
    switch (typeof value) {
      case 'number':
        this.text += `number:${value}`;
        return;
      case 'string':
        this.string(value);
        return;
      case 'boolean':
        this.text += value ? 'bool:true' : 'bool:false';
        return;
      case 'undefined':
        this.text += 'Undefined';
        return;
      case 'bigint':
        this.text += `bigint:${value}`;
        return;
      case 'object':
        if (value === null) this.text += 'Null';
        else this.object(value);
        return;
      default:
        throw BAIL; // functions and symbols: the fallback reports them with their position
    }
  }

  /** A string written by the user: its byte text, after the UTF-16 length object-hash writes. */
  private string(value: string): void {
    this.text += stringPrefix(value.length) + this.content(value);
  }

  private content(value: string): string {
    const flags = scan(value);
    if (flags === 0) return value;
    if (flags & BRACKET && this.compressed) throw REDO_UNCOMPRESSED;
    return flags & NON_ASCII ? byteText(value) : value;
  }

  /** Returns the index `object` was first visited at, or -1 after recording this first visit. */
  private visit(object: object): number {
    const map = this.visitedMap;
    if (map !== undefined) {
      const index = map.get(object);
      if (index !== undefined) return index;
      map.set(object, map.size);
      return -1;
    }
    const list = this.visitedList;
    const index = list.indexOf(object);
    if (index >= 0) return index;
    list.push(object);
    if (list.length > MAX_VISITED_LIST)
      this.visitedMap = new Map(list.map((seen, at) => [seen, at]));
    return -1;
  }

  /** Returns true when `object` was seen before (and writes the back-reference). */
  private revisit(object: object): boolean {
    const index = this.visit(object);
    if (index < 0) return false;
    this.text += circular(index);
    return true;
  }

  private object(object: object): void {
    const prototype = Object.getPrototypeOf(object);
    // object-hash picks its type from Object.prototype.toString, which a toStringTag changes.
    if (Symbol.toStringTag in object) throw BAIL;
    if (prototype === Object.prototype) {
      this.plainObject(object as Record<string, unknown>);
    } else if (Array.isArray(object)) {
      if (this.revisit(object)) return;
      this.text += `array:${object.length}:`;
      // forEach semantics: holes are skipped, as object-hash does.
      for (let i = 0; i < object.length; i++) if (i in object) this.value(object[i]);
    } else if (prototype === Date.prototype) {
      if (this.revisit(object)) return;
      this.text += `date:${this.content(dateJson(object as Date))}`;
    } else {
      throw BAIL;
    }
  }

  private plainObject(object: Record<string, unknown>): void {
    if (this.revisit(object)) return;
    const keys = sortedKeys(object);
    const fields = keys.length + 3;
    if (this.compressed && object.prototype === undefined && object.constructor === Object) {
      this.text += this.headerCode(fields);
    } else {
      this.text += `object:${fields}:`;
      this.field('prototype', object.prototype);
      this.text += 'string:9:__proto__:';
      this.objectPrototype();
      this.text += ',string:11:constructor:';
      if (object.constructor === Object) this.objectFunction();
      else this.value(object.constructor);
      this.text += ',';
    }
    for (const key of keys) this.field(key, object[key]);
  }

  /** The code standing for a header with an undefined prototype field and Object as constructor. */
  private headerCode(fields: number): string {
    let prototypeIndex = this.visit(Object.prototype);
    if (prototypeIndex < 0) {
      this.visit(Object); // inside OBJECT_PROTOTYPE, where Object is walked for the first time
      prototypeIndex = -1;
    }
    const objectIndex = this.visit(Object);
    if (fields >= 1024 || prototypeIndex >= 1023 || objectIndex >= 1024) {
      return buildHeaderCode(fields, prototypeIndex, objectIndex);
    }
    // The same few codes recur from call to call; a cached string is also one piece, not five.
    const slot = (fields << 20) | ((prototypeIndex + 1) << 10) | objectIndex;
    let code = headerCodes.get(slot);
    if (code === undefined) {
      code = buildHeaderCode(fields, prototypeIndex, objectIndex);
      if (headerCodes.size < 4096) headerCodes.set(slot, code);
    }
    return code;
  }

  private field(key: string, value: unknown): void {
    let head = fieldHeads.get(key);
    if (head === undefined) {
      head = `${stringPrefix(key.length)}${this.content(key)}:`;
      // Only plain keys are shared: the others' text depends on the mode.
      if (fieldHeads.size < MAX_FIELD_HEADS && scan(key) === 0) fieldHeads.set(key, head);
    }
    this.text += head;
    this.value(value);
    this.text += ',';
  }

  /** Object.prototype, as object-hash walks it: no own keys, a null __proto__, Object. */
  private objectPrototype(): void {
    if (this.revisit(Object.prototype)) return;
    // Object cannot have been visited before Object.prototype: both are only reached through a
    // plain object's header, which walks __proto__ before constructor.
    this.visit(Object);
    this.text += OBJECT_PROTOTYPE;
  }

  /** The Object function, already walked inside OBJECT_PROTOTYPE. */
  private objectFunction(): void {
    this.text += OBJECT_FUNCTION;
    if (!this.revisit(Object)) this.text += 'object:0:';
  }
}

const headerCodes = new Map<number, string>();

/**
 * `string:<n>:<key>:` of object keys seen before. Keys repeat from call to call, and one flat
 * piece instead of four makes both building the key and hashing it in Map.get cheaper.
 */
const fieldHeads = new Map<string, string>();
const MAX_FIELD_HEADS = 4096;

/** prototypeIndex -1: the header walks Object.prototype for the first time. */
function buildHeaderCode(fields: number, prototypeIndex: number, objectIndex: number): string {
  return prototypeIndex < 0
    ? firstHeaderCode(fields, objectIndex)
    : nextHeaderCode(fields, prototypeIndex, objectIndex);
}

/**
 * Object.keys sorted by UTF-16 code units, as Array#sort's default order. Argument objects
 * are small, and an insertion sort with `<` is several times faster there than Array#sort,
 * which converts and compares through its generic path. An own `__proto__` key makes
 * object-hash read the own value where we would not look: left to object-hash.
 */
function sortedKeys(object: object): string[] {
  const keys = Object.keys(object);
  if (keys.length > 32) {
    keys.sort();
    if (keys.includes('__proto__')) throw BAIL;
    return keys;
  }
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === '__proto__') throw BAIL;
    let j = i - 1;
    while (j >= 0 && keys[j] > key) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function serialize(args: readonly unknown[], compressed: boolean): string {
  const serialization = new Serialization(compressed);
  serialization.value(args);
  return serialization.text;
}

/**
 * The compressed key text of `args` (compressKeyText of object-hash's text), or undefined when
 * object-hash must serialize them.
 */
export function fastSerialize(args: readonly unknown[]): string | undefined {
  try {
    return serialize(args, true);
  } catch (error) {
    if (error === BAIL) return undefined;
    if (error !== REDO_UNCOMPRESSED) throw error;
  }
  const text = fastSerializeUncompressed(args);
  return text === undefined ? undefined : compressKeyText(text);
}

/** object-hash's text of `args` without compression, or undefined; for tests and tooling. */
export function fastSerializeUncompressed(args: readonly unknown[]): string | undefined {
  try {
    return serialize(args, false);
  } catch (error) {
    if (error === BAIL) return undefined;
    throw error;
  }
}
