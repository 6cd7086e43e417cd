/**
 * `runway freeze start|end|status`: ad hoc freezes of the whole organisation or of one service,
 * recorded with who and why in the installation's freeze workflow; and `runway break-glass
 * approve`, an approval for a --break-glass release frozen at its production gate.
 */
import type { Command } from 'commander';
import { serviceConfig, UnknownServiceError } from '../../config/plan';
import { freezePlanOf } from '../../config/freeze-plan';
import { adHocFreezesOf, type AdHocFreeze } from '../../domain/freeze-api';
import { gateVerdict } from '../../domain/freeze-gate';
import { approveBreakGlass, endFreeze, freezeState, startFreeze } from '../../release-client/freeze';
import { ReleaseRefusedError } from '../../release-client/releases';
import { cliConfig, cliEnv, withClient } from '../context';
import { CliError, invalidInput } from '../errors';
import { ExitCode } from '../exit-codes';
import { defaultRequester } from '../requester';
import { runAction } from '../run-action';
import { SIGN_WITH_FLAG, SIGN_WITH_HELP, signingKeyPath, sshSigner } from '../signing';
import { sayStillAsking } from '../still-asking';
import type { RunwayConfig } from '../../config/schema';

interface FreezeOptions {
  service?: string;
  reason?: string;
  as?: string;
  json?: boolean;
  config?: string;
}

const scopeOf = (service: string | undefined) => (service ? `service ${service}` : 'every service');
const describe = (f: AdHocFreeze) => `${scopeOf(f.service)} frozen by ${f.by} since ${f.startedAt}: ${f.reason}`;

/** A named service must be configured: a typo must not freeze nothing. */
function checkService(config: RunwayConfig, service: string | undefined): void {
  if (service === undefined) return;
  try {
    serviceConfig(config, service);
  } catch (err) {
    if (err instanceof UnknownServiceError) throw invalidInput(`--service: ${err.message}`);
    throw err;
  }
}

function who(opts: FreezeOptions): string {
  const by = (opts.as ?? defaultRequester(process.env)).trim();
  if (!by) throw invalidInput('--as: who acts is required');
  return by;
}

/** How long a freeze command waits for a worker to answer before it says so. */
const ANSWER_TIMEOUT_MS = 30_000;

/** A refusal exits 4; no answer (no worker polls the task queue) exits 1 after ANSWER_TIMEOUT_MS, naming the queue. */
async function refusedAsExit<T>(send: () => Promise<T>, taskQueue?: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    if (taskQueue === undefined) return;
    timer = setTimeout(
      () =>
        reject(
          new CliError(
            `no worker answered within ${ANSWER_TIMEOUT_MS / 1000} s on task queue ${taskQueue}: the request may still be taken when a worker polls it; check with \`runway freeze status\` once one runs`,
            ExitCode.error,
          ),
        ),
      ANSWER_TIMEOUT_MS,
    ).unref();
  });
  try {
    return await Promise.race([send(), late]);
  } catch (err) {
    if (err instanceof ReleaseRefusedError) throw new CliError(err.message, ExitCode.refused);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export function configureFreezeCommands(program: Command): void {
  const freeze = program.command('freeze').description('ad hoc freezes: hold every release (or one service\'s) at its production gate');
  freeze
    .command('start')
    .description('freeze every service, or one: releases wait at their production gate until the freeze ends')
    .option('--service <name>', 'freeze only this service (default: every service)')
    .requiredOption('--reason <text>', 'why; shown on every release it holds')
    .option('--as <who>', 'who freezes (default: $RUNWAY_REQUESTED_BY, $GITHUB_ACTOR or $USER)')
    .option('--json', 'print machine-readable JSON')
    .option('--config <path>', 'config file (default: $RUNWAY_CONFIG or ./runway.config.yaml)')
    .action(
      runAction(async (opts: FreezeOptions) => {
        const env = cliEnv();
        if (!opts.reason?.trim()) throw invalidInput('--reason: a reason is required');
        const by = who(opts);
        checkService(await cliConfig(env, opts), opts.service);
        await withClient(env, async (client) => {
          const started = await refusedAsExit(() => startFreeze(client, env.RUNWAY_TASK_QUEUE, { ...(opts.service ? { service: opts.service } : {}), reason: opts.reason!.trim(), by }), env.RUNWAY_TASK_QUEUE);
          process.stdout.write(opts.json ? `${JSON.stringify(started)}\n` : `${describe(started)}\n`);
        });
      }),
    );
  freeze
    .command('end')
    .description('end the ad hoc freeze of every service, or of one; releases held by it go on')
    .option('--service <name>', 'end this service\'s freeze (default: the freeze of every service)')
    .option('--as <who>', 'who ends it (default: $RUNWAY_REQUESTED_BY, $GITHUB_ACTOR or $USER)')
    .option('--json', 'print machine-readable JSON')
    .option('--config <path>', 'config file (default: $RUNWAY_CONFIG or ./runway.config.yaml)')
    .action(
      runAction(async (opts: FreezeOptions) => {
        const env = cliEnv();
        const by = who(opts);
        checkService(await cliConfig(env, opts), opts.service);
        await withClient(env, async (client) => {
          const ended = await refusedAsExit(() => endFreeze(client, env.RUNWAY_TASK_QUEUE, { ...(opts.service ? { service: opts.service } : {}), by }, { onLostAnswer: sayStillAsking(`freeze end for ${opts.service ?? 'every service'}`) }), env.RUNWAY_TASK_QUEUE);
          process.stdout.write(opts.json ? `${JSON.stringify(ended)}\n` : `ended: ${describe(ended)} (ended by ${by})\n`);
        });
      }),
    );
  freeze
    .command('status')
    .description('ad hoc freezes in force, and each service\'s freeze now (configured windows included)')
    .option('--service <name>', 'only this service')
    .option('--json', 'print machine-readable JSON')
    .option('--config <path>', 'config file (default: $RUNWAY_CONFIG or ./runway.config.yaml)')
    .action(
      runAction(async (opts: FreezeOptions) => {
        const env = cliEnv();
        const config = await cliConfig(env, opts);
        checkService(config, opts.service);
        await withClient(env, async (client) => {
          const state = await freezeState(client, env.RUNWAY_TASK_QUEUE);
          const nowMs = Date.now();
          const services = opts.service ? [opts.service] : Object.keys(config.services);
          const perService = services.map((service) => {
            const verdict = gateVerdict(freezePlanOf(config, service, { nowMs }), adHocFreezesOf(state.freezes, service), nowMs);
            return { service, frozen: verdict.frozen, text: verdict.text, ...(verdict.untilMs !== undefined ? { until: new Date(verdict.untilMs).toISOString() } : {}) };
          });
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ adHoc: state.freezes, waiting: state.waiting, services: perService })}\n`);
            return;
          }
          const lines = [
            state.freezes.length === 0 ? 'ad hoc freezes: none' : `ad hoc freezes:\n${state.freezes.map((f) => `  ${describe(f)}`).join('\n')}`,
            ...perService.map((s) => `${s.service}: ${s.text}`),
            ...(state.waiting.length > 0 ? [`waiting at their gate: ${state.waiting.join(', ')}`] : []),
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        });
      }),
    );

  program
    .command('break-glass')
    .description('break-glass approvals of a release started with --break-glass')
    .command('approve')
    .description('approve a frozen --break-glass release going to production during the freeze (same rules as approvals)')
    .argument('<id>', 'release id')
    .requiredOption('--as <user>', 'who approves; must be an allowed approver, not the requester')
    .option('--comment <text>', 'note kept in the release history')
    .option(SIGN_WITH_FLAG, SIGN_WITH_HELP)
    .action(
      runAction(async (id: string, opts: { as: string; comment?: string; signWith?: string }) => {
        if (!opts.as.trim()) throw invalidInput('--as: an approver identity is required');
        const keyPath = signingKeyPath(opts.signWith);
        await withClient(cliEnv(), async (client) => {
          const sign = keyPath ? sshSigner(client, id, 'break-glass', opts.as.trim(), opts.comment, keyPath) : undefined;
          const ack = await refusedAsExit(() => approveBreakGlass(client, id, { by: opts.as.trim(), ...(opts.comment ? { comment: opts.comment } : {}) }, sign, { onLostAnswer: sayStillAsking(`${id} break-glass approval`) }));
          process.stdout.write(`${ack.releaseId}: break-glass approved by ${ack.by}; ${ack.pending === 0 ? 'it passes the freeze' : `${ack.pending} more approval(s) needed`}\n`);
        });
      }),
    );
}
