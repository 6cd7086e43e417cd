// Lint keeps the architecture as the README's code map draws it:
// - which folder may import which (eslint-plugin-boundaries; the `allowed` table below), and
// - workflow code deterministic: workflows/ and the pure modules they import use no Node
//   built-ins, no I/O libraries and no timers, import activities only as types, and await or
//   hand on every promise (type-aware no-floating-promises).
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const deterministicFiles = ['workflows/**/*.ts', 'src/domain/**/*.ts', 'src/slack/**/*.ts'];

/** Each folder's role (an element is the folder; every file below it belongs to it). */
const elements = [
  // Pure: the release as data and its rules, and the workflow's public API (Updates, queries, search attributes).
  { type: 'domain', pattern: ['src/domain'] },
  // Shared by both ends of a wire (Runway and the sandbox): Slack button values, bounded HTTP body reading.
  { type: 'wire', pattern: ['src/shared'] },
  // Slack message text and blocks, rendered from the release's status (pure; workflows use it).
  { type: 'slack-format', pattern: ['src/slack'] },
  { type: 'workflows', pattern: ['workflows'] },
  { type: 'activities', pattern: ['activities'] },
  // The SDK clients Runway builds (ECS, Slack, GitHub, Prometheus) and the interfaces activities take.
  { type: 'sdk-clients', pattern: ['src/sdk-clients', 'src/metrics'] },
  { type: 'config', pattern: ['src/config'] },
  // Talking to Temporal as an operator tool: connections, the dev server, worker versions.
  { type: 'temporal', pattern: ['src/temporal'] },
  // Starting, following and deciding releases as a Temporal client (CLI, approvals server).
  { type: 'release-client', pattern: ['src/release-client'] },
  { type: 'approvals', pattern: ['src/approvals'] },
  { type: 'sandbox', pattern: ['src/sandbox'] },
  // Wiring: the CLI, the embedded stack, the worker's assembly.
  { type: 'cli', pattern: ['src/cli'] },
  { type: 'stack', pattern: ['src/stack'] },
  { type: 'workers', pattern: ['workers'] },
  { type: 'tooling', pattern: ['test', 'bench', 'scripts', 'bin', 'dashboards'] },
].map((e) => ({ ...e, partialMatch: false }));

/** Who may import whom (value imports); anything not listed is refused. */
const allowed = {
  domain: ['domain'],
  wire: ['wire'],
  'slack-format': ['slack-format', 'wire', 'domain'],
  workflows: ['workflows', 'domain', 'slack-format', 'wire'],
  config: ['config', 'domain'],
  'sdk-clients': ['sdk-clients', 'config', 'domain', 'wire'],
  // release-client: a rollback's activity stops the service's releases in flight as a Temporal client.
  activities: ['activities', 'sdk-clients', 'config', 'domain', 'slack-format', 'wire', 'release-client'],
  temporal: ['temporal', 'config', 'domain'],
  // wire: decisions are signed (src/shared/decision-signer.ts) where they are sent.
  'release-client': ['release-client', 'domain', 'config', 'temporal', 'wire'],
  approvals: ['approvals', 'release-client', 'config', 'domain', 'slack-format', 'wire', 'sdk-clients'],
  // The sandbox stands in for the outside world: it shares wire formats with Runway, nothing else.
  sandbox: ['sandbox', 'wire'],
  workers: ['workers', 'activities', 'sdk-clients', 'config', 'temporal', 'domain'],
  // src/ never imports workers/: the entry point (bin/runway.js) hands the worker factory in.
  stack: ['stack', 'approvals', 'sandbox', 'config', 'temporal', 'domain', 'release-client', 'sdk-clients'],
  cli: ['cli', 'stack', 'approvals', 'sandbox', 'config', 'temporal', 'domain', 'release-client', 'sdk-clients', 'slack-format', 'wire'],
  tooling: elements.map((e) => e.type),
};

const boundaryPolicies = [
  ...Object.entries(allowed).map(([from, to]) => ({ from: { element: { type: from } }, allow: { to: { element: { types: { anyOf: to } } } } })),
  // Workflows see activities only as types (proxyActivities<typeof ...>); values would bundle I/O into the sandboxed workflow.
  { from: { element: { type: 'workflows' } }, allow: { to: { element: { type: 'activities' } }, dependency: { kind: 'type' } } },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.runway/**', 'coverage/**', 'test/histories/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['bin/**/*.js', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': elements,
      'import/resolver': { node: { extensions: ['.ts', '.js'] } },
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', policies: boundaryPolicies, message: '{{from.type}} may not import {{to.type}} (see the allowed table in eslint.config.mjs and the README code map)' }],
    },
  },
  {
    // Type-aware, so only where it matters most: a promise a workflow neither awaits nor hands on
    // is work the release may never wait for (or an error nobody sees).
    files: ['workflows/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: deterministicFiles,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins.' })),
          patterns: [
            {
              group: ['**/activities', '**/activities/*', '../activities/**'],
              allowTypeImports: true,
              message: 'Import activities by type only (import type ...).',
            },
            {
              group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@aws-sdk/*', '@slack/*', '@octokit/*'],
              allowTypeImports: true,
              message: 'Workflow code must not import I/O libraries.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'process', message: 'No process access in workflow code.' },
      ],
    },
  },
);
