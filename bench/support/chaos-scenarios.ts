/**
 * The release stories the chaos runner mixes, and what each must leave behind. The expected ECS
 * mutations follow workflows/release.ts: staging, canary steps (1, 4 and 14 tasks next to 9
 * stable ones), promotion, canary to 0; undos run newest first (canary to 0, then restores).
 * The updateService activity sends only the fields that change, so later canary steps carry
 * no task definition.
 */
import type { ReleaseResult } from '../../src/domain/release';

export const CHAOS_SCENARIOS = ['good', 'smoke-fail', 'reject', 'bad-canary'] as const;
export type ChaosScenario = (typeof CHAOS_SCENARIOS)[number];

export interface Expectation {
  result: ReleaseResult;
  /** The decision the release must record, when someone decides. */
  decision?: 'approve' | 'reject';
  /** UpdateService calls, normalised by `mutationKey`: S staging, P production, C canary; td new|old. */
  mutations: string[];
  /** Where the services must end: true = on the released task definition. */
  endsOnNew: { staging: boolean; production: boolean };
  /** Task-definition families that get one new revision each. */
  registers: ('staging' | 'production')[];
  /** GitHub deployment records created, by environment. */
  deployments: ('staging' | 'production')[];
  /** Approval messages posted to Slack. */
  slackPosts: number;
  /** Replies in the approval message's thread (the rollback notice). */
  threadReplies: number;
  /** States this release sets on its own GitHub deployment record of each environment, in order. */
  deploymentStatuses: Partial<Record<'staging' | 'production', string[]>>;
}

const STAGING_AND_RESTORE = ['S td=new count=-', 'S td=old count=-'];

export const EXPECTATIONS: Record<ChaosScenario, Expectation> = {
  good: {
    result: 'released',
    decision: 'approve',
    mutations: ['S td=new count=-', 'C td=new count=1', 'C td=- count=4', 'C td=- count=14', 'P td=new count=-', 'C td=- count=0'],
    endsOnNew: { staging: true, production: true },
    registers: ['staging', 'production'],
    deployments: ['staging', 'production'],
    slackPosts: 1,
    threadReplies: 0,
    deploymentStatuses: { staging: ['in_progress', 'success'], production: ['in_progress', 'success'] },
  },
  'smoke-fail': {
    result: 'rolled-back',
    mutations: STAGING_AND_RESTORE,
    endsOnNew: { staging: false, production: false },
    registers: ['staging'],
    deployments: ['staging'],
    slackPosts: 0,
    threadReplies: 0,
    deploymentStatuses: { staging: ['in_progress', 'failure'] },
  },
  reject: {
    result: 'rejected',
    decision: 'reject',
    mutations: STAGING_AND_RESTORE,
    endsOnNew: { staging: false, production: false },
    registers: ['staging'],
    deployments: ['staging'],
    slackPosts: 1,
    // Release v3 replies in the thread on every unhappy ending, a rejection included (v2 did not).
    threadReplies: 1,
    deploymentStatuses: { staging: ['in_progress', 'success', 'failure'] },
  },
  'bad-canary': {
    result: 'rolled-back',
    decision: 'approve',
    mutations: ['S td=new count=-', 'C td=new count=1', 'C td=- count=0', 'S td=old count=-'],
    endsOnNew: { staging: false, production: false },
    registers: ['staging', 'production'],
    deployments: ['staging', 'production'],
    slackPosts: 1,
    threadReplies: 1,
    deploymentStatuses: { staging: ['in_progress', 'success', 'failure'], production: ['in_progress', 'failure'] },
  },
};
