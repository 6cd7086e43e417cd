/** `runway audit <id>`: the whole story of one release or rollback, from its Temporal history alone. */
import type { Command } from 'commander';
import { AuditNotFoundError, readAudit } from '../../release-client/audit';
import { formatAuditMarkdown } from '../audit-format';
import { cliEnv, withClient } from '../context';
import { CliError, invalidInput } from '../errors';
import { ExitCode } from '../exit-codes';
import { runAction } from '../run-action';

const FORMATS = ['md', 'json'] as const;
type AuditFormat = (typeof FORMATS)[number];

export function configureAuditCommand(program: Command): void {
  program
    .command('audit')
    .description(
      'print the whole story of a release or rollback from its history: who started it and why, decisions and their channel, analysis, side effects, outcome (no worker needed)',
    )
    .argument('<id>', 'release id (release-<service>-<version>) or rollback id')
    .option('--format <format>', `md (Markdown) or json (the fields are listed in the README, "Audit record")`, 'md')
    .action(
      runAction(async (id: string, opts: { format: string }) => {
        if (!(FORMATS as readonly string[]).includes(opts.format)) throw invalidInput(`--format: "${opts.format}" is not a format (${FORMATS.join(', ')})`);
        if (!id.trim()) throw invalidInput('<id>: a release or rollback id is required');
        const format = opts.format as AuditFormat;
        await withClient(cliEnv(), async (client) => {
          try {
            const record = await readAudit(client, id);
            process.stdout.write(format === 'json' ? `${JSON.stringify(record, null, 2)}\n` : formatAuditMarkdown(record));
          } catch (err) {
            if (err instanceof AuditNotFoundError) throw new CliError(err.message, ExitCode.notFound);
            throw err;
          }
        });
      }),
    );
}
