import 'reflect-metadata';
import { currentParams } from './config';
import { describe, MemoirError } from './errors';
import { createMemo, type CachedDecorator, type Memoized, memoizedFunction } from './cached';
import type { InstanceKey, Memo } from './memo';
import type { CachedOptions } from './options';
import { resolveSettings } from './settings';
import { validateOptions } from './validate-options';

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

/** The names of the methods of `target` (a class or prototype) decorated with @cached (legacy decorators). */
export function cachedMethodsOf(target: object): Array<string | symbol> {
  return Reflect.getMetadata(CACHED_METHODS, target) ?? [];
}

/** An instance's own enumerable fields, as a plain object: object-hash then keys it by content. */
const ownState: InstanceKey = (self) =>
  self !== null && typeof self === 'object' ? { ...(self as Record<string, unknown>) } : self;

function instanceKeyFor(options: CachedOptions, isStatic: boolean): InstanceKey | undefined {
  if (isStatic || options.shareAcrossInstances) return undefined;
  return options.instanceKey ?? ownState;
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
  ) {}

  engine(owner: { name: string }): Memo {
    this.memo ??= createMemo(
      this.method,
      this.options,
      this.options.name ?? `${owner.name}.${this.methodName}`,
      instanceKeyFor(this.options, this.isStatic),
    );
    return this.memo;
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
function declaringClass(self: object, isStatic: boolean, name: string | symbol, replacement: unknown): { name: string } {
  if (isStatic) return self as { name: string };
  let proto: object | null = Object.getPrototypeOf(self);
  while (proto && Object.getOwnPropertyDescriptor(proto, name)?.value !== replacement) {
    proto = Object.getPrototypeOf(proto);
  }
  return (proto ?? Object.getPrototypeOf(self)).constructor as { name: string };
}

function tc39(options: CachedOptions, method: AnyFunction, context: ClassMethodDecoratorContext): AnyFunction {
  const name = String(context.name);
  const decorated = new DecoratedMethod(method, options, name, context.static);
  const replacement = function (this: object, ...args: unknown[]) {
    return decorated.boundTo(this, declaringClass(this, context.static, context.name, replacement))(...args);
  };
  context.addInitializer(function (this: unknown) {
    const self = this as object;
    const owner = declaringClass(self, context.static, context.name, replacement);
    // An own accessor per instance, so `instance.method.peek(...)` knows its instance.
    Object.defineProperty(self, context.name, {
      configurable: true,
      enumerable: false,
      get: () => decorated.boundTo(self, owner),
    });
  });
  return replacement;
}

function legacy(
  options: CachedOptions,
  target: object,
  propertyKey: string | symbol,
  descriptor: PropertyDescriptor,
): PropertyDescriptor {
  if (typeof descriptor?.value !== 'function') {
    throw new MemoirError('INVALID_OPTION', `@cached decorates methods; "${String(propertyKey)}" is not a method.`);
  }
  const isStatic = typeof target === 'function';
  const owner = (isStatic ? target : target.constructor) as { name: string };
  // emitDecoratorMetadata tells whether the method is declared to return a Promise.
  if (options.async === undefined && Reflect.getMetadata('design:returntype', target, propertyKey) === Promise) {
    options = { ...options, async: true };
  }
  Reflect.defineMetadata(CACHED_METHODS, [...cachedMethodsOf(target), propertyKey], target);
  const decorated = new DecoratedMethod(descriptor.value, options, String(propertyKey), isStatic);
  return {
    configurable: true,
    enumerable: descriptor.enumerable,
    get(this: object) {
      return decorated.boundTo(this, owner);
    },
  };
}

export function methodDecorator(options: CachedOptions): CachedDecorator {
  // Fail at decoration, not at the first call: bad options and unparseable units throw here.
  validateOptions(options);
  resolveSettings(options, currentParams());
  return ((...args: unknown[]) => {
    const [first, second, third] = args;
    if (args.length === 2 && typeof second === 'object' && second !== null && 'kind' in second) {
      const context = second as ClassMethodDecoratorContext;
      if (context.kind !== 'method') {
        throw new MemoirError('INVALID_OPTION', `@cached decorates methods, not a ${context.kind}.`);
      }
      return tc39(options, first as AnyFunction, context);
    }
    if (args.length === 3 && (typeof second === 'string' || typeof second === 'symbol')) {
      return legacy(options, first as object, second, third as PropertyDescriptor);
    }
    throw new MemoirError('INVALID_OPTION', `@cached was applied to something it cannot decorate (${describe(first)}).`);
  }) as CachedDecorator;
}
