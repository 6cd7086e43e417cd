/**
 * Determinism guard: histories recorded from real releases (scripts/record-histories.ts) must
 * replay against the current workflow code. A change that would break releases in flight
 * fails here: ship it as a new worker build, or guard it with patched() when it must reach
 * releases already in flight (README, "Upgrading Runway"), instead of editing these files.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle } from '../support/temporal';
import { quietLogger } from '../support/activity-env';
import { loadPayloadKeys } from '../../src/config/payload-keys';
import { AesGcmPayloadCodec } from '../../src/temporal/payload-codec';

const dir = path.join(__dirname, '../histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

/**
 * The workflow id a history is replayed under. Releases do not depend on it (the file name will
 * do); the GitHub writer names its parked batches after its own id, which the history keeps in
 * those children's ids.
 */
function recordedWorkflowId(file: string): string {
  const text = readFileSync(path.join(dir, file), 'utf8');
  return /"workflowId":\s*"([^"]+):parked:/.exec(text)?.[1] ?? file;
}

/** The activity types a recorded history scheduled, in order. */
function activities(file: string): string[] {
  type Event = { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } };
  const { events } = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { events: Event[] };
  return events.flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
}

/** The patches a recorded history's markers name, in order. */
function patches(file: string): string[] {
  type Event = { markerRecordedEventAttributes?: { details?: Record<string, { payloads?: { data: string }[] }> } };
  const { events } = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { events: Event[] };
  return events.flatMap((e) => {
    const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [(JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id] : [];
  });
}

describe('recorded release histories', () => {
  it('has the representative stories recorded', () => {
    // One per path a release can take (scripts/record-histories.ts); add one per new behaviour.
    expect(files.sort()).toEqual([
      'aborted-by-operator.json',
      'break-glass-released.json',
      'break-glass-verified.json',
      'frozen-then-released.json',
      // The installation's GitHub writer: parking a backlog in batches, granting build dispatches write slots, moving to a new run once its history grew by its byte limit (test/workflow/github-writer.test.ts records them).
      'github-writer-granted-slots.json',
      'github-writer-history-bytes-bounded.json',
      'github-writer-parked-backlog.json',
      'held-then-resumed.json',
      // A service's lane (test/workflow/release-lanes.test.ts records them, with RUNWAY_RECORD_HISTORIES=1): freed by its holder's word that it was leaving, then a holder terminated found by a newcomer; three admitted while one held it, before a newcomer looked at the holder; a newcomer finding its holder closed.
      'lane-freed-by-leaving-word.json',
      'lane-looked-at-closed-holder.json',
      'lane-queued-three.json',
      'rejected-as-failed.json',
      'rejected.json',
      'released-after-watch.json',
      'released-blue-green.json',
      'released-ecs-canary.json',
      'released-ecs-linear.json',
      // Telling the service's lane, as the last step, that the run is leaving (released, rolled back, a rollback).
      'released-saying-leaving.json',
      'released-through-github-writer.json',
      'released-through-lane.json',
      // Every Slack item handed to the run's messenger from the main flow (test/workflow/slack-under-load.test.ts records it and the messenger's).
      'released-through-slack-messenger.json',
      // Its messenger telling it (a signal) that the final update was sent (test/workflow/release-slack-sent-signal.test.ts records it and the messenger's).
      'released-told-by-slack-messenger.json',
      'released-with-markers.json',
      // verifyDecision scheduled with priority key 1 (released-with-proven-decisions has it without).
      'released-with-prioritised-verification.json',
      'released-with-proven-decisions.json',
      // Sentry deploys and the finalizing scheduled by the main flow, each making sure of the release (scripts/record-histories.ts).
      'released-with-stand-alone-markers.json',
      // The final Slack update withdrawing one still waiting for its turn (test/workflow/slack-under-load.test.ts records it).
      'released-withdrawing-slack-update.json',
      'released.json',
      'rollback-of-release.json',
      'rollback-proven.json',
      'rollback-saying-leaving.json',
      'rollback-through-github-writer.json',
      'rollback-through-lane.json',
      'rolled-back-as-failed.json',
      'rolled-back-bad-image.json',
      'rolled-back-by-watch.json',
      'rolled-back-canary.json',
      'rolled-back-ecs-canary.json',
      'rolled-back-saying-leaving.json',
      'rolled-back-smoke.json',
      'rolled-back-through-github-writer.json',
      // Rolled back while the GitHub writer refused its records, handed over in the background (test/workflow/release-records-in-background.test.ts records it).
      'rolled-back-while-writer-refused.json',
      // The installation's Slack budget answering an ask that queued from its own clock, with its 1.5 s lead (test/workflow/slack-budget-clock.test.ts records it).
      'slack-budget-answers-in-time.json',
      // The installation's Slack budget giving each asker the lead it asked for, within bounds, and refusing one that is not a number (test/workflow/slack-budget-clock.test.ts records it).
      'slack-budget-askers-lead.json',
      // The installation's Slack budget handing two workers' pacers their send times (test/workflow/slack-under-load.test.ts records it).
      'slack-budget-two-workers.json',
      // A messenger started with its Slack calls' heartbeat timeout in its input, 30 s (test/workflow/release-slack-messenger.test.ts records it).
      'slack-messenger-call-heartbeat-30s.json',
      // The run's messenger posting, withdrawing an update stuck in Slack's line when the final came, sending the final.
      'slack-messenger-telling-release.json',
      // A messenger whose calls were told to come back for their turn with Slack, waiting on timers; a final overtaking a waiting update (test/workflow/release-slack-messenger.test.ts records it).
      'slack-messenger-turns.json',
      'slack-messenger-withdrawing-update.json',
    ]);
  });

  it('holds both endings of a release that did not reach production: completed before the change, failed carrying its outcome since', () => {
    const last = (file: string) => {
      type Ending = { eventType: string; workflowExecutionFailedEventAttributes: { failure: { message: string; applicationFailureInfo: unknown } } };
      const { events } = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { events: Ending[] };
      return events[events.length - 1]!;
    };
    expect(last('rolled-back-canary.json').eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    for (const [file, message] of [
      ['rolled-back-as-failed.json', /^rolled-back: canary analysis failed at 10%/],
      ['rejected-as-failed.json', /^rejected: /],
    ] as const) {
      const ending = last(file);
      expect(ending.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_FAILED');
      const failure = ending.workflowExecutionFailedEventAttributes.failure;
      expect(failure.applicationFailureInfo).toMatchObject({ type: 'ReleaseNotReleased', nonRetryable: true });
      expect(failure.message).toMatch(message);
    }
  });

  it('holds both ways of writing deployment records: by the release before the GitHub writer, handed to it since', () => {
    expect(activities('released.json')).toContain('createDeployment');
    for (const file of ['released-through-github-writer.json', 'rolled-back-through-github-writer.json', 'rollback-through-github-writer.json']) {
      expect(activities(file)).toContain('queueGitHubRecord');
      expect(activities(file).filter((name) => ['createDeployment', 'setDeploymentStatus', 'restorePreviousDeployment'].includes(name))).toEqual([]);
    }
  });

  it('holds both ways a release hands its records to the writer: each awaited before the change, in the background since', () => {
    expect(patches('rolled-back-through-github-writer.json')).not.toContain('github-records-in-background');
    expect(patches('rolled-back-while-writer-refused.json')).toContain('github-records-in-background');
    expect(activities('rolled-back-while-writer-refused.json').filter((name) => name === 'queueGitHubRecord')).toHaveLength(3);
  });

  it('holds both ways of talking to Slack: by the release before the messenger, handed to its messenger since', () => {
    expect(activities('released-withdrawing-slack-update.json')).toEqual(expect.arrayContaining(['postReleaseMessage', 'updateReleaseMessage']));
    const handedOver = activities('released-through-slack-messenger.json');
    expect(handedOver).toContain('handSlackItemsOver');
    expect(handedOver.filter((name) => ['postReleaseMessage', 'updateReleaseMessage', 'postThreadReply'].includes(name))).toEqual([]);
    // The update withdrawn by the final and the final itself, both after the post.
    expect(activities('slack-messenger-withdrawing-update.json')).toEqual(['postReleaseMessage', 'updateReleaseMessage', 'updateReleaseMessage']);
    // A messenger whose input names its calls' heartbeat timeout (30 s) schedules them with it.
    expect(readFileSync(path.join(dir, 'slack-messenger-call-heartbeat-30s.json'), 'utf8')).toContain('"heartbeatTimeout": "30s"');
  });

  it('holds both ways a messenger waits for its turn with Slack: in the activity before the change, on its own timer since', () => {
    expect(patches('slack-messenger-withdrawing-update.json')).not.toContain('slack-messenger-turns');
    expect(patches('slack-messenger-turns.json')).toContain('slack-messenger-turns');
    expect(activities('slack-messenger-turns.json')).toEqual(Array(6).fill('sendSlackInTurn'));
  });

  it('holds both ways a release waits for its final Slack update: a hand-over waiting until sent before the change, its messenger\'s word since', () => {
    const text = (file: string) => readFileSync(path.join(dir, file), 'utf8');
    const patch = Buffer.from('slack-sent-signal').toString('base64').replace(/=+$/, '');
    expect(text('released-through-slack-messenger.json')).not.toContain(patch);
    expect(text('released-told-by-slack-messenger.json')).toContain(patch);
    expect(text('released-told-by-slack-messenger.json')).toContain('"signalName": "releaseSlackSent"');
    expect(text('slack-messenger-telling-release.json')).toContain('"signalName": "releaseSlackSent"');
  });

  it('holds both ways of marking Sentry: deploys after the release’s creation before the change, each standing alone since', () => {
    // The patch id as the history's marker carries it (base64, without the padding the payload's own end decides).
    const patch = Buffer.from('sentry-markers-stand-alone').toString('base64').replace(/=+$/, '');
    const text = (file: string) => readFileSync(path.join(dir, file), 'utf8');
    expect(text('released-with-markers.json')).not.toContain(patch);
    expect(text('released-with-stand-alone-markers.json')).toContain(patch);
    expect(activities('released-with-stand-alone-markers.json')).toEqual(expect.arrayContaining(['createSentryRelease', 'recordSentryDeploy', 'finalizeSentryRelease']));
  });

  it.each(files)('%s replays against the current workflow code', async (file) => {
    // The JSON of `temporal workflow show --output json`, as the replayer takes it.
    const history: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, recordedWorkflowId(file))).resolves.toBeUndefined();
  });
});

/**
 * The real release workflow with two neighbouring steps swapped, as someone might do by hand:
 * staging's GitHub deployment record is created after the task definition is prepared rather
 * than before. workflows/ is copied to a temp dir at test time (imports that leave workflows/
 * made absolute), and bundled once per variant for this file.
 */
const REPO = path.join(__dirname, '../..');
const WORKFLOWS = path.join(REPO, 'workflows');
const STAGING_STAGE = 'stages/staging.ts';
const NEWEST_RELEASED = 'released.json';
const CREATE_RECORD = "  await release.deployments.create('staging', `${release.shortVersion} deploying`);\n";
const PREPARE_TD = '  const stagingTd = await acts.ecs.prepareTaskDefinition({ source: plan.staging, container: plan.container, image: state.image });\n';
const ORIGINAL_ORDER = CREATE_RECORD + PREPARE_TD;
const SWAPPED_ORDER = PREPARE_TD + CREATE_RECORD;
const GUARDED_ORDER = [
  "  let stagingTd: { taskDefinitionArn: string };\n",
  "  if (patched('replay-test-staging-order')) {\n",
  `  ${PREPARE_TD.replace('const stagingTd', 'stagingTd')}`,
  `  ${CREATE_RECORD}`,
  '  } else {\n',
  `  ${CREATE_RECORD}`,
  `  ${PREPARE_TD.replace('const stagingTd', 'stagingTd')}`,
  '  }\n',
].join('');

/** The .ts files under `dir`, as paths relative to it. */
function tsFiles(dir: string, under = ''): string[] {
  return readdirSync(path.join(dir, under), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(under, entry.name);
    if (entry.isDirectory()) return tsFiles(dir, relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

/** workflows/ copied to `dir` with the staging stage's steps replaced by `order`; throws when the anchor is gone. */
function workflowsVariant(dir: string, order: string): string {
  for (const file of tsFiles(WORKFLOWS)) {
    const source = path.join(WORKFLOWS, file);
    let text = readFileSync(source, 'utf8');
    // The copy lives outside the repo: imports that leave workflows/ point at the real files.
    text = text.replace(/(from\s+|import\s*\(\s*)(['"])(\.\.?\/[^'"]*)\2/g, (match, lead: string, quote: string, specifier: string) => {
      const target = path.resolve(path.dirname(source), specifier);
      return target.startsWith(WORKFLOWS + path.sep) ? match : `${lead}${quote}${target}${quote}`;
    });
    if (file === STAGING_STAGE) {
      const at = text.indexOf(ORIGINAL_ORDER);
      if (at < 0 || text.indexOf(ORIGINAL_ORDER, at + 1) >= 0) {
        throw new Error(`workflows/${STAGING_STAGE} no longer has exactly one "deployments.create('staging', ...)" followed by "prepareTaskDefinition(...)": update ORIGINAL_ORDER in ${path.relative(REPO, __filename)}`);
      }
      text = text.slice(0, at) + order + text.slice(at + ORIGINAL_ORDER.length);
      if (order === GUARDED_ORDER) text = `import { patched } from '@temporalio/workflow';\n${text}`;
    }
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

async function bundleVariant(dir: string): Promise<{ code: string }> {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const { code } = await bundleWorkflowCode({
    workflowsPath: dir,
    logger: quietLogger,
    // Packages (@temporalio/workflow, ...) resolve from the repository's node_modules.
    webpackConfigHook: (config) => ({
      ...config,
      resolve: { ...config.resolve, modules: [...(config.resolve?.modules ?? ['node_modules']), path.join(REPO, 'node_modules')] },
    }),
  });
  return { code };
}

async function replayError(bundle: { code: string }, file: string): Promise<Error | undefined> {
  const history: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  return Worker.runReplayHistory({ workflowBundle: bundle }, history, file).then(
    () => undefined,
    (err: Error) => err,
  );
}

describe('the determinism guard, on the real release workflow', () => {
  let temp: string;
  let swapped: { code: string };
  let guarded: { code: string };

  beforeAll(async () => {
    temp = mkdtempSync(path.join(os.tmpdir(), 'runway-replay-'));
    // Made before bundling, so a missing anchor fails here, loudly, before any replay runs.
    const swappedDir = workflowsVariant(path.join(temp, 'swapped'), SWAPPED_ORDER);
    const guardedDir = workflowsVariant(path.join(temp, 'guarded'), GUARDED_ORDER);
    swapped = await bundleVariant(swappedDir);
    guarded = await bundleVariant(guardedDir);
  }, 240_000);

  afterAll(() => {
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  it('the variants really differ from the real staging stage where intended', () => {
    const swappedText = readFileSync(path.join(temp, 'swapped', STAGING_STAGE), 'utf8');
    expect(swappedText).toContain(SWAPPED_ORDER);
    expect(swappedText).not.toContain(ORIGINAL_ORDER);
    expect(readFileSync(path.join(temp, 'guarded', STAGING_STAGE), 'utf8')).toContain("patched('replay-test-staging-order')");
  });

  it(`catches an unguarded swap of two neighbouring steps replaying ${NEWEST_RELEASED}`, async () => {
    const error = await replayError(swapped, NEWEST_RELEASED);
    expect(error).toBeInstanceOf(DeterminismViolationError);
    // ...because of the swap: the history's next step is the GitHub record, the code's the task definition.
    expect(error?.message).toMatch(/Nondeterminism.*'createDeployment'.*'prepareTaskDefinition'/s);
  });

  it('lets the same swap through when it is guarded with patched(): old histories replay the old order', async () => {
    expect(await replayError(guarded, NEWEST_RELEASED)).toBeUndefined();
    expect(await replayError(guarded, 'rolled-back-smoke.json')).toBeUndefined();
    expect(await replayError(guarded, 'rejected.json')).toBeUndefined();
  });
});

describe('recorded histories with encrypted payloads', () => {
  const encryptedDir = path.join(dir, 'encrypted');
  const encryptedFiles = readdirSync(encryptedDir).filter((f) => f.endsWith('.json'));
  const keys = loadPayloadKeys({ RUNWAY_PAYLOAD_KEY_FILE: path.join(encryptedDir, 'payload.keys') });
  const history = (file: string): unknown => JSON.parse(readFileSync(path.join(encryptedDir, file), 'utf8'));

  it('has one recorded (scripts/record-histories.ts, story released-encrypted)', () => {
    expect(encryptedFiles).toEqual(['released-encrypted.json']);
  });

  it.each(encryptedFiles)('%s replays with the payload key', async (file) => {
    const dataConverter = { payloadCodecs: [new AesGcmPayloadCodec(keys)] };
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle(), dataConverter }, history(file), file)).resolves.toBeUndefined();
  });

  it.each(encryptedFiles)('%s fails clearly without it: no codec, or another key', async (file) => {
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history(file), file)).rejects.toThrow(/binary\/encrypted/);
    const otherKey = { payloadCodecs: [new AesGcmPayloadCodec([{ kid: 'other', key: Buffer.alloc(32, 7) }])] };
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle(), dataConverter: otherKey }, history(file), file)).rejects.toThrow(/encrypted with key histories, which this process does not have/);
  });
});
