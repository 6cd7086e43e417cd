/** Which deployment and build `runway worker` declares, from the environment or Runway's package.json. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EnvError, parseEnv } from '../../src/config/env';
import { runwayPackageVersion, workerDeploymentOptions, workerVersionFromEnv } from '../../src/temporal/worker-deployment';

const fromEnv = (vars: Record<string, string>) => workerVersionFromEnv(parseEnv(vars), () => '1.2.3');

describe('worker version from the environment', () => {
  it('takes the build id from the package version and the deployment name from the task queue by default', () => {
    expect(fromEnv({})).toEqual({ deploymentName: 'runway', buildId: '1.2.3', buildIdFrom: 'package.json', deploymentNameFrom: 'RUNWAY_TASK_QUEUE' });
    expect(fromEnv({ RUNWAY_TASK_QUEUE: 'payments-releases' })).toMatchObject({ deploymentName: 'payments-releases' });
  });

  it('takes RUNWAY_BUILD_ID and RUNWAY_DEPLOYMENT_NAME when set (trimmed; empty means unset)', () => {
    expect(fromEnv({ RUNWAY_BUILD_ID: ' 2026-12-01.4f3a9c1 ', RUNWAY_DEPLOYMENT_NAME: 'runway-prod' })).toEqual({
      deploymentName: 'runway-prod',
      buildId: '2026-12-01.4f3a9c1',
      buildIdFrom: 'RUNWAY_BUILD_ID',
      deploymentNameFrom: 'RUNWAY_DEPLOYMENT_NAME',
    });
    expect(fromEnv({ RUNWAY_BUILD_ID: '', RUNWAY_DEPLOYMENT_NAME: ' ' })).toMatchObject({ buildId: '1.2.3', deploymentName: 'runway' });
  });

  it('declares no version with RUNWAY_WORKER_VERSIONING=off', () => {
    expect(fromEnv({ RUNWAY_WORKER_VERSIONING: 'off' })).toBeUndefined();
    expect(fromEnv({ RUNWAY_WORKER_VERSIONING: 'OFF' })).toBeUndefined();
    expect(fromEnv({ RUNWAY_WORKER_VERSIONING: 'on' })).toBeDefined();
  });

  it.each([
    [{ RUNWAY_BUILD_ID: '__unversioned__' }, 'RUNWAY_BUILD_ID: "__unversioned__" is reserved by Temporal for unversioned workers'],
    [{ RUNWAY_BUILD_ID: 'x'.repeat(256) }, 'RUNWAY_BUILD_ID: "xxxxxxxxxxxxxxxxxxxx…" is 256 characters long (at most 255)'],
    [{ RUNWAY_DEPLOYMENT_NAME: 'runway.prod' }, `RUNWAY_DEPLOYMENT_NAME: "runway.prod" contains ".", which Temporal's worker deployment names cannot contain`],
    [{ RUNWAY_DEPLOYMENT_NAME: 'runway:prod' }, 'RUNWAY_DEPLOYMENT_NAME: "runway:prod" contains ":"'],
    [{ RUNWAY_WORKER_VERSIONING: 'maybe' }, 'RUNWAY_WORKER_VERSIONING: "maybe" is neither on nor off'],
  ])('refuses %j naming the variable', (vars, message) => {
    expect(() => parseEnv(vars)).toThrow(EnvError);
    expect(() => parseEnv(vars)).toThrow(message);
  });

  it('refuses a task queue name that cannot be the default deployment name only when a worker needs it', () => {
    const env = parseEnv({ RUNWAY_TASK_QUEUE: 'runway.prod' }); // other commands do not care
    expect(() => workerVersionFromEnv(env, () => '1.2.3')).toThrow(
      'RUNWAY_DEPLOYMENT_NAME: not set, and its default, the task queue name (RUNWAY_TASK_QUEUE), cannot be used: "runway.prod" contains "."',
    );
    expect(workerVersionFromEnv(parseEnv({ RUNWAY_TASK_QUEUE: 'runway.prod', RUNWAY_DEPLOYMENT_NAME: 'runway-prod' }), () => '1.2.3')).toMatchObject({ deploymentName: 'runway-prod' });
  });

  it("reads the build id from Runway's own package.json", () => {
    const { version } = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(runwayPackageVersion()).toBe(version);
    expect(workerVersionFromEnv(parseEnv({}))).toMatchObject({ buildId: version, buildIdFrom: 'package.json' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runway-version-'));
    writeFileSync(path.join(dir, 'package.json'), '{"name":"runway"}');
    expect(() => runwayPackageVersion(path.join(dir, 'package.json'))).toThrow('has no version; set RUNWAY_BUILD_ID');
  });

  it('pins every workflow to the declared build', () => {
    expect(workerDeploymentOptions({ deploymentName: 'runway', buildId: '1.2.3' })).toEqual({
      useWorkerVersioning: true,
      version: { deploymentName: 'runway', buildId: '1.2.3' },
      defaultVersioningBehavior: 'PINNED',
    });
  });
});
