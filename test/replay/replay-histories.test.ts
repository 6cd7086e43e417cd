/**
 * Determinism guard: histories recorded from real releases (scripts/record-histories.ts) must
 * replay against the current workflow code. A change that would break releases in flight
 * fails here; guard it with patched() (see the README) instead of editing these files.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle } from '../harness/temporal';
import { quietLogger } from '../support/activity-env';

const dir = path.join(__dirname, '../histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('recorded release histories', () => {
  it('has the representative stories recorded', () => {
    expect(files.sort()).toEqual([
      // Recorded before the release-v2 patch: releases in flight then must still replay.
      'aborted-by-operator.json',
      'rejected.json',
      'released.json',
      'rolled-back-bad-image.json',
      'rolled-back-smoke.json',
      // Recorded on release v2 (dispatched build, canary analysis, migration-ready, ...).
      'v2-aborted-by-operator.json',
      'v2-rejected.json',
      'v2-released.json',
      'v2-rolled-back-canary.json',
      'v2-rolled-back-smoke.json',
      // Recorded on release v3 (CI-green rule, evidence-based canary steps, Slack in the background, ...).
      'v3-aborted-by-operator.json',
      'v3-held-then-resumed.json',
      'v3-rejected.json',
      'v3-released.json',
      'v3-rolled-back-canary.json',
      'v3-rolled-back-smoke.json',
    ]);
  });

  it.each(files)('%s replays against the current workflow code', async (file) => {
    // The JSON of `temporal workflow show --output json`, as the replayer takes it.
    const history: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, file)).resolves.toBeUndefined();
  });
});

/**
 * The real release workflow with two neighbouring steps swapped, as someone might do by hand:
 * staging's GitHub deployment record is created after the task definition is prepared rather
 * than before. Copied to a temp dir at test time (imports of ../src and ../activities made
 * absolute), bundled once per variant for this file.
 */
const REPO = path.join(__dirname, '../..');
const NEWEST_RELEASED = 'v3-released.json';
const ORIGINAL_ORDER = [
  "      await recordDeployment('staging');\n",
  '      const stagingTd = await acts.ecs.prepareTaskDefinition({ source: plan.staging, container: plan.container, image });\n',
].join('');
const SWAPPED_ORDER = [
  '      const stagingTd = await acts.ecs.prepareTaskDefinition({ source: plan.staging, container: plan.container, image });\n',
  "      await recordDeployment('staging');\n",
].join('');
const GUARDED_ORDER = [
  '      let stagingTd: Awaited<ReturnType<typeof acts.ecs.prepareTaskDefinition>>;\n',
  "      if (patched('replay-test-staging-order')) {\n",
  '        stagingTd = await acts.ecs.prepareTaskDefinition({ source: plan.staging, container: plan.container, image });\n',
  "        await recordDeployment('staging');\n",
  '      } else {\n',
  "        await recordDeployment('staging');\n",
  '        stagingTd = await acts.ecs.prepareTaskDefinition({ source: plan.staging, container: plan.container, image });\n',
  '      }\n',
].join('');

/** workflows/ copied to `dir` with release.ts's staging steps replaced by `order`; throws when the anchor is gone. */
function workflowsVariant(dir: string, order: string): string {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(path.join(REPO, 'workflows')).filter((f) => f.endsWith('.ts'))) {
    let text = readFileSync(path.join(REPO, 'workflows', file), 'utf8');
    // The copy lives outside the repo: point its imports of ../src, ../activities at the real files.
    text = text.replace(/(from\s+|import\s*\(\s*)(['"])\.\.\/([^'"]*)\2/g, (_m, lead: string, quote: string, rest: string) => `${lead}${quote}${path.join(REPO, rest)}${quote}`);
    if (file === 'release.ts') {
      const at = text.indexOf(ORIGINAL_ORDER);
      if (at < 0 || text.indexOf(ORIGINAL_ORDER, at + 1) >= 0) {
        throw new Error(`workflows/release.ts no longer has exactly one staging "recordDeployment('staging')" followed by "prepareTaskDefinition(...)": update ORIGINAL_ORDER in ${path.relative(REPO, __filename)}`);
      }
      text = text.slice(0, at) + order + text.slice(at + ORIGINAL_ORDER.length);
      if (!/\bpatched\b/.test(text.slice(0, text.indexOf('export')))) throw new Error('release.ts no longer imports patched from @temporalio/workflow');
    }
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

  it('the variants really differ from workflows/release.ts where intended', () => {
    const swappedText = readFileSync(path.join(temp, 'swapped/release.ts'), 'utf8');
    expect(swappedText).toContain(SWAPPED_ORDER);
    expect(swappedText).not.toContain(ORIGINAL_ORDER);
    expect(readFileSync(path.join(temp, 'guarded/release.ts'), 'utf8')).toContain("patched('replay-test-staging-order')");
  });

  it(`catches an unguarded swap of two neighbouring steps replaying ${NEWEST_RELEASED}`, async () => {
    const error = await replayError(swapped, NEWEST_RELEASED);
    expect(error).toBeInstanceOf(DeterminismViolationError);
    // ...because of the swap: the history's next step is the GitHub record, the code's the task definition.
    expect(error?.message).toMatch(/Nondeterminism.*'createDeployment'.*'prepareTaskDefinition'/s);
  });

  it('lets the same swap through when it is guarded with patched(): old histories replay the old order', async () => {
    expect(await replayError(guarded, NEWEST_RELEASED)).toBeUndefined();
    expect(await replayError(guarded, 'v3-rolled-back-smoke.json')).toBeUndefined();
    expect(await replayError(guarded, 'v2-released.json')).toBeUndefined();
  });
});
