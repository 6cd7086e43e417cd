/** Jest runs every test tier; the Temporal dev server is started once per run (test/harness). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // tsconfig has isolatedModules: ts-jest only transpiles; `npm run lint` type-checks once.
    '^.+\\.[tj]s$': ['ts-jest', {}],
  },
  transformIgnorePatterns: [
    '/node_modules/(?!(@octokit|universal-user-agent|before-after-hook|content-type|json-with-bigint)/)',
  ],
  setupFiles: ['<rootDir>/test/harness/quiet-output.ts'],
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  testTimeout: 120_000,
  // Two cores: tests that start workers and processes compete for CPU; keep parallelism low.
  maxWorkers: 2,
};
