// Lint keeps workflow code deterministic: workflows/ (and the pure modules they import)
// may not import Node built-ins, and may import activities only as types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const deterministicFiles = ['workflows/**/*.ts', 'src/domain/**/*.ts', 'src/messages.ts'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.runway/**', 'coverage/**', 'test/histories/**'] },
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
