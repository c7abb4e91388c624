/**
 * Produces object-hash's serialization text for the shapes arguments usually have —
 * primitives, dense or sparse arrays, plain objects, Dates — without object-hash's stream
 * and digest machinery. Returns undefined for anything else (Map, Set, class instances,
 * typed arrays, functions...), and the caller falls back to object-hash itself.
 *
 * Every rule here mirrors object-hash 3 with default options (unorderedObjects, respectType):
 * - each object is remembered in visit order; meeting it again writes the string
 *   `[CIRCULAR:<index>]` instead (object-hash never forgets, so shared references count);
 * - a plain object lists its sorted own keys after three type keys (`prototype`,
 *   `__proto__`, `constructor`), which expand Object.prototype and Object once per list.
 * The property test in test/keys.property.test.ts checks this text against object-hash's.
 */
const BAIL = Symbol('bail');

class Serialization {
  text = '';
  private readonly visited = new Map<object, number>();

  value(value: unknown): void {
    switch (typeof value) {
      case 'number':
        this.text += `number:${value}`;
        return;
      case 'string':
        this.string(value);
        return;
      case 'boolean':
        this.text += `bool:${value}`;
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
        throw BAIL; // functions and symbols: object-hash's path reports them properly
    }
  }

  private string(value: string): void {
    // object-hash hashes UTF-8, where every lone surrogate becomes U+FFFD.
    const text = value.isWellFormed() ? value : value.toWellFormed();
    this.text += `string:${value.length}:${text}`;
  }

  /** Returns true when `object` was seen before (and writes the back-reference). */
  private revisit(object: object): boolean {
    const index = this.visited.get(object);
    if (index === undefined) {
      this.visited.set(object, this.visited.size);
      return false;
    }
    this.string(`[CIRCULAR:${index}]`);
    return true;
  }

  private object(object: object): void {
    if (Array.isArray(object)) {
      if (this.revisit(object)) return;
      this.text += `array:${object.length}:`;
      // forEach semantics: holes are skipped, as object-hash does.
      for (let i = 0; i < object.length; i++) if (i in object) this.value(object[i]);
      return;
    }
    if (object instanceof Date && Object.getPrototypeOf(object) === Date.prototype) {
      if (this.revisit(object)) return;
      this.text += `date:${object.toJSON()}`;
      return;
    }
    if (Object.getPrototypeOf(object) !== Object.prototype || Symbol.toStringTag in object) {
      throw BAIL;
    }
    this.plainObject(object as Record<string, unknown>);
  }

  private plainObject(object: Record<string, unknown>): void {
    if (this.revisit(object)) return;
    const keys = sortedKeys(object);
    if (keys.includes('__proto__')) throw BAIL;
    this.text += `object:${keys.length + 3}:`;
    this.field('prototype', object.prototype);
    this.string('__proto__');
    this.text += ':';
    this.objectPrototype();
    this.text += ',';
    this.string('constructor');
    this.text += ':';
    if (object.constructor === Object) this.objectConstructor();
    else this.value(object.constructor);
    this.text += ',';
    for (const key of keys) this.field(key, object[key]);
  }

  private field(key: string, value: unknown): void {
    this.string(key);
    this.text += ':';
    this.value(value);
    this.text += ',';
  }

  /** Object.prototype, as object-hash walks it: no own keys, a null __proto__, Object. */
  private objectPrototype(): void {
    if (this.revisit(Object.prototype)) return;
    this.text += 'object:3:string:9:prototype:Undefined,string:9:__proto__:Null,';
    this.string('constructor');
    this.text += ':';
    this.objectConstructor();
    this.text += ',';
  }

  /** The Object function: a native function with no own enumerable keys. */
  private objectConstructor(): void {
    this.text += 'fn:string:8:[native]string:20:function-name:Object';
    if (!this.revisit(Object)) this.text += 'object:0:';
  }
}

/**
 * Object.keys sorted by UTF-16 code units, as Array#sort's default order. Argument objects
 * are small, and an insertion sort with `<` is several times faster there than Array#sort,
 * which converts and compares through its generic path.
 */
function sortedKeys(object: object): string[] {
  const keys = Object.keys(object);
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

function isPrimitive(value: unknown): boolean {
  const type = typeof value;
  return value === null || (type !== 'object' && type !== 'function' && type !== 'symbol');
}

/** object-hash's serialization of `args`, or undefined when object-hash must do it. */
export function fastSerialize(args: readonly unknown[]): string | undefined {
  const serialization = new Serialization();
  if (args.every(isPrimitive)) {
    serialization.text = `array:${args.length}:`;
    for (const arg of args) serialization.value(arg);
    return serialization.text;
  }
  try {
    serialization.value(args);
    return serialization.text;
  } catch (error) {
    if (error === BAIL) return undefined;
    throw error;
  }
}
