/**
 * `runway codec-server`: Temporal's codec server over Runway's payload keys (README, "Encrypted
 * payloads"), so the Web UI (`--ui-codec-endpoint`, or its settings) and `temporal workflow show
 * --codec-endpoint` show encrypted payloads decoded. Needs the payload keys in its environment;
 * RUNWAY_CODEC_TOKEN, when set, is the bearer token every call must carry.
 */
import type { Command } from 'commander';
import { loadPayloadKeys } from '../../config/payload-keys';
import { startCodecServer } from '../../temporal/codec-server';
import { AesGcmPayloadCodec } from '../../temporal/payload-codec';
import { cliEnv } from '../context';
import { invalidInput } from '../errors';
import { runAction } from '../run-action';

const DEFAULT_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

export function configureCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .description("serve Temporal's codec endpoints (POST /encode, /decode) with the payload keys (RUNWAY_PAYLOAD_KEYS or RUNWAY_PAYLOAD_KEY_FILE), for the Web UI and the temporal CLI; RUNWAY_CODEC_TOKEN sets a bearer token")
    .option('--host <address>', 'address to listen on (whoever reaches it can decrypt payloads)', '127.0.0.1')
    .option('--port <n>', 'port to listen on', '8081')
    .option('--origin <url...>', `Web UI origins allowed by CORS (default: ${DEFAULT_ORIGINS.join(' ')})`)
    .action(
      runAction(async (opts: { host: string; port: string; origin?: string[] }) => {
        const env = cliEnv();
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidInput(`--port: expected 0-65535, got "${opts.port}"`);
        const origins = opts.origin ?? DEFAULT_ORIGINS;
        const bad = origins.find((o) => !/^https?:\/\/[^/]+$/.test(o));
        if (bad) throw invalidInput(`--origin: "${bad}" is not an origin (scheme://host[:port], no path)`);
        const keys = loadPayloadKeys(env);
        if (keys.length === 0) throw invalidInput('RUNWAY_PAYLOAD_KEYS or RUNWAY_PAYLOAD_KEY_FILE: required (the codec server encrypts and decrypts with them)');
        const token = env.RUNWAY_CODEC_TOKEN?.trim() || undefined;
        const codec = new AesGcmPayloadCodec(keys);
        const server = await startCodecServer({ codec, host: opts.host, port, origins, ...(token ? { bearerToken: token } : {}) });
        process.stdout.write(
          `runway codec-server: ${server.url} (POST /encode, /decode), encrypting with key ${codec.currentKeyId}, ${keys.length} key(s) to decrypt; CORS for ${origins.join(', ')}${token ? '; bearer token required' : ''}\n`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await server.close();
      }),
    );
}
