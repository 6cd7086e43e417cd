/**
 * `npm run check:ui`: what an operator sees in the Temporal Web UI, checked in a real browser
 * (issue 19, part 5). It starts the embedded stack with encrypted payloads and the Web UI
 * decoding them through `runway codec-server`, runs a release to the end, one that canary
 * analysis rolls back and one to approval, opens the Web UI in headless Chromium (Debian's
 * package, driven by playwright-core), and checks what an operator needs is on screen. Each check
 * prints ok or FAILED with what the page showed; screenshots go to docs/ui/. Exit 0 when every
 * check passed, 1 when one failed, 2 when Chromium is missing.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parsePayloadKeys } from '../src/config/payload-keys';
import { startEmbeddedStack } from '../src/stack/embedded-stack';
import { startCodecServer } from '../src/temporal/codec-server';
import { connectClient } from '../src/temporal/connection';
import { AesGcmPayloadCodec } from '../src/temporal/payload-codec';
import { freeLoopbackPort } from '../src/temporal/worker-health';
import { createReleaseWorker } from '../workers/release-worker';
import { chromiumPath, launchChromium } from './ui-check/browser';
import { runUiCheckReleases, UI_CHECK_SERVICE } from './ui-check/releases';
import { checkWebUi } from './ui-check/web-ui';

const SCREENSHOTS = path.join(__dirname, '../docs/ui');
const TEMPORAL_PORT = 7233;
const say = (line = '') => process.stdout.write(`${line}\n`);

/** The encoding metadata of a release's stored input, read by a client without the payload keys. */
async function storedInputEncoding(client: Client, releaseId: string): Promise<string | undefined> {
  const { events } = await client.workflow.getHandle(releaseId).fetchHistory();
  const encoding = events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.metadata?.encoding;
  return encoding ? Buffer.from(encoding).toString('utf8') : undefined;
}

async function main(): Promise<number> {
  const browserPath = chromiumPath();
  if (!browserPath) {
    say(`check:ui: no Chromium at ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} (install Debian's chromium package, or set CHROMIUM_PATH)`);
    return 2;
  }
  // A throwaway key, state and Web UI: only this run's releases are listed.
  process.env.RUNWAY_PAYLOAD_KEYS = `ui-check=${randomBytes(32).toString('base64')}`;
  const keys = parsePayloadKeys(process.env.RUNWAY_PAYLOAD_KEYS);
  if ('problem' in keys) throw new Error(keys.problem);
  const uiOrigins = [`http://127.0.0.1:${TEMPORAL_PORT + 1000}`, `http://localhost:${TEMPORAL_PORT + 1000}`];
  const codec = await startCodecServer({ codec: new AesGcmPayloadCodec(keys.keys), host: '127.0.0.1', port: await freeLoopbackPort(), origins: uiOrigins });
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'runway-ui-check-'));
  say('check:ui: starting the embedded stack (payloads encrypted; the Web UI decodes them through the codec server)…');
  const stack = await startEmbeddedStack({
    processes: { createReleaseWorker },
    stateDir,
    temporalPort: TEMPORAL_PORT,
    uiCodecEndpoint: codec.url,
    log: (l) => process.stderr.write(`  ${l}\n`),
  });
  const { client, close } = await connectClient(stack.env);
  // Without the keys: what the history really stores.
  const raw = await connectClient({ ...stack.env, RUNWAY_PAYLOAD_KEYS: undefined, RUNWAY_PAYLOAD_KEY_FILE: undefined });
  try {
    say('check:ui: three releases');
    const releases = await runUiCheckReleases(stack, client, say);
    mkdirSync(SCREENSHOTS, { recursive: true });
    const browser = await launchChromium(browserPath);
    try {
      say('check:ui: the Web UI in headless Chromium');
      const failures = await checkWebUi(browser, {
        uiUrl: stack.temporal.uiUrl!,
        namespace: stack.env.TEMPORAL_NAMESPACE,
        service: UI_CHECK_SERVICE,
        releases,
        storedInputEncoding: (id) => storedInputEncoding(raw.client, id),
        screenshots: SCREENSHOTS,
        say,
      });
      say();
      say(failures === 0 ? `check:ui: every check passed; screenshots in ${path.relative(process.cwd(), SCREENSHOTS)}/` : `check:ui: ${failures} check(s) FAILED`);
      return failures === 0 ? 0 : 1;
    } finally {
      await browser.close();
    }
  } finally {
    await raw.close();
    await close();
    await stack.stop();
    await codec.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`check:ui: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
