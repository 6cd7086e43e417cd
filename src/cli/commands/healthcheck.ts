/**
 * `runway healthcheck [worker|approvals]`: asks a Runway process on this machine whether it is
 * healthy, through the port the same environment gives it (RUNWAY_METRICS_PORT for the worker,
 * RUNWAY_APPROVALS_PORT for the approvals server). The container image's HEALTHCHECK and the
 * compose file run it; it needs no curl or wget in the image. Without an argument it asks both,
 * and whichever process the container runs decides.
 */
import { Argument, type Command } from 'commander';
import type { RunwayEnv } from '../../config/env';
import { cliEnv } from '../context';
import { invalidInput } from '../errors';
import { ExitCode } from '../exit-codes';
import { runAction } from '../run-action';

const PROCESSES = ['worker', 'approvals'] as const;
type Process = (typeof PROCESSES)[number];

export function configureHealthcheckCommand(program: Command): void {
  program
    .command('healthcheck')
    .description(
      'exit 0 when the local worker (GET /healthz on RUNWAY_METRICS_PORT) or approvals server (RUNWAY_APPROVALS_PORT) is healthy, 1 when not; without an argument, whichever of them runs here',
    )
    .addArgument(new Argument('[process]', 'which process (default: whichever answers)').choices(PROCESSES))
    .option('--port <n>', 'ask this port instead of the one the environment gives the process')
    .action(
      runAction(async (which: Process | undefined, opts: { port?: string }) => {
        const env = cliEnv();
        if (opts.port !== undefined && !which) throw invalidInput('--port: name the process too (runway healthcheck worker --port N)');
        const asked = (which ? [which] : PROCESSES).map((name) => ({ name, url: healthUrl(env, name, opts.port) }));
        const verdicts = await Promise.all(asked.map(async (a) => ({ ...a, ...(await ask(a.url)) })));
        const healthy = verdicts.find((v) => v.healthy);
        if (healthy) {
          process.stdout.write(`runway healthcheck: ${healthy.name} healthy (${healthy.url} ${healthy.detail})\n`);
          return ExitCode.ok;
        }
        for (const v of verdicts) process.stderr.write(`runway healthcheck: ${v.name} not healthy: ${v.url} ${v.detail}\n`);
        return ExitCode.error;
      }),
    );
}

function healthUrl(env: RunwayEnv, which: Process, portFlag: string | undefined): string {
  const port = portFlag === undefined ? (which === 'worker' ? env.RUNWAY_METRICS_PORT : env.RUNWAY_APPROVALS_PORT) : Number(portFlag);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidInput(portFlag === undefined ? `${which === 'worker' ? 'RUNWAY_METRICS_PORT' : 'RUNWAY_APPROVALS_PORT'}: ${port} is not a port to ask` : `--port: expected 1-65535, got "${portFlag}"`);
  }
  return `http://127.0.0.1:${port}/healthz`;
}

async function ask(url: string): Promise<{ healthy: boolean; detail: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = (await response.text()).trim().slice(0, 200);
    return { healthy: response.status === 200, detail: `answered ${response.status}${body ? `: ${body}` : ''}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { healthy: false, detail: `did not answer (${cause ?? (err as Error).message})` };
  }
}
