// The no-conflict entry: metadata functions without defining Reflect.getMetadata & co.
// globally (importing memoir defines no globals). It shares reflect-metadata's registry, so
// metadata emitted by a program that imports 'reflect-metadata' itself is seen here too.
import * as Metadata from 'reflect-metadata/no-conflict';
import { currentParams } from './config';
import { describe, MemoirError } from './errors';
import { type CachedDecorator, createMemo, type Memoized, memoizedFunction } from './memoized';
import { type DefinitionSite, definitionSite, type InstanceKey, type Memo } from './engine';
import { memoirKey } from './keys';
import type { CachedOptions } from './options';
import { validateDecoration } from './config';

/**
 * `@cached(options)` on class methods, for both decorator flavours with one import:
 * TC39 decorators are called with (method, context), legacy ones with (prototype, name,
 * descriptor); the arguments tell them apart.
 *
 * Each instance gets its own bound memoized function (created on first access), so that
 * `report.build.peek(...)`, `report.build.invalidate(...)` and friends know the instance.
 * By default the instance's own enumerable state is part of the key: two instances with
 * different state never share results, two with equal state do (also across processes).
 * `instanceKey` replaces that state by a value of your choice; `shareAcrossInstances`
 * drops the instance from the key. Static methods never key on the class.
 */
const CACHED_METHODS = 'memoir:cached-methods';
type AnyFunction = (...args: any[]) => any;

/**
 * The names of the methods of `target` (a class for statics, a prototype for instance
 * methods) decorated with @cached, inherited ones included. Legacy decorators record them
 * with reflect-metadata; TC39 decorators in `context.metadata`, which TypeScript only
 * provides where the runtime has `Symbol.metadata`.
 */
export function cachedMethodsOf(target: object): Array<string | symbol> {
  const legacyNames: Array<string | symbol> | undefined = Metadata.getMetadata(
    CACHED_METHODS,
    target,
  );
  if (legacyNames) return [...legacyNames];
  const metadataSymbol: symbol | undefined = (Symbol as { metadata?: symbol }).metadata;
  if (!metadataSymbol) return [];
  const isStatic = typeof target === 'function';
  const owner = (isStatic ? target : target.constructor) as unknown as
    | Record<symbol, unknown>
    | undefined;
  const metadata = owner?.[metadataSymbol] as Record<string, unknown> | undefined;
  const names = metadata?.[isStatic ? `${CACHED_METHODS}:static` : CACHED_METHODS];
  return Array.isArray(names) ? [...names] : [];
}

/** Appends `name` to a recorded list, keeping inherited names and each name once. */
function withName(list: unknown, name: string | symbol): Array<string | symbol> {
  const names = Array.isArray(list) ? (list as Array<string | symbol>) : [];
  return names.includes(name) ? names : [...names, name];
}

function recordTc39(context: ClassMethodDecoratorContext): void {
  // context.metadata inherits from the parent class's: reading gives inherited names too.
  const metadata = context.metadata as Record<string, unknown> | undefined;
  if (!metadata) return;
  const key = context.static ? `${CACHED_METHODS}:static` : CACHED_METHODS;
  metadata[key] = withName(metadata[key], context.name);
}

/**
 * Decorators cannot change a member's declared type, so `report.build.clearCache()` does
 * not type-check although it works. `cacheOf(report.build)` is the same function, typed
 * with its management methods; anything that is not memoized is an error.
 */
export function cacheOf<F extends AnyFunction>(method: F): Memoized<F> {
  const candidate = method as unknown as { cacheName?: unknown; clearCache?: unknown } | undefined;
  if (
    typeof method !== 'function' ||
    typeof candidate?.cacheName !== 'string' ||
    typeof candidate.clearCache !== 'function'
  ) {
    throw new MemoirError(
      'NOT_SUPPORTED',
      `cacheOf() needs a memoized function or @cached method; got ${describe(method)}.`,
    );
  }
  return method as Memoized<F>;
}

/**
 * The default instance key: the instance's own enumerable fields, read at call time and keyed
 * by content like an argument. Not part of it: #private fields, accessors and anything on the
 * prototype; a class whose identity lives there needs `instanceKey`, or a
 * `[Symbol.for('memoir.key')]()` method (memoirKey), which is then used instead.
 *
 * A field holding a callback or a symbol cannot be keyed. The engine would report it as a
 * puzzling "argument 1"; a shallow scan here (cheap next to hashing) names the field and the
 * way out. Deeper unkeyable values still get the engine's message.
 */
function ownStateKey(cacheName: () => string): InstanceKey {
  return (self) => {
    if (self === null || typeof self !== 'object') return self;
    // A class that says how its instances are keyed is keyed that way (see lib/keys).
    if (typeof (self as { [memoirKey]?: unknown })[memoirKey] === 'function') return self;
    const state: Record<string, unknown> = { ...self };
    for (const field in state) {
      const type = typeof state[field];
      if (type === 'function' || type === 'symbol') {
        throw new MemoirError(
          'UNHASHABLE_ARGUMENT',
          `"${cacheName()}" keys on the instance's own fields by default, and this.${field} is a ${type}. ` +
            'Give the decorator an instanceKey (e.g. instanceKey: (self) => self.id) or shareAcrossInstances: true.',
        );
      }
    }
    return state;
  };
}

/** Lazily builds one Memo per decorated method and one bound function per instance. */
class DecoratedMethod {
  private memo: Memo | undefined;
  private readonly perInstance = new WeakMap<object, Memoized<AnyFunction>>();

  constructor(
    private readonly method: AnyFunction,
    private readonly options: CachedOptions,
    private readonly methodName: string,
    private readonly isStatic: boolean,
    private readonly site: DefinitionSite | undefined,
  ) {}

  engine(owner: { name: string }): Memo {
    this.memo ??= createMemo(this.method, this.options, `${owner.name}.${this.methodName}`, this.site, this.instanceKey());
    return this.memo;
  }

  private instanceKey(): InstanceKey | undefined {
    if (this.isStatic || this.options.shareAcrossInstances) return undefined;
    return this.options.instanceKey ?? ownStateKey(() => this.memo?.name ?? this.methodName);
  }

  boundTo(self: object, owner: { name: string }): Memoized<AnyFunction> {
    let bound = this.perInstance.get(self);
    if (!bound) {
      bound = memoizedFunction(this.engine(owner), self);
      this.perInstance.set(self, bound);
    }
    return bound;
  }
}

/** The class a method was declared on, found from an instance (or the class, for statics). */
function declaringClass(
  self: object,
  isStatic: boolean,
  name: string | symbol,
  replacement: unknown,
): { name: string } {
  if (isStatic) return self as { name: string };
  let proto: object | null = Object.getPrototypeOf(self);
  while (proto && Object.getOwnPropertyDescriptor(proto, name)?.value !== replacement) {
    proto = Object.getPrototypeOf(proto);
  }
  return (proto ?? Object.getPrototypeOf(self)).constructor as { name: string };
}

/**
 * Assigning to a decorated method (a stub in a test, a hot patch) replaces it on that object
 * only, as it would for a plain method. Non-enumerable, so the stub is not instance state.
 */
function replaceOn(name: string | symbol): (this: object, value: unknown) => void {
  return function (this: object, value: unknown) {
    Object.defineProperty(this, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  };
}

/** The value `name` resolves to on `self`, without running getters. */
function resolvedMethod(self: object, name: string | symbol): unknown {
  for (let o: object | null = self; o; o = Object.getPrototypeOf(o)) {
    const descriptor = Object.getOwnPropertyDescriptor(o, name);
    if (descriptor) return descriptor.value;
  }
  return undefined;
}

function tc39(
  options: CachedOptions,
  site: DefinitionSite | undefined,
  method: AnyFunction,
  context: ClassMethodDecoratorContext,
): AnyFunction {
  const name = String(context.name);
  const decorated = new DecoratedMethod(method, options, name, context.static, site);
  recordTc39(context);
  // Reached through the prototype only: `super.method(...)`, `Class.prototype.method.call(x)`.
  const replacement = function (this: object, ...args: unknown[]) {
    return decorated.boundTo(
      this,
      declaringClass(this, context.static, context.name, replacement),
    )(...args);
  };
  context.addInitializer(function (this: unknown) {
    const self = this as object;
    // A subclass that overrides the method (decorated or not) must keep its override: a
    // base-class initializer runs first and would otherwise shadow it with our accessor.
    if (resolvedMethod(self, context.name) !== replacement) return;
    const owner = declaringClass(self, context.static, context.name, replacement);
    // An own accessor, so `instance.method.peek(...)` knows its instance. It binds to the
    // receiver: for statics that is the subclass when called as `Sub.method()`.
    Object.defineProperty(self, context.name, {
      configurable: true,
      enumerable: false,
      get(this: object) {
        return decorated.boundTo(this, owner);
      },
      set: replaceOn(context.name),
    });
  });
  return replacement;
}

function legacy(
  options: CachedOptions,
  site: DefinitionSite | undefined,
  target: object,
  propertyKey: string | symbol,
  descriptor: PropertyDescriptor,
): PropertyDescriptor {
  if (typeof descriptor?.value !== 'function') {
    throw new MemoirError(
      'INVALID_OPTION',
      `@cached decorates methods; "${String(propertyKey)}" is not a method.`,
    );
  }
  const isStatic = typeof target === 'function';
  const owner = (isStatic ? target : target.constructor) as { name: string };
  // emitDecoratorMetadata tells whether the method is declared to return a Promise.
  if (
    options.async === undefined &&
    Metadata.getMetadata('design:returntype', target, propertyKey) === Promise
  ) {
    options = { ...options, async: true };
  }
  // getMetadata walks the prototype chain, so the own list starts from the inherited one.
  Metadata.defineMetadata(
    CACHED_METHODS,
    withName(Metadata.getMetadata(CACHED_METHODS, target), propertyKey),
    target,
  );
  const decorated = new DecoratedMethod(descriptor.value, options, String(propertyKey), isStatic, site);
  return {
    configurable: true,
    enumerable: descriptor.enumerable,
    get(this: object) {
      return decorated.boundTo(this, owner);
    },
    set: replaceOn(propertyKey),
  };
}

export function methodDecorator(options: CachedOptions): CachedDecorator {
  // The decorator expression `@cached(...)` runs in the module that defines the class.
  const site = definitionSite();
  validateDecoration(options, currentParams());
  return ((...args: unknown[]) => {
    const [first, second, third] = args;
    if (args.length === 2 && typeof second === 'object' && second !== null && 'kind' in second) {
      const context = second as ClassMethodDecoratorContext;
      if (context.kind !== 'method') {
        throw new MemoirError(
          'INVALID_OPTION',
          `@cached decorates methods, not a ${context.kind}.`,
        );
      }
      return tc39(options, site, first as AnyFunction, context);
    }
    if (args.length === 3 && (typeof second === 'string' || typeof second === 'symbol')) {
      return legacy(options, site, first as object, second, third as PropertyDescriptor);
    }
    throw new MemoirError(
      'INVALID_OPTION',
      `@cached was applied to something it cannot decorate (${describe(first)}).`,
    );
  }) as CachedDecorator;
}
