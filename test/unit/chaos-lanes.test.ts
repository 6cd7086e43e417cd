/**
 * The lane chaos's count of overlapping deployments, fed synthetic sandbox logs: each change of a
 * service is traced to the release whose image it carries, and a release changing the service
 * again after another had begun is an overlap.
 */
import { runsOf, serviceTrace } from '../../bench/support/chaos-lanes';
import type { SandboxCall } from '../../src/sandbox';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const td = (v: string, env: string) => `arn:aws:ecs:us-east-1:0:task-definition/svc-${env}:${v.slice(0, 1)}`;
const versions = new Map([
  [td(A, 'staging'), A],
  [td(A, 'production'), A],
  [td(B, 'staging'), B],
  [td(B, 'production'), B],
]);
let seq = 0;
const register = (v: string, env: string): SandboxCall => ({ seq: ++seq, at: '', operation: 'RegisterTaskDefinition', status: 200, request: { family: `svc-${env}`, containerDefinitions: [{ image: `repo/svc:${v}` }] } });
const update = (service: string, taskDefinition?: string, status = 200): SandboxCall => ({ seq: ++seq, at: '', operation: 'UpdateService', status, request: { service, ...(taskDefinition ? { taskDefinition } : {}) } });

describe('lane chaos: overlapping deployments counted at the sandbox', () => {
  it('one release after the other: two runs, no overlap', () => {
    const calls = [register(A, 'staging'), update('svc', td(A, 'staging')), register(A, 'production'), update('svc-canary', td(A, 'production')), update('svc-canary'), update('svc', td(A, 'production')), register(B, 'staging'), update('svc', td(B, 'staging'))];
    const trace = serviceTrace(calls, 'svc', versions, new Set());
    expect(runsOf(trace)).toEqual({ runs: [A, B], returns: [] });
  });

  it('a release changing the service after another had begun is an overlap; other services, failed calls and initial task definitions are not counted', () => {
    const calls = [
      register(A, 'staging'),
      update('svc', td(A, 'staging')),
      register(B, 'staging'),
      update('other', td(A, 'production')),
      update('svc', 'arn:initial', 200),
      update('svc', td(B, 'staging'), 400),
      update('svc-canary', td(A, 'production')),
    ];
    const trace = serviceTrace(calls, 'svc', versions, new Set(['arn:initial']));
    expect(trace).toEqual([A, A, B, A]);
    expect(runsOf(trace)).toEqual({ runs: [A, B], returns: [A] });
  });
});
