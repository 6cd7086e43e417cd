/**
 * The Grafana dashboard (issue 19): dashboards/runway.json is exactly what its typed source
 * writes (`npm run dashboards`), the source is checked against Grafana's published schema
 * (`@grafana/schema`) by the compiler — and that check really fires: the same dashboard with a
 * field Grafana does not have, or a value of the wrong type, does not compile — and its panels
 * cover what operators asked for, each with a query.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { dashboardJson, DASHBOARDS, panelQueries } from '../../dashboards';
import { runwayDashboard } from '../../dashboards/runway';

const root = path.join(__dirname, '../..');

/** Type errors of `code` compiled as if it were dashboards/probe.ts, with the repository's compiler options. */
function typeErrors(code: string): string[] {
  const configFile = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
  const probe = path.join(root, 'dashboards/probe.ts');
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => (path.resolve(file) === probe ? code : readFile(file));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => path.resolve(file) === probe || fileExists(file);
  const program = ts.createProgram([probe], { ...options, noEmit: true }, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && path.resolve(d.file.fileName) === probe)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('the Grafana dashboard', () => {
  it('dashboards/*.json are what their typed sources write (run npm run dashboards after a change)', () => {
    for (const [file, dashboard] of Object.entries(DASHBOARDS)) {
      expect(readFileSync(path.join(root, 'dashboards', file), 'utf8')).toBe(dashboardJson(dashboard));
    }
  });

  it("is checked against Grafana's schema: the dashboard compiles, an unknown field or a wrongly typed value does not", () => {
    const head = "import type { Dashboard } from '@grafana/schema';\nimport { runwayDashboard } from './runway';\n";
    expect(typeErrors(`${head}export const ok = runwayDashboard satisfies Dashboard;\n`)).toEqual([]);
    expect(typeErrors(`${head}export const bad = { ...runwayDashboard, refreshEvery: '1m' } satisfies Dashboard;\n`).join('\n')).toMatch(/refreshEvery/);
    expect(typeErrors(`${head}export const bad = { ...runwayDashboard, schemaVersion: 'latest' } satisfies Dashboard;\n`).join('\n')).toMatch(/schemaVersion|string.*number/);
    expect(typeErrors(`${head}export const bad = { ...runwayDashboard, panels: [{ type: 'stat', gridPos: { x: 0, y: 0, w: 'wide', h: 4 } }] } satisfies Dashboard;\n`).join('\n')).toMatch(/string.*number|'w'/);
  });

  it('has the DORA four, releases in flight, rollbacks by cause, canary verdicts and worker health, each with a query', () => {
    const titles = runwayDashboard.panels.map((p) => p.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Deployment frequency (per day)',
        'Change lead time (median)',
        'Change fail rate',
        'Failed deployment recovery time (median)',
        'Releases in flight by stage',
        'Rollbacks by cause',
        'Canary verdicts',
        'Workers: task slots available',
      ]),
    );
    const queries = panelQueries(runwayDashboard);
    expect(new Set(queries.map((q) => q.panel))).toEqual(new Set(titles));
    // Delivery series are the same on every worker: each query deduplicates them before adding up.
    for (const { expr } of queries.filter((q) => q.expr.includes('runway_') && !q.expr.includes('runway_delivery_ledger_up'))) expect(expr).toContain('max without (instance)');
    expect(new Set(runwayDashboard.panels.map((p) => p.id)).size).toBe(runwayDashboard.panels.length);
  });
});
