/**
 * `runway healthcheck worker|approvals`: asks a Runway process on this machine whether it is
 * healthy, through the port the same environment gives it (RUNWAY_METRICS_PORT for the worker,
 * RUNWAY_APPROVALS_PORT for the approvals server). The container image's HEALTHCHECK and the
 * compose file run it; it needs no curl or wget in the image.
 */
import { Argument, type Command } from 'commander';
import { cliEnv } from '../context';
import { invalidInput } from '../errors';
import { ExitCode } from '../exit-codes';
import { runAction } from '../run-action';

const PROCESSES = ['worker', 'approvals'] as const;
type Process = (typeof PROCESSES)[number];

export function configureHealthcheckCommand(program: Command): void {
  program
    .command('healthcheck')
    .description('exit 0 when the local worker (GET /healthz on RUNWAY_METRICS_PORT) or approvals server (RUNWAY_APPROVALS_PORT) is healthy, 1 when not')
    .addArgument(new Argument('<process>', 'which process').choices(PROCESSES))
    .option('--port <n>', 'ask this port instead of the one the environment gives the process')
    .action(
      runAction(async (process_: Process, opts: { port?: string }) => {
        const env = cliEnv();
        const port = opts.port === undefined ? (process_ === 'worker' ? env.RUNWAY_METRICS_PORT : env.RUNWAY_APPROVALS_PORT) : Number(opts.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidInput(`--port: expected 1-65535, got "${opts.port ?? port}"`);
        const url = `http://127.0.0.1:${port}/healthz`;
        const verdict = await ask(url);
        if (verdict.healthy) {
          process.stdout.write(`runway healthcheck: ${process_} healthy (${url} answered ${verdict.detail})\n`);
          return ExitCode.ok;
        }
        process.stderr.write(`runway healthcheck: ${process_} not healthy: ${url} ${verdict.detail}\n`);
        return ExitCode.error;
      }),
    );
}

async function ask(url: string): Promise<{ healthy: boolean; detail: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = (await response.text()).trim().slice(0, 200);
    return { healthy: response.status === 200, detail: `${response.status}${body ? `: ${body}` : ''}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { healthy: false, detail: `did not answer (${cause ?? (err as Error).message})` };
  }
}
