/**
 * Runway's task-definition copy and service updates against moto's ECS server, an ECS
 * implementation Runway's authors did not write (test/support/moto-round-trip.ts; the same run
 * as `npm run check:moto`). moto is installed into the per-user cache on first use (.ci/run does
 * it up front) and runs on a loopback port for this file only.
 */
import { MOTO_RUNNING_TASKS, type MotoRoundTripReport, motoRoundTripProblems, runMotoRoundTrip } from '../support/moto-round-trip';
import { type MotoServer, startMoto } from '../support/moto-server';

let moto: MotoServer;
let report: MotoRoundTripReport;

beforeAll(async () => {
  // A first run installs moto from PyPI (about a minute); later runs start it in a few seconds.
  moto = await startMoto({ env: { MOTO_ECS_SERVICE_RUNNING: String(MOTO_RUNNING_TASKS) }, log: (line) => process.stderr.write(`${line}\n`) });
  report = await runMotoRoundTrip(moto.url);
}, 300_000);

afterAll(async () => {
  await moto?.stop();
});

it('registers a copy that moto describes back unchanged, field by field, differing from the source only in the image', () => {
  expect(report.fields.filter((f) => !f.same)).toEqual([]);
  expect(report.fields.map((f) => f.field).sort()).toEqual(
    ['containerDefinitions', 'cpu', 'ephemeralStorage', 'executionRoleArn', 'family', 'memory', 'networkMode', 'requiresCompatibilities', 'runtimePlatform', 'tags', 'taskRoleArn', 'volumes'].sort(),
  );
  expect(report.sourceLostByMoto).toEqual([]);
  expect(report.differencesFromSource).toEqual([expect.stringMatching(/^containerDefinitions\.0\.image: ".*checkout:v1" → ".*checkout@sha256:(ab12){16}"$/)]);
});

it('finds the revision it registered on a retry, and reads moto’s services before and after its updates', () => {
  expect(report.retryPrepare).toEqual({ taskDefinitionArn: report.firstPrepare.taskDefinitionArn, registered: false });
  expect(report.registerCalls).toBe(1);
  expect(report.update).toEqual({ changed: true, previous: { taskDefinition: report.sourceArn, desiredCount: 2, runningCount: 2 } });
  expect(report.describeAfter.taskDefinition).toBe(report.firstPrepare.taskDefinitionArn);
  expect(report.updateRetry).toEqual({ changed: false });
  expect(motoRoundTripProblems(report)).toEqual([]);
});

it('accepts moto’s deployments: the running one is complete, the new one (which moto never starts) is not deploying', () => {
  expect(report.waitForCurrent).toEqual({ runningCount: MOTO_RUNNING_TASKS });
  expect(report.waitForNew).toEqual({ type: 'DeploymentFailed', message: expect.stringMatching(/is not deploying .*checkout-staging:2 \(PRIMARY runs .*checkout-staging:1;/) });
});

it('fails the round trip when a field comes back changed or a reading goes wrong', () => {
  const tampered = JSON.parse(JSON.stringify(report)) as MotoRoundTripReport;
  tampered.fields[0] = { field: 'cpu', same: false, registered: '512', described: '256' };
  tampered.retryPrepare = { ...tampered.retryPrepare, registered: true };
  expect(motoRoundTripProblems(tampered)).toEqual([
    'cpu did not round-trip: registered "512", described "256"',
    expect.stringMatching(/^a retried prepareTaskDefinition should reuse /),
  ]);
});
