import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { releaseStatus } from '../../release-client/releases';
import { lanePlace, readLane } from '../../release-client/lane';
import { describePlace, type LaneState } from '../../domain/lane';
import { ReleaseStage, type ReleaseStatus, TERMINAL_STAGES } from '../../domain/release';
import { RELEASE_WORKFLOW_TYPE } from '../../domain/release-api';
import { cliEnv, withClient } from '../context';
import { invalidInput } from '../errors';
import { followAndReport } from '../follow-report';
import { formatStatus } from '../format';
import { runAction } from '../run-action';

const STAGES = Object.values(ReleaseStage) as string[];

/** How many releases `runway list` shows unless --limit says otherwise. */
export const DEFAULT_LIST_LIMIT = 20;

/** The first `limit` items, reading one more to know whether there were more (`runway list`). */
export async function firstOf<T>(items: AsyncIterable<T>, limit: number): Promise<{ items: T[]; more: boolean }> {
  const taken: T[] = [];
  for await (const item of items) {
    if (taken.length === limit) return { items: taken, more: true };
    taken.push(item);
  }
  return { items: taken, more: false };
}

/** A running release's place in its service's lane ("queued (2nd, behind …)"), for `runway status`. */
async function placeInLane(client: Client, id: string, status: ReleaseStatus): Promise<string | undefined> {
  if (TERMINAL_STAGES.includes(status.stage)) return undefined;
  const { taskQueue } = await client.workflow.getHandle(id).describe();
  return lanePlace(client, taskQueue, status.service, id);
}

/** `runway list`: each running release with its place in its lane; one query per lane. */
async function withLanePlaces<R extends { id: string; service: string; taskQueue?: string }>(client: Client, rows: R[]): Promise<(Omit<R, 'taskQueue'> & { lane?: string })[]> {
  const lanes = new Map<string, Promise<LaneState | undefined>>();
  return Promise.all(
    rows.map(async ({ taskQueue, ...row }) => {
      if (taskQueue === undefined) return row;
      const key = `${taskQueue}\n${row.service}`;
      if (!lanes.has(key)) lanes.set(key, readLane(client, taskQueue, row.service));
      const lane = await lanes.get(key)!;
      const place = lane ? describePlace(lane, row.id) : undefined;
      return place ? { ...row, lane: place } : row;
    }),
  );
}

export function configureInspectCommands(program: Command): void {
  program
    .command('status')
    .description('show a release: stage, canary (with live measurements of the bake in progress), approval, history')
    .argument('<id>', 'release id (release-<service>-<version>)')
    .option('--json', 'print machine-readable JSON')
    .action(
      runAction(async (id: string, opts: { json?: boolean }) =>
        withClient(cliEnv(), async (client) => {
          const status = await releaseStatus(client, id);
          const lane = await placeInLane(client, id, status);
          if (opts.json) process.stdout.write(`${JSON.stringify(lane ? { ...status, lane } : status, null, 2)}\n`);
          else process.stdout.write(`${formatStatus(status)}\n${lane ? `lane      ${lane}\n` : ''}`);
        }),
      ),
    );

  program
    .command('watch')
    .description('follow a release until it ends; exit code as for start --wait (8: terminated, timed out or stuck)')
    .argument('<id>', 'release id')
    .action(runAction(async (id: string) => withClient(cliEnv(), (client) => followAndReport(client, id, { events: process.stdout, result: process.stdout }))));

  program
    .command('list')
    .description('list releases, newest first')
    .option('--service <name>', 'only this service')
    .option('--stage <stage>', `only this stage (${STAGES.join(', ')})`)
    .option('--limit <n>', `at most this many (default ${DEFAULT_LIST_LIMIT}; says so when more match)`, String(DEFAULT_LIST_LIMIT))
    .option('--json', 'print machine-readable JSON')
    .action(
      runAction(async (opts: { service?: string; stage?: string; limit: string; json?: boolean }) => {
        if (opts.stage && !STAGES.includes(opts.stage)) throw invalidInput(`--stage: "${opts.stage}" is not a stage (${STAGES.join(', ')})`);
        if (opts.service && !/^[a-z0-9-]+$/.test(opts.service)) throw invalidInput(`--service: "${opts.service}" is not a service name`);
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw invalidInput(`--limit: "${opts.limit}" is not a positive whole number`);
        const clauses = [`WorkflowType = '${RELEASE_WORKFLOW_TYPE}'`];
        if (opts.service) clauses.push(`RunwayService = '${opts.service}'`);
        if (opts.stage) clauses.push(`RunwayStage = '${opts.stage}'`);
        return withClient(cliEnv(), async (client) => {
          const { items, more } = await firstOf(client.workflow.list({ query: clauses.join(' AND ') }), limit);
          const listed = items.map((wf) => {
            const attrs = wf.searchAttributes as Record<string, unknown[] | undefined>;
            return {
              id: wf.workflowId,
              service: String(attrs.RunwayService?.[0] ?? ''),
              version: String(attrs.RunwayVersion?.[0] ?? ''),
              stage: String(attrs.RunwayStage?.[0] ?? ''),
              started: wf.startTime.toISOString(),
              ...(wf.status.name === 'RUNNING' ? { taskQueue: wf.taskQueue } : {}),
            };
          });
          const rows = await withLanePlaces(client, listed);
          // JSON stays a plain array on stdout; the note goes to stderr there.
          const note = more ? `(the newest ${limit} shown; more releases match: --limit N shows more)\n` : '';
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
            process.stderr.write(note);
            return;
          }
          if (rows.length === 0) process.stdout.write('no releases\n');
          for (const r of rows) process.stdout.write(`${r.started}  ${r.stage.padEnd(17)} ${r.id}${r.lane ? `  ${r.lane}` : ''}\n`);
          process.stdout.write(note);
        });
      }),
    );
}
