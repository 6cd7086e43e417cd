/**
 * Debian's Chromium (the `chromium` package) driven by playwright-core: no browser is downloaded
 * at install time. CHROMIUM_PATH points elsewhere.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export function chromiumPath(): string | undefined {
  const candidate = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
  return existsSync(candidate) ? candidate : undefined;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}
