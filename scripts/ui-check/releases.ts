/**
 * The releases `npm run check:ui` shows an operator: one released, one rolled back by canary
 * analysis, and one left waiting for approval, started one after another on the embedded stack
 * (one release of a service deploys at a time: the waiting one would hold the lane).
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../src/config/load';
import { releasePlan } from '../../src/config/plan';
import { type ReleaseOutcome, type ReleaseStatus, ReleaseStage } from '../../src/domain/release';
import { defaultImage } from '../../src/domain/release-id';
import { statusQuery } from '../../src/domain/release-api';
import { releaseOutcome } from '../../src/release-client/outcome';
import { decideRelease, startRelease } from '../../src/release-client/releases';
import type { EmbeddedStack } from '../../src/stack/embedded-stack';

export const UI_CHECK_SERVICE = 'checkout';

export interface UiCheckReleases {
  released: ReleaseOutcome;
  rolledBack: ReleaseOutcome;
  waiting: ReleaseStatus;
}

async function untilStage(client: Client, id: string, stage: string, timeoutMs = 120_000): Promise<ReleaseStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await client.workflow.getHandle(id).query(statusQuery).catch(() => undefined);
    if (status?.stage === stage) return status;
    if (Date.now() > deadline) throw new Error(`${id} never reached ${stage} (last: ${status?.stage ?? 'no answer'})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function runUiCheckReleases(stack: EmbeddedStack, client: Client, say: (line: string) => void): Promise<UiCheckReleases> {
  const config = await loadConfig(stack.env.RUNWAY_CONFIG);
  const plan = releasePlan(config, UI_CHECK_SERVICE, 'ui-check');
  const start = async (story: string, behaviour: 'healthy' | 'errors') => {
    const version = randomBytes(20).toString('hex');
    const image = defaultImage(plan.imageRepository, version);
    stack.sandbox.setScenario({ images: { [image]: 'healthy' }, canary: { [image]: { behaviour } } });
    const { releaseId } = await startRelease(client, stack.env.RUNWAY_TASK_QUEUE, { service: UI_CHECK_SERVICE, version, image, requestedBy: 'ui-check', reason: story, plan });
    say(`  ${story}: ${releaseId}`);
    await untilStage(client, releaseId, ReleaseStage.awaitingApproval);
    return releaseId;
  };
  const toTheEnd = async (story: string, behaviour: 'healthy' | 'errors') => {
    const id = await start(story, behaviour);
    await decideRelease(client, id, 'approve', 'alice', 'checked by npm run check:ui');
    return releaseOutcome(client.workflow.getHandle(id));
  };
  const released = await toTheEnd('a good release, approved by alice', 'healthy');
  const rolledBack = await toTheEnd('a release whose canary answers 15% errors', 'errors');
  const waitingId = await start('a release waiting for approval', 'healthy');
  return { released, rolledBack, waiting: await untilStage(client, waitingId, ReleaseStage.awaitingApproval) };
}
