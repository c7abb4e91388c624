import { createMemoryCore } from '../../../backends/memory';
import { describeCoreContract } from '../../../lib/testing/core-contract';

describeCoreContract('memory', (name) => createMemoryCore(name), { sync: true, storesByReference: true });
describeCoreContract('memory (copy: true)', (name) => createMemoryCore(name, { copy: true }), { sync: true });

describe('memory core', () => {
  it('hands back the stored object itself by default', () => {
    const core = createMemoryCore('identity');
    const value = { list: [1] };
    core.sync!.write('k', value, { time: 1 });
    expect(core.sync!.get('k')?.value).toBe(value);
  });

  it('isolates callers from each other with copy: true', () => {
    const core = createMemoryCore('copies', { copy: true });
    const value = { list: [1] };
    core.sync!.write('k', value, { time: 1 });
    value.list.push(2);
    const first = core.sync!.get('k')?.value as { list: number[] };
    first.list.push(3);
    expect(core.sync!.get('k')?.value).toEqual({ list: [1] });
  });

  it('bumps its revision on every change, whichever core of the name makes it', () => {
    const one = createMemoryCore('revisions');
    const other = createMemoryCore('revisions');
    const revision = () => one.changes!.revision;
    other.sync!.write('old', 1, { time: 1 });
    const changes: Array<[string, () => unknown]> = [
      ['deleteStale', () => other.sync!.deleteStale(10)],
      ['write', () => other.sync!.write('k', 1, { time: 1 })],
      ['acquire', () => other.sync!.acquire('k', { owner: 'o', now: 1, leaseUntil: 100 })],
      ['renew', () => other.sync!.renew('k', { owner: 'o', now: 2, leaseUntil: 200 })],
      ['release', () => other.sync!.release('k', 'o')],
      ['delete', () => other.sync!.delete('k')],
      ['clearBeingCalculated', () => other.sync!.clearBeingCalculated()],
      ['clear', () => other.sync!.clear()],
    ];
    for (const [what, change] of changes) {
      const before = revision();
      change();
      expect({ what, bumped: revision() > before }).toEqual({ what, bumped: true });
    }
    const before = revision();
    one.sync!.get('k');
    one.sync!.keys();
    expect(revision()).toBe(before);
  });

  it('offers no revision with copy: true (its hits are fresh copies, never one reused answer)', () => {
    expect(createMemoryCore('copies-revision', { copy: true }).changes).toBeUndefined();
  });
});
