/**
 * The lint that keeps workflow code deterministic really fires: snippets are linted as if they
 * were files in workflows/ with the repository's own eslint.config.mjs.
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
      const eslint = new ESLint({ cwd: process.cwd() });
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
});
const problems = async (name: keyof typeof results) => results[name];

describe('deterministic workflow lint', () => {
  it('forbids Node built-ins in workflow code', async () => {
    expect(await problems('nodeFs')).toEqual([expect.stringMatching(/^no-restricted-imports: .*no Node built-ins/)]);
    expect(await problems('http')).toEqual([expect.stringMatching(/no Node built-ins/)]);
  });

  it('allows activities as types only', async () => {
    expect(await problems('typeImport')).toEqual([]);
    expect(await problems('valueImport')).toEqual([expect.stringMatching(/Import activities by type only/)]);
  });

  it('forbids I/O clients and real timers, also in the domain modules workflows import', async () => {
    expect(await problems('awsInDomain')).toEqual([expect.stringMatching(/must not import I\/O libraries/)]);
    expect(await problems('timer')).toEqual([expect.stringMatching(/Use sleep\(\)/)]);
  });

  it('leaves activities free to do I/O', async () => {
    expect(await problems('activityIo')).toEqual([]);
  });
});
