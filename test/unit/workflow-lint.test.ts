/**
 * The lint that keeps the architecture really fires: snippets are linted as if they were files
 * in workflows/, src/… with the repository's own eslint.config.mjs — workflow code stays
 * deterministic, and each folder imports only what the code map allows.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '../..');

/**
 * ESLint loads eslint.config.mjs with a dynamic import, which jest's module sandbox refuses, so
 * every snippet is linted in one plain Node process.
 */
function lintAll(snippets: Record<string, { code: string; file: string }>): Record<string, string[]> {
  const script = `
    const { ESLint } = require('eslint');
    const path = require('node:path');
    const snippets = JSON.parse(process.argv[1]);
    (async () => {
      // The probes are not files on disk: let the type-aware rules' project service take them.
      const eslint = new ESLint({
        cwd: process.cwd(),
        overrideConfig: { files: ['workflows/**/*.ts'], languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['workflows/probe.ts'] } } } },
      });
      const out = {};
      for (const [name, { code, file }] of Object.entries(snippets)) {
        const [result] = await eslint.lintText(code, { filePath: path.join(process.cwd(), file) });
        out[name] = result.messages.map((m) => m.ruleId + ': ' + m.message);
      }
      process.stdout.write(JSON.stringify(out));
    })();`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(snippets)], { cwd: root, encoding: 'utf8' }));
}

const wf = (code: string) => ({ code, file: 'workflows/probe.ts' });
const results = lintAll({
  nodeFs: wf("import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"),
  http: wf("import http from 'http';\nexport const x = http;\n"),
  typeImport: wf("import type { ReleaseActivities } from '../activities';\nexport type X = ReleaseActivities;\n"),
  valueImport: wf("import { createActivities } from '../activities';\nexport const x = createActivities;\n"),
  awsInDomain: { code: "import { ECSClient } from '@aws-sdk/client-ecs';\nexport const x = ECSClient;\n", file: 'src/domain/probe.ts' },
  timer: wf('export const x = () => setTimeout(() => {}, 1);\n'),
  activityIo: { code: "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", file: 'activities/probe.ts' },
  floating: wf("import { sleep } from '@temporalio/workflow';\nexport async function w(): Promise<void> {\n  sleep(10);\n}\n"),
  awaited: wf("import { sleep } from '@temporalio/workflow';\nexport async function w(): Promise<void> {\n  await sleep(10);\n}\n"),
  sandboxConfig: { code: "import { loadConfig } from '../config/load';\nexport const x = loadConfig;\n", file: 'src/sandbox/probe.ts' },
  sandboxWire: { code: "import { parseButtonValue } from '../shared/slack-button-value';\nexport const x = parseButtonValue;\n", file: 'src/sandbox/probe.ts' },
  cliWorkers: { code: "import { createReleaseWorker } from '../../workers/release-worker';\nexport const x = createReleaseWorker;\n", file: 'src/cli/probe.ts' },
  domainClient: { code: "import { createSlackClient } from '../sdk-clients/slack';\nexport const x = createSlackClient;\n", file: 'src/domain/probe.ts' },
  activitiesClient: { code: "import { createSlackClient } from '../src/sdk-clients/slack';\nexport const x = createSlackClient;\n", file: 'activities/probe.ts' },
  clientsActivities: { code: "import type { ReleaseActivities } from '../../activities';\nexport type X = ReleaseActivities;\n", file: 'src/sdk-clients/probe.ts' },
});
const problems = async (name: keyof typeof results) => results[name];

describe('deterministic workflow lint', () => {
  it('forbids Node built-ins in workflow code', async () => {
    expect(await problems('nodeFs')).toEqual([expect.stringMatching(/^no-restricted-imports: .*no Node built-ins/)]);
    expect(await problems('http')).toEqual([expect.stringMatching(/no Node built-ins/)]);
  });

  it('allows activities as types only', async () => {
    expect(await problems('typeImport')).toEqual([]);
    expect(await problems('valueImport')).toEqual([
      expect.stringMatching(/Import activities by type only/),
      expect.stringMatching(/^boundaries\/dependencies: workflows may not import activities/),
    ]);
  });

  it('forbids I/O clients and real timers, also in the domain modules workflows import', async () => {
    expect(await problems('awsInDomain')).toEqual([expect.stringMatching(/must not import I\/O libraries/)]);
    expect(await problems('timer')).toEqual([expect.stringMatching(/Use sleep\(\)/)]);
  });

  it('leaves activities free to do I/O', async () => {
    expect(await problems('activityIo')).toEqual([]);
  });
});

describe('type-aware workflow lint', () => {
  it('refuses a promise a workflow neither awaits nor hands on', async () => {
    expect(await problems('floating')).toEqual([expect.stringMatching(/^@typescript-eslint\/no-floating-promises: /)]);
    expect(await problems('awaited')).toEqual([]);
  });
});

describe('import boundaries (the README code map)', () => {
  it('keeps the sandbox away from production modules, except the shared wire formats', async () => {
    expect(await problems('sandboxConfig')).toEqual([expect.stringMatching(/^boundaries\/dependencies: sandbox may not import config/)]);
    expect(await problems('sandboxWire')).toEqual([]);
  });

  it('lets only the entry point reach workers/', async () => {
    expect(await problems('cliWorkers')).toEqual([expect.stringMatching(/^boundaries\/dependencies: cli may not import workers/)]);
  });

  it('runs dependencies one way: activities use the SDK clients, never the other way round, and the domain uses neither', async () => {
    expect(await problems('activitiesClient')).toEqual([]);
    expect(await problems('clientsActivities')).toEqual([expect.stringMatching(/^boundaries\/dependencies: sdk-clients may not import activities/)]);
    expect(await problems('domainClient')).toEqual([expect.stringMatching(/^boundaries\/dependencies: domain may not import sdk-clients/)]);
  });
});
