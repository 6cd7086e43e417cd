/**
 * docker-compose.yml, checked without a container engine:
 * - a real Compose implementation's `config` accepts it (the compose plugin's own code, built by
 *   scripts/ensure-compose.sh in CI; RUNWAY_COMPOSE, `docker compose` or a v2+ `docker-compose`
 *   also do) and resolves Runway's environment from .env.example to one Runway accepts;
 * - every service has a healthcheck or is a one-shot that another service waits for;
 * - each variable passed to Runway's processes is one src/config/env.ts reads (or the AWS SDK's
 *   chain), and .env.example documents exactly the variables the file uses;
 * - the search attributes registered are Runway's, Prometheus scrapes every worker replica on
 *   the port the worker serves its metrics on (and promtool accepts deploy/prometheus.yml), and
 *   no secret is written in either file.
 * Without a Compose binary (or promtool) those checks are skipped with the reason printed, except
 * in CI (CI set), where they fail.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { envSchema, parseEnv } from '../../src/config/env';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../src/temporal/dev-server';
import { runwayCacheDir } from '../support/python-tools';

const ROOT = path.join(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const ENV_EXAMPLE = path.join(ROOT, '.env.example');
const PROMETHEUS_CONFIG = path.join(ROOT, 'deploy', 'prometheus.yml');
/** The version scripts/ensure-compose.sh builds by default. */
const COMPOSE_VERSION = /^version="\$\{1:-([0-9.]+)\}"$/m.exec(readFileSync(path.join(ROOT, 'scripts', 'ensure-compose.sh'), 'utf8'))![1];

/** Read by the AWS SDK's own credential and endpoint chain, not by parseEnv (README "Environment"). */
const AWS_SDK_VARIABLES = ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL_ECS'];
const RUNWAY_VARIABLES = Object.keys(envSchema.shape);

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  restart?: string;
  container_name?: string;
  ports?: unknown[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  environment?: string[] | Record<string, string | null>;
  entrypoint?: string[];
  volumes?: string[];
}

const composeText = readFileSync(COMPOSE_FILE, 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
/** Runway's own processes: the services built from the repository's Dockerfile. */
const runwayServices = Object.entries(services).filter(([, s]) => s.build !== undefined);

/** `NAME=value` / bare `NAME` list entries (or a mapping) → name → raw value (undefined when bare). */
function environmentOf(service: Service): Map<string, string | undefined> {
  const env = service.environment ?? [];
  if (!Array.isArray(env)) return new Map(Object.entries(env).map(([k, v]) => [k, v ?? undefined]));
  return new Map(env.map((entry) => {
    const eq = entry.indexOf('=');
    return eq < 0 ? [entry, undefined] : [entry.slice(0, eq), entry.slice(eq + 1)];
  }));
}

/** .env.example: the variables it sets, and every variable it names (set or commented out). */
function readEnvExample() {
  const set = new Map<string, string>();
  const named = new Set<string>();
  for (const line of readFileSync(ENV_EXAMPLE, 'utf8').split('\n')) {
    const active = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (active) set.set(active[1], active[2]);
    const mentioned = /^#?\s?([A-Z][A-Z0-9_]*)=/.exec(line);
    if (mentioned) named.add(mentioned[1]);
  }
  return { set, named };
}

/** Variables the compose file interpolates (`${NAME}`, `${NAME:-default}`, `${NAME:?message}`). */
const interpolated = new Set([...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));

describe('docker-compose.yml: services', () => {
  it('runs the whole stack: PostgreSQL, Temporal with a schema job, the UI, search attributes, Runway, Prometheus', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['grafana', 'postgresql', 'prometheus', 'runway-approvals', 'runway-worker', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui'],
    );
    expect(services.temporal.image).toMatch(/^temporalio\/server:1\.29\.\d+$/);
    expect(composeText).not.toContain('auto-setup');
    // The schema job comes from the admin-tools image of the same Temporal release.
    const serverVersion = services.temporal.image!.split(':')[1];
    expect(services['temporal-schema'].image).toMatch(new RegExp(`^temporalio/admin-tools:${serverVersion.replace(/\./g, '\\.')}(-|$)`));
    expect(services.temporal.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    const schemaScript = readFileSync(path.join(ROOT, 'deploy', 'temporal', 'setup-schema.sh'), 'utf8');
    for (const step of ['create', 'setup-schema -v 0.0', 'update-schema -d']) expect(schemaScript).toContain(step);
    expect(schemaScript).toContain('"temporal:temporal" "temporal_visibility:visibility"');
    expect(schemaScript).toContain('--plugin postgres12');
  });

  it('pins every image to a version (no latest, no bare name)', () => {
    for (const [name, service] of Object.entries(services)) {
      const image = service.image ?? '';
      if (service.build !== undefined) continue;
      expect({ name, image }).toEqual({ name, image: expect.stringMatching(/^[a-z0-9./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*$/) });
    }
  });

  it('gives every service a healthcheck, or makes it a one-shot that others wait for to complete', () => {
    const waitedToComplete = new Set(
      Object.values(services).flatMap((s) => Object.entries(s.depends_on ?? {}).filter(([, d]) => d.condition === 'service_completed_successfully').map(([n]) => n)),
    );
    for (const [name, service] of Object.entries(services)) {
      const kind = service.healthcheck && !service.healthcheck.disable && service.healthcheck.test ? 'healthcheck' : service.restart === 'no' && waitedToComplete.has(name) ? 'one-shot' : 'neither';
      expect({ name, kind }).not.toEqual({ name, kind: 'neither' });
      if (kind === 'healthcheck') expect({ name, restart: service.restart }).not.toEqual({ name, restart: 'no' });
    }
    // Services waited for as healthy have a healthcheck to be healthy by.
    for (const service of Object.values(services)) {
      for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
        if (condition === 'service_healthy') expect({ dep, healthcheck: Boolean(services[dep].healthcheck) }).toEqual({ dep, healthcheck: true });
      }
    }
  });

  it("runs Runway's image as worker and approvals, health through `runway healthcheck`, workers scalable", () => {
    expect(runwayServices.map(([name]) => name).sort()).toEqual(['runway-approvals', 'runway-worker']);
    expect(services['runway-worker'].command).toEqual(['worker']);
    expect(services['runway-approvals'].command).toEqual(['approvals', '--host', '0.0.0.0']);
    expect(services['runway-worker'].healthcheck?.test).toEqual(['CMD', 'runway', 'healthcheck', 'worker']);
    expect(services['runway-approvals'].healthcheck?.test).toEqual(['CMD', 'runway', 'healthcheck', 'approvals']);
    // --scale runway-worker=N: a fixed name or host port would make the second replica fail.
    expect(services['runway-worker'].container_name).toBeUndefined();
    expect(services['runway-worker'].ports).toBeUndefined();
    for (const [, service] of runwayServices) {
      expect(service.depends_on).toEqual({ 'temporal-setup': { condition: 'service_completed_successfully' } });
      expect(service.volumes).toContain('${RUNWAY_CONFIG_FILE:-./runway.config.yaml}:/etc/runway/runway.config.yaml:ro');
      expect(environmentOf(service).get('RUNWAY_CONFIG')).toBe('/etc/runway/runway.config.yaml');
    }
  });

  it("registers exactly Runway's search attributes, with their types", () => {
    const pairs = environmentOf(services['temporal-setup']).get('SEARCH_ATTRIBUTES')!.split(/\s+/);
    expect(Object.fromEntries(pairs.map((p) => p.split('=')))).toEqual(RUNWAY_SEARCH_ATTRIBUTES);
    expect(services['temporal-setup'].depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
  });
});

describe('docker-compose.yml and .env.example: variables', () => {
  it('passes Runway only variables src/config/env.ts reads (and the AWS SDK chain)', () => {
    for (const [name, service] of runwayServices) {
      const unknown = [...environmentOf(service).keys()].filter((v) => !RUNWAY_VARIABLES.includes(v) && !AWS_SDK_VARIABLES.includes(v));
      expect({ name, unknown }).toEqual({ name, unknown: [] });
    }
    // Both processes get the same environment.
    expect([...environmentOf(services['runway-approvals'])]).toEqual([...environmentOf(services['runway-worker'])]);
  });

  it('documents in .env.example every variable the file takes from .env, and names no other', () => {
    const { named } = readEnvExample();
    const passed = [...environmentOf(services['runway-worker']).entries()].filter(([, value]) => value === undefined).map(([name]) => name);
    const fromEnv = new Set([...passed, ...interpolated]);
    expect([...named].filter((n) => !fromEnv.has(n))).toEqual([]);
    expect([...fromEnv].filter((n) => !named.has(n))).toEqual([]);
    // The variables Runway needs to run for real are there to fill in.
    for (const needed of ['TEMPORAL_ADDRESS', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'GITHUB_TOKEN', 'AWS_REGION', 'RUNWAY_BUILD_ID']) expect(named).toContain(needed);
  });

  it("resolves, from .env.example as .env, to an environment Runway's parser accepts", () => {
    const { set } = readEnvExample();
    const resolved: Record<string, string> = {};
    for (const [name, value] of environmentOf(services['runway-worker'])) {
      const v = value === undefined ? set.get(name) : value.replace(/\$\{([A-Z_]+):-([^}]*)\}/g, (_, n: string, d: string) => set.get(n) || d);
      if (v !== undefined) resolved[name] = v;
    }
    const env = parseEnv(resolved);
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.RUNWAY_CONFIG).toBe('/etc/runway/runway.config.yaml');
    // Empty placeholders count as unset.
    expect(env.SLACK_BOT_TOKEN).toBeUndefined();
    expect(env.GITHUB_TOKEN).toBeUndefined();
  });

  it('writes no secret: secrets are interpolated from .env, and .env.example holds placeholders only', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [variable, value] of environmentOf(service)) {
        if (/PASSWORD|PWD|SECRET|TOKEN|API_KEY/.test(variable) && value !== undefined) expect({ name, variable, value }).toEqual({ name, variable, value: expect.stringMatching(/^\$\{[A-Z_]+(:\?[^}]*)?\}$/) });
      }
    }
    const { set } = readEnvExample();
    for (const [variable, value] of set) {
      if (/SECRET|TOKEN|API_KEY/.test(variable)) expect({ variable, value }).toEqual({ variable, value: '' });
      expect({ variable, value }).not.toEqual({ variable, value: expect.stringMatching(/xox[abp]-|xapp-|ghp_|github_pat_|AKIA[0-9A-Z]{12}|BEGIN [A-Z ]*PRIVATE KEY/) });
    }
    expect(set.get('POSTGRES_PASSWORD')).toMatch(/change-me/);
  });
});

describe('Grafana in the stack', () => {
  it("provisions dashboards/ (the dashboard's JSON) on the stack's Prometheus, with the data source the dashboard offers", () => {
    const grafana = services.grafana;
    expect(grafana.volumes).toEqual(expect.arrayContaining(['./deploy/grafana/provisioning:/etc/grafana/provisioning:ro', './dashboards:/var/lib/grafana/dashboards:ro']));
    const provider = parse(readFileSync(path.join(ROOT, 'deploy/grafana/provisioning/dashboards/runway.yml'), 'utf8')) as { providers: { type: string; options: { path: string } }[] };
    expect(provider.providers).toEqual([expect.objectContaining({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } })]);
    const sources = parse(readFileSync(path.join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: { type: string; url: string }[] };
    expect(sources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' })]);
    const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'dashboards/runway.json'), 'utf8')) as { templating: { list: { type: string; query: string }[] } };
    expect(dashboard.templating.list).toEqual([expect.objectContaining({ type: 'datasource', query: 'prometheus' })]);
  });
});

describe('deploy/prometheus.yml', () => {
  const prometheus = parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as {
    scrape_configs: { job_name: string; metrics_path?: string; dns_sd_configs?: { names: string[]; type: string; port: number }[] }[];
  };

  it('finds every runway-worker replica through Docker DNS, on the port and path the worker serves metrics on', () => {
    const job = prometheus.scrape_configs.find((j) => j.job_name === 'runway-worker')!;
    expect(job.metrics_path).toBe('/metrics');
    expect(job.dns_sd_configs).toEqual([expect.objectContaining({ names: ['runway-worker'], type: 'A' })]);
    // The worker's default metrics port (RUNWAY_METRICS_PORT), which the stack leaves as it is.
    const defaults = parseEnv({}) as Record<string, unknown>;
    expect(job.dns_sd_configs![0].port).toBe(defaults.RUNWAY_METRICS_PORT);
    expect(environmentOf(services['runway-worker']).has('RUNWAY_METRICS_PORT')).toBe(false);
    expect(services.prometheus.volumes).toContain('./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });
});

/** Prometheus's own checker (Debian's `prometheus` package; .ci/run installs it). */
const promtool = spawnSync(process.env.RUNWAY_PROMTOOL ?? 'promtool', ['--version'], { encoding: 'utf8' });
const promtoolMissing = promtool.status === 0 ? undefined : `no promtool (${promtool.error ? 'not found' : `exit ${promtool.status}`}); apt-get install prometheus brings it`;
if (promtoolMissing && !process.env.CI) process.stderr.write(`docker-compose.test.ts: skipping promtool check config: ${promtoolMissing}\n`);

describe('deploy/prometheus.yml: promtool check config', () => {
  const check = (file: string) => spawnSync(process.env.RUNWAY_PROMTOOL ?? 'promtool', ['check', 'config', file], { encoding: 'utf8' });

  (promtoolMissing && !process.env.CI ? it.skip : it)('is a valid Prometheus configuration, and promtool refuses a broken one', () => {
    if (promtoolMissing) throw new Error(promtoolMissing);
    const valid = check(PROMETHEUS_CONFIG);
    expect({ status: valid.status, output: `${valid.stdout}${valid.stderr}` }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runway-prometheus-'));
    try {
      const broken = path.join(dir, 'prometheus.yml');
      writeFileSync(broken, readFileSync(PROMETHEUS_CONFIG, 'utf8').replace('type: A', 'type: AAAAA'));
      expect(check(broken).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A Compose v2+ binary: [command, ...args before the subcommand], or why there is none. */
function findCompose(): { command: string[]; version: string } | { missing: string } {
  const candidates: string[][] = [];
  if (process.env.RUNWAY_COMPOSE) candidates.push([process.env.RUNWAY_COMPOSE]);
  candidates.push(['docker', 'compose'], ['docker-compose'], [path.join(runwayCacheDir(`compose-${COMPOSE_VERSION}`), 'docker-compose')]);
  const tried: string[] = [];
  for (const command of candidates) {
    const probe = spawnSync(command[0], [...command.slice(1), 'version', '--short'], { encoding: 'utf8' });
    const version = probe.stdout?.trim() ?? '';
    // Compose v1 (Debian's docker-compose 1.29, Python) is past its end of life (2023) and is not what
    // `docker compose` runs today: only v2+ (the Go implementation) counts as the real check.
    if (probe.status === 0 && /^v?([2-9]|\d{2,})\./.test(version)) return { command, version };
    tried.push(`${command.join(' ')}: ${probe.error ? 'not found' : `${version || probe.stderr?.trim().split('\n')[0] || `exit ${probe.status}`}`}`);
  }
  return { missing: `no Docker Compose v2+ (${tried.join('; ')}); bash scripts/ensure-compose.sh builds one` };
}

const compose_ = findCompose();
const composeTest = 'missing' in compose_ && !process.env.CI ? it.skip : it;
if ('missing' in compose_ && !process.env.CI) process.stderr.write(`docker-compose.test.ts: skipping the compose config checks: ${compose_.missing}\n`);

describe('docker compose config', () => {
  let dir: string;
  beforeAll(() => {
    // A copy of what compose reads, with .env.example as .env: a developer's own .env stays out.
    dir = mkdtempSync(path.join(os.tmpdir(), 'runway-compose-'));
    cpSync(COMPOSE_FILE, path.join(dir, 'docker-compose.yml'));
    cpSync(path.join(ROOT, 'deploy'), path.join(dir, 'deploy'), { recursive: true });
    cpSync(ENV_EXAMPLE, path.join(dir, '.env'));
    cpSync(path.join(ROOT, 'runway.config.yaml'), path.join(dir, 'runway.config.yaml'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `compose config` in `dir`, with no variable of this process's environment leaking in. */
  function config(args: string[] = [], files = ['docker-compose.yml']) {
    if ('missing' in compose_) throw new Error(compose_.missing);
    const [command, ...pre] = compose_.command;
    return spawnSync(command, [...pre, ...files.flatMap((f) => ['-f', f]), '--project-name', 'runway', 'config', ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: dir },
    });
  }

  composeTest('accepts the file and resolves Runway\'s environment from .env', () => {
    const result = config(['--format', 'json']);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    const normalized = JSON.parse(result.stdout) as { services: Record<string, { environment?: Record<string, string | null>; healthcheck?: unknown; deploy?: unknown }> };
    expect(Object.keys(normalized.services).sort()).toEqual(Object.keys(services).sort());
    for (const name of ['runway-worker', 'runway-approvals']) {
      const environment = Object.fromEntries(Object.entries(normalized.services[name].environment ?? {}).filter(([, v]) => v !== null)) as Record<string, string>;
      // Only what .env sets arrives; the stack's own variables (POSTGRES_PASSWORD) do not.
      expect(Object.keys(environment).filter((v) => !RUNWAY_VARIABLES.includes(v) && !AWS_SDK_VARIABLES.includes(v))).toEqual([]);
      expect(environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', RUNWAY_CONFIG: '/etc/runway/runway.config.yaml', RUNWAY_TASK_QUEUE: 'runway' });
      expect(environment).not.toHaveProperty('AWS_SECRET_ACCESS_KEY');
      expect(() => parseEnv(environment)).not.toThrow();
    }
    expect(normalized.services.temporal).toMatchObject({ environment: expect.objectContaining({ POSTGRES_PWD: 'change-me-before-the-first-start' }) });
    process.stdout.write(`docker-compose.test.ts: validated with Docker Compose ${'version' in compose_ ? compose_.version : ''}\n`);
  });

  composeTest('refuses to start without POSTGRES_PASSWORD, naming it', () => {
    const env = readFileSync(path.join(dir, '.env'), 'utf8');
    try {
      writeFileSync(path.join(dir, '.env'), env.replace(/^POSTGRES_PASSWORD=.*$/m, ''));
      const result = config(['--quiet']);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('set POSTGRES_PASSWORD in .env');
    } finally {
      writeFileSync(path.join(dir, '.env'), env);
    }
  });

  composeTest('is a real validation: a wrong depends_on condition and an unknown key are refused', () => {
    writeFileSync(path.join(dir, 'broken-condition.yml'), composeText.replace('condition: service_completed_successfully', 'condition: service_finished'));
    expect(config(['--quiet'], ['broken-condition.yml']).status).not.toBe(0);
    writeFileSync(path.join(dir, 'broken-key.yml'), composeText.replace('    command: ["worker"]', '    command: ["worker"]\n    healthckeck: {}'));
    const result = config(['--quiet'], ['broken-key.yml']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('healthckeck');
  });

  it('has every file the stack mounts from the repository (./secrets is the operator\'s)', () => {
    const sources = Object.values(services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1').split(':')[0]!)
      .filter((source) => source.startsWith('./') && source !== './secrets');
    expect(sources).toEqual(expect.arrayContaining(['./deploy/temporal', './deploy/prometheus.yml', './deploy/temporal/dynamicconfig.yaml', './runway.config.yaml']));
    expect(sources.filter((source) => !existsSync(path.join(ROOT, source)))).toEqual([]);
  });
});
