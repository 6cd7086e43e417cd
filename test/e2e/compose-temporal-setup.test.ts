/**
 * The compose stack's one-shot `temporal-setup` (deploy/temporal/setup-namespace.sh), run as the
 * admin-tools container runs it — `sh` with the Temporal CLI on PATH and the service's own
 * environment from docker-compose.yml — against the run's dev server, in a namespace of its own:
 * it creates the namespace, registers exactly Runway's search attributes with their types, a
 * second run changes nothing and succeeds, and an attribute already there with another type fails
 * the job naming it (so workers, which wait for it, never start against a wrong schema).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { resolveTemporalCli } from '../../src/temporal/cli-binary';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../src/temporal/dev-server';
import { testClient, testTemporalAddress, uniqueId } from '../support/temporal';

const ROOT = path.join(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'deploy', 'temporal', 'setup-namespace.sh');

/** The temporal-setup service's environment as docker-compose.yml writes it, with .env unset. */
function serviceEnvironment(): Record<string, string> {
  const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { environment: Record<string, string>; entrypoint: string[] }>;
  };
  const service = compose.services['temporal-setup'];
  expect(service.entrypoint).toEqual(['/bin/sh', '/runway-deploy/setup-namespace.sh']);
  // Compose's defaults for what .env leaves unset: ${NAME:-default} → default.
  return Object.fromEntries(Object.entries(service.environment).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
}

function runSetup(env: Record<string, string>, cliDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', [SCRIPT], { env: { PATH: `${cliDir}${path.delimiter}${process.env.PATH}`, HOME: process.env.HOME ?? '/tmp', ...env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

async function customAttributes(namespace: string): Promise<Record<string, string>> {
  const { connection, close } = await testClient();
  try {
    const { customAttributes: attrs } = await connection.operatorService.listSearchAttributes({ namespace });
    // IndexedValueType enum numbers → the CLI's names, as RUNWAY_SEARCH_ATTRIBUTES writes them.
    const names: Record<number, string> = { 1: 'Text', 2: 'Keyword', 3: 'Int', 4: 'Double', 5: 'Bool', 6: 'Datetime', 7: 'KeywordList' };
    return Object.fromEntries(Object.entries(attrs ?? {}).map(([name, type]) => [name, names[type as number] ?? String(type)]));
  } finally {
    await close();
  }
}

describe('compose temporal-setup job', () => {
  let cliDir: string;
  beforeAll(async () => {
    cliDir = path.dirname(await resolveTemporalCli());
  });

  it("creates the namespace and registers Runway's search attributes; a second run succeeds and changes nothing", async () => {
    const namespace = uniqueId('compose-setup');
    const env = { ...serviceEnvironment(), TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: namespace };
    const first = await runSetup(env, cliDir);
    expect({ code: first.code, output: first.output }).toEqual({ code: 0, output: expect.stringContaining(`namespace ${namespace} created`) });
    expect(await customAttributes(namespace)).toEqual(RUNWAY_SEARCH_ATTRIBUTES);

    const second = await runSetup(env, cliDir);
    expect({ code: second.code, output: second.output }).toEqual({ code: 0, output: expect.stringContaining(`namespace ${namespace} exists`) });
    expect(await customAttributes(namespace)).toEqual(RUNWAY_SEARCH_ATTRIBUTES);
  });

  it('fails, naming the attribute, when it is registered with another type', async () => {
    const namespace = uniqueId('compose-setup-clash');
    const base = { ...serviceEnvironment(), TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: namespace };
    expect((await runSetup({ ...base, SEARCH_ATTRIBUTES: 'RunwayStage=Text' }, cliDir)).code).toBe(0);
    const clash = await runSetup({ ...base, SEARCH_ATTRIBUTES: 'RunwayStage=Keyword', SETUP_ATTEMPTS: '2' }, cliDir);
    expect(clash.code).toBe(1);
    expect(clash.output).toContain('could not register search attribute RunwayStage as Keyword');
  });
});
