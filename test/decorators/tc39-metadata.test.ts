// Node 20 has no Symbol.metadata, and TypeScript only passes `context.metadata` to TC39
// decorators where it exists; runtimes that ship it (or polyfill it, as here) get
// cachedMethodsOf() for standard decorators too. The polyfill must run before any class
// below is defined; jest gives this file its own realm, so it leaks nowhere else.
(Symbol as { metadata?: symbol }).metadata ??= Symbol('Symbol.metadata');

import { cached, cachedMethodsOf } from 'memoir';

const memory = { backend: 'memory' } as const;

class Ledger {
  @cached(memory)
  balance(): number {
    return 1;
  }

  @cached(memory)
  history(): number[] {
    return [];
  }

  @cached(memory)
  static currency(): string {
    return 'EUR';
  }

  undecorated(): number {
    return 0;
  }
}

class AuditedLedger extends Ledger {
  @cached(memory)
  override balance(): number {
    return 2;
  }

  @cached(memory)
  audit(): string {
    return 'ok';
  }
}

test('cachedMethodsOf lists TC39-decorated methods where Symbol.metadata exists', () => {
  expect(cachedMethodsOf(Ledger.prototype)).toEqual(['balance', 'history']);
  expect(cachedMethodsOf(Ledger)).toEqual(['currency']);
  // Inherited names come first, an override is listed once, the parent is left untouched.
  expect(cachedMethodsOf(AuditedLedger.prototype)).toEqual(['balance', 'history', 'audit']);
  expect(cachedMethodsOf(AuditedLedger)).toEqual(['currency']);
  expect(cachedMethodsOf(Ledger.prototype)).toEqual(['balance', 'history']);
  expect(cachedMethodsOf(new AuditedLedger())).toEqual(['balance', 'history', 'audit']);
  expect(new AuditedLedger().balance()).toBe(2);
});
