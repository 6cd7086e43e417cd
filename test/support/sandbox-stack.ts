/**
 * A sandbox plus a config file pointing at it, for end-to-end tests: the repository's sample
 * config with the sandbox's real address and short durations.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import type { RecordedCalls } from '../../src/stack/call-summary';
import { sandboxClientEnv, sandboxMetricsTargets, sandboxSeed } from '../../src/stack/sandbox-seed';
import { testTemporalAddress, uniqueId } from './temporal';

export interface SandboxStack {
  sandbox: Sandbox;
  configFile: string;
  /** Environment for `runway` processes: Temporal, task queue, config, sandbox endpoints. */
  env: Record<string, string>;
  calls: () => Promise<RecordedCalls>;
  setScenario: (scenario: unknown) => Promise<void>;
}

export interface SandboxStackOptions {
  bake?: string;
  deploymentDelayMs?: number;
  /**
   * The sample service under another name (its repo, image and ECS services renamed with it).
   * Runway's production records are per service across the test run's dev server, so a test
   * that rolls back uses a service no other test releases. @default checkout
   */
  service?: string;
}

export async function startSandboxStack(options: SandboxStackOptions = {}): Promise<SandboxStack> {
  const sampleFile = readFileSync(path.join(__dirname, '../../runway.config.yaml'), 'utf8');
  const sample = options.service ? sampleFile.replaceAll('checkout', options.service) : sampleFile;
  const config = parseConfig(sample, 'runway.config.yaml');
  const sandbox = await startSandbox({ port: 0, services: sandboxSeed(config), metricsTargets: sandboxMetricsTargets(config), deploymentDelayMs: options.deploymentDelayMs ?? 300 });
  const text = sample.replaceAll('http://127.0.0.1:4010', sandbox.url).replace('bake: 2s', `bake: ${options.bake ?? '1s'}`);
  const configFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'runway-e2e-')), 'runway.config.yaml');
  writeFileSync(configFile, text);
  return {
    sandbox,
    configFile,
    env: {
      ...sandboxClientEnv(sandbox.url),
      TEMPORAL_ADDRESS: testTemporalAddress(),
      RUNWAY_TASK_QUEUE: uniqueId('e2e'),
      RUNWAY_CONFIG: configFile,
    },
    calls: async () => (await (await fetch(`${sandbox.url}/_sandbox/calls`)).json()) as RecordedCalls,
    setScenario: async (scenario) => {
      const res = await fetch(`${sandbox.url}/_sandbox/scenario`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(scenario) });
      if (!res.ok) throw new Error(`scenario refused: ${res.status}`);
    },
  };
}

/** A fresh 40-hex commit SHA per test, so release ids never collide. */
export function randomSha(): string {
  return Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
}
