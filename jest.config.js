/**
 * Two test projects, split by what a test needs to run:
 * - unit: test/unit (pure logic, activities with fake clients) and test/sandbox (the emulators'
 *   contracts and activities against them, in process). No Temporal server, no workflow bundle:
 *   `npm run test:unit` runs these alone, without a Temporal CLI.
 * - integration: the workflow on a dev server, replayed histories, the approvals server, the CLI
 *   and worker processes end to end, the harness itself. Its global setup (test/harness) starts
 *   one Temporal dev server and bundles the workflow once per run; jest runs a project's global
 *   setup only when at least one of its tests is selected.
 * `npx jest` (and `npm test`) runs both.
 */
const shared = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  transform: {
    // tsconfig has isolatedModules: ts-jest only transpiles; `npm run lint` type-checks once.
    '^.+\\.[tj]s$': ['ts-jest', {}],
  },
  transformIgnorePatterns: [
    '/node_modules/(?!(@octokit|universal-user-agent|universal-github-app-jwt|toad-cache|before-after-hook|content-type|json-with-bigint)/)',
  ],
  setupFiles: ['<rootDir>/test/harness/quiet-output.ts'],
};

const UNIT_FOLDERS = ['unit', 'sandbox'];

module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: UNIT_FOLDERS.map((folder) => `<rootDir>/test/${folder}/**/*.test.ts`),
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...UNIT_FOLDERS.map((folder) => `<rootDir>/test/${folder}/`)],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
    },
  ],
  testTimeout: 120_000,
  // Two cores: tests that start workers and processes compete for CPU; keep parallelism low.
  maxWorkers: 2,
};
