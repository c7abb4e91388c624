import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { cached } from '../../lib';

/**
 * A backend whose driver is not installed fails at decoration with MISSING_PEER_DEPENDENCY
 * and the install command, in a real process where the package cannot be resolved.
 */
const root = path.resolve(__dirname, '../..');

function runWithout(pkg: string, program: string): { code: string; message: string } {
  const out = execFileSync(process.execPath, ['-r', path.join(root, 'test/support/hide-packages.js'), '-e', program], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, MEMOIR_HIDE_PACKAGES: pkg },
  });
  return JSON.parse(out);
}

describe('missing peer dependencies', () => {
  test('mongo with a URI and no mongodb installed: MISSING_PEER_DEPENDENCY at decoration', () => {
    const result = runWithout(
      'mongodb',
      `const { cached } = require('memoir');
       try {
         cached((x) => x, { name: 'm', backend: 'mongo', mongetter: { uri: 'mongodb://127.0.0.1:1/', db: 'd', collection: 'c' } });
         console.log(JSON.stringify({ code: 'none', message: '' }));
       } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
    );
    expect(result.code).toBe('MISSING_PEER_DEPENDENCY');
    expect(result.message).toContain('npm install mongodb');
  });

  test('mongetter { uri: undefined } is reported at decoration as a missing uri', () => {
    expect(() =>
      cached((x: number) => x, { name: 'u', backend: 'mongo', mongetter: { uri: undefined as unknown as string, db: 'd', collection: 'c' } }),
    ).toThrow(/`uri` is missing/);
  });
});
