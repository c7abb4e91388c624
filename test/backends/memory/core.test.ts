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
});
