/**
 * The Roll back button of a released release's message, clicked through the approvals server
 * with correctly signed interactions from the sandbox: the button appears only once the release
 * is released (its final update); the service's approval policy decides who may click it
 * (approvers and group members; an outsider is refused and nothing starts); a double click starts
 * one rollback, which puts production back on what ran before; a click on an older release's
 * message is refused, naming what runs in production now. Each test's service is its own, since
 * Runway's production records are per service.
 */
import type { ReleaseOutcome, ReleasePlan } from '../../src/domain/release';
import { approveUpdate, ROLLBACK_WORKFLOW_TYPE } from '../../src/domain/release-api';
import { rollbackId } from '../../src/domain/rollback';
import { messageButtons } from '../../src/sandbox';
import { RELEASE_ROLLBACK_ACTION_ID } from '../../src/shared/slack-button-value';
import { ALICE, type ApprovalsRig, BOB, DAVE, DEPLOYERS, MALLORY, repliesTo, startApprovalsRig, until } from '../support/approvals-rig';
import { untilRecorded } from '../support/releases-to-production';
import { uniqueId } from '../support/temporal';
import { releaseOutcome } from '../../src/release-client/outcome';

describe('the Roll back button of a released release', () => {
  let rig: ApprovalsRig;

  beforeAll(async () => {
    rig = await startApprovalsRig();
  });
  afterAll(async () => rig.stop());

  /** A release of `service` approved by ALICE and finished; resolves once its message shows the outcome. */
  async function release(service: string, approval: Partial<ReleasePlan['approval']> = {}): Promise<{ id: string; outcome: ReleaseOutcome }> {
    const handle = await rig.startAwaitingRelease(approval, { service });
    await handle.executeUpdate(approveUpdate, { args: [{ by: ALICE }] });
    const outcome = await releaseOutcome(handle);
    expect(outcome.result).toBe('released');
    await until(() => rig.messageOf(handle.workflowId)?.text?.includes('Released to production') ?? false, 'the final update');
    return { id: handle.workflowId, outcome };
  }

  async function click(user: string, releaseId: string): Promise<string | undefined> {
    const result = await rig.sandbox.clickButton({ url: rig.server.eventsUrl, user, action: 'rollback', releaseId });
    expect(result.status).toBe(200);
    await rig.server.settled();
    return repliesTo(rig.sandbox, result.responseUrl)[0]?.text;
  }

  const rollbackButtons = (blocks: unknown) => messageButtons({ blocks }).filter((b) => b.actionId === RELEASE_ROLLBACK_ACTION_ID);

  /** Every run of the workflow id (a double start would show as two). */
  async function runsOf(workflowId: string): Promise<number> {
    let runs = 0;
    for await (const wf of rig.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) if (wf.type === ROLLBACK_WORKFLOW_TYPE) runs += 1;
    return runs;
  }

  it('shows Roll back only on the released message, and refuses an outsider without starting anything', async () => {
    const service = uniqueId('rb');
    await release(service);
    const { id } = await release(service);
    await untilRecorded(rig.client, service, 2);

    const message = rig.messageOf(id)!;
    expect(rollbackButtons(message.blocks)).toEqual([expect.objectContaining({ text: 'Roll back', style: 'danger' })]);
    // Neither the approval request nor any update before the outcome had it.
    expect(rollbackButtons(message.posted.blocks)).toEqual([]);
    expect(message.updates.slice(0, -1).filter((u) => rollbackButtons(u.blocks).length > 0)).toEqual([]);

    expect(await click(MALLORY, id)).toBe(`Your rollback of ${id} was not started: ${MALLORY} may not roll back ${service} (allowed: ${ALICE}, ${BOB}). Nothing has changed.`);
    expect(rig.logs).toContain(`approvals: ${MALLORY} rollback ${id} → refused (${MALLORY} may not roll back ${service} (allowed: ${ALICE}, ${BOB}))`);
    expect(await runsOf(rollbackId(id))).toBe(0);
  });

  it('starts one rollback on a double click (an approver and a group member at once) and puts production back', async () => {
    const service = uniqueId('rb');
    const approval = { approvers: [ALICE], groups: [DEPLOYERS] };
    const first = await release(service, approval);
    const second = await release(service, approval);
    await untilRecorded(rig.client, service, 2);
    const productionBefore = second.outcome.status.deployed?.production;
    expect(productionBefore).toBeDefined();

    const replies = await Promise.all([click(ALICE, second.id), click(DAVE, second.id)]);
    const id = rollbackId(second.id);
    const started = `You started ${id}: production goes back to ${first.outcome.status.version.slice(0, 12)} (${first.outcome.status.deployed!.production}, from ${first.id}). Follow it with \`runway watch ${id}\`.`;
    const found = `${id} is already rolling back ${second.id}; nothing new was started. Follow it with \`runway watch ${id}\`.`;
    expect([...replies].sort()).toEqual([found, started].sort());

    const outcome = await releaseOutcome(rig.client.workflow.getHandle(id));
    expect(outcome).toMatchObject({ result: 'released', status: { deployed: { production: first.outcome.status.deployed!.production } } });
    // Requested by whoever's click started it, with the button's reason.
    expect([ALICE, DAVE]).toContain(outcome.status.requestedBy);
    expect(outcome.status.reason).toMatch(/Roll back clicked in Slack$/);
    expect(await runsOf(id)).toBe(1);
    // The rollback's own message has no Roll back of its own: rolling back a rollback names its target (runway rollback --to).
    await until(() => rig.messageOf(id)?.text?.includes('Rolled back to') ?? false, "the rollback's final update");
    expect(rollbackButtons(rig.messageOf(id)!.blocks)).toEqual([]);
  });

  it('refuses a click on an older release\'s message, naming what runs now', async () => {
    const service = uniqueId('rb');
    const first = await release(service);
    const second = await release(service);
    await untilRecorded(rig.client, service, 2);
    // The first release's message still shows its Roll back (it was released), but production has moved on.
    expect(rollbackButtons(rig.messageOf(first.id)!.blocks)).toHaveLength(1);

    expect(await click(ALICE, first.id)).toBe(
      `Your rollback of ${first.id} was not started: ${first.id} no longer runs in production: ${second.id} (${second.outcome.status.version.slice(0, 12)}) does. Nothing has changed.`,
    );
    expect(await runsOf(rollbackId(first.id))).toBe(0);
    expect(await runsOf(rollbackId(second.id))).toBe(0);
  });
});
