/**
 * Two projects, so `npm test` runs everything: the legacy-decorator tests compile with
 * their own tsconfig (experimentalDecorators + emitDecoratorMetadata). They must be a
 * separate project, not a second ts-jest transform entry: ts-jest caches its compiler per
 * project config, so two entries in one project end up sharing whichever tsconfig came first.
 */
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^memoir$': '<rootDir>/lib/index.ts', '^memoir/testing$': '<rootDir>/lib/testing/index.ts' },
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 30000,
  // Most suites spend their time waiting on child processes, servers and sockets, not on the
  // CPU: three workers finish well ahead of one even on a 2-core machine.
  maxWorkers: 3,
  projects: [
    {
      ...shared,
      displayName: 'memoir',
      roots: ['<rootDir>/test'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/decorators/legacy/'],
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
    },
    {
      ...shared,
      displayName: 'legacy-decorators',
      roots: ['<rootDir>/test/decorators/legacy'],
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'test/decorators/legacy/tsconfig.json' }] },
    },
  ],
};
