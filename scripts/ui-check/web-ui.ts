/**
 * The checks `npm run check:ui` makes in the Web UI, as an operator would look: the list filtered
 * by RunwayService, a rolled-back release's page, the current details of each release, the
 * search attributes, and payloads decoded through the codec server. Each check says what it
 * found; a failed one does not stop the others.
 */
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import type { UiCheckReleases } from './releases';

export interface WebUiCheckOptions {
  uiUrl: string;
  namespace: string;
  service: string;
  releases: UiCheckReleases;
  /** How the first event's input is stored, read without the codec (`binary/encrypted` with keys). */
  storedInputEncoding: (releaseId: string) => Promise<string | undefined>;
  screenshots: string;
  say: (line: string) => void;
}

const WAIT_MS = 20_000;
const VIEWPORT = { width: 1440, height: 900 };

class Checks {
  failures = 0;
  constructor(private readonly say: (line: string) => void) {}

  async check(name: string, body: () => Promise<string>): Promise<void> {
    try {
      this.say(`  ok      ${name}: ${await body()}`);
    } catch (err) {
      this.failures++;
      this.say(`  FAILED  ${name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}

function expectText(actual: string, wanted: RegExp | string, where: string): void {
  const found = typeof wanted === 'string' ? actual.includes(wanted) : wanted.test(actual);
  if (!found) throw new Error(`${where} does not show ${String(wanted)}; it shows: ${actual.replace(/\s+/g, ' ').slice(0, 300)}`);
}

/** True when `inner` lies within `outer` on screen: readable without scrolling anything. */
async function within(inner: Locator, outer: Locator): Promise<boolean> {
  const [a, b] = await Promise.all([inner.boundingBox(), outer.boundingBox()]);
  return !!a && !!b && a.y >= b.y - 1 && a.y + a.height <= b.y + b.height + 1 && a.y + a.height <= VIEWPORT.height;
}

/** A box of the User Metadata tab by its heading: the UI renders its markdown in an iframe 150 px high. */
const frameUnder = (heading: string) => `xpath=//h3[normalize-space()="${heading}"]/ancestor::div[.//iframe][1]//iframe`;

async function openTab(page: Page, ns: string, id: string, tab: RegExp): Promise<void> {
  await page.goto(`${ns}/workflows/${id}`);
  await page.getByRole('tab', { name: tab }).first().click({ timeout: WAIT_MS });
}

/**
 * The line of the current details that starts with the bold `label`, which must read `pattern`
 * and be on screen inside the frame (its label's line is not cut off).
 */
async function detailsLine(page: Page, label: string, pattern: RegExp): Promise<string> {
  const frame = page.locator(frameUnder('Current Details'));
  await frame.waitFor({ timeout: WAIT_MS });
  const inside = page.frameLocator(frameUnder('Current Details'));
  const bold = inside.locator('strong').filter({ hasText: new RegExp(`^${label}$`) }).first();
  await bold.waitFor({ timeout: WAIT_MS });
  const line = (await inside.locator('body').innerText()).split('\n').find((l) => l.startsWith(label)) ?? '';
  expectText(line, pattern, `the current details' "${label}" line`);
  if (!(await within(bold, frame))) throw new Error(`"${line.slice(0, 80)}" is in the current details but cut off by its frame`);
  return line;
}

export async function checkWebUi(browser: Browser, o: WebUiCheckOptions): Promise<number> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  const checks = new Checks(o.say);
  const ns = `${o.uiUrl}/namespaces/${o.namespace}`;
  const { released, rolledBack, waiting } = o.releases;
  const shot = (name: string) => page.screenshot({ path: path.join(o.screenshots, `${name}.png`) });

  await checks.check(`the list filtered by RunwayService="${o.service}" tells the three apart`, async () => {
    await page.goto(`${ns}/workflows?query=${encodeURIComponent(`RunwayService="${o.service}"`)}`);
    const statuses: string[] = [];
    for (const [id, wanted] of [
      [released.releaseId, 'Completed'],
      [rolledBack.releaseId, 'Failed'],
      [waiting.releaseId, 'Running'],
    ] as const) {
      const row = page.getByRole('row').filter({ hasText: id });
      await row.waitFor({ timeout: WAIT_MS });
      const text = await row.innerText();
      expectText(text, wanted, `the row of ${id}`);
      statuses.push(`${id.slice(0, 28)}… ${wanted}`);
    }
    await shot('list');
    return statuses.join(', ');
  });

  await checks.check('a rolled-back release is marked Failed and says why on the page it opens on', async () => {
    await page.goto(`${ns}/workflows/${rolledBack.releaseId}`);
    const badge = page.getByText('Failed', { exact: true }).first();
    await badge.waitFor({ timeout: WAIT_MS });
    const reason = page.getByText(/rolled-back: canary analysis failed at 10%/).first();
    await reason.waitFor({ timeout: WAIT_MS });
    if (!(await reason.isVisible()) || ((await reason.boundingBox())?.y ?? Infinity) > VIEWPORT.height) throw new Error('the reason is below the fold');
    await shot('rolled-back-history');
    return (await reason.innerText()).replace(/\s+/g, ' ').slice(0, 120);
  });

  await checks.check('a rolled-back release: the outcome and reason first in the current details, in view', async () => {
    await openTab(page, ns, rolledBack.releaseId, /User Metadata/);
    const outcome = await detailsLine(page, 'Rolled back', /^Rolled back — canary analysis failed at 10%/);
    const approved = await detailsLine(page, 'Approved', /^Approved by alice at /);
    const summary = page.frameLocator(frameUnder('Summary')).getByText(/^Release checkout [0-9a-f]{12}$/);
    await summary.waitFor({ timeout: WAIT_MS });
    await shot('rolled-back-details');
    return `${outcome.slice(0, 70)}… | ${approved}`;
  });

  await checks.check('a release waiting for approval: stage, approvers, deadline and how to decide', async () => {
    await openTab(page, ns, waiting.releaseId, /User Metadata/);
    const stage = await detailsLine(page, 'Stage', /^Stage awaiting-approval$/);
    const asked = await detailsLine(page, 'Waiting for approval', /^Waiting for approval from alice, bob until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, then rejected$/);
    const decide = await detailsLine(page, 'Decide', /^Decide in Slack #deploys, or runway approve\|reject release-checkout-/);
    await shot('waiting-details');
    return `${stage} | ${asked} | ${decide.slice(0, 40)}…`;
  });

  await checks.check('a released release: outcome, approver, canary step and latest numbers', async () => {
    await openTab(page, ns, released.releaseId, /User Metadata/);
    const outcome = await detailsLine(page, 'Released', /^Released \(\d{4}-/);
    const approved = await detailsLine(page, 'Approved', /^Approved by alice at /);
    const canary = await detailsLine(page, 'Canary', /^Canary step 4 of 4: 100% of production traffic/);
    const numbers = await detailsLine(page, 'Analysis', /^Analysis pass at .*errors \d+\.\d\d% \(stable \d+\.\d\d%\), p99 \d+ ms/);
    await shot('released-details');
    return `${outcome} | ${approved} | ${canary} | ${numbers.slice(0, 60)}…`;
  });

  await checks.check("the search attributes: RunwayService and RunwayStage", async () => {
    await openTab(page, ns, waiting.releaseId, /Search Attributes/);
    const panel = page.getByText('RunwayStage').first();
    await panel.waitFor({ timeout: WAIT_MS });
    const body = await page.locator('body').innerText();
    const around = (name: string) => body.slice(Math.max(0, body.indexOf(name)), body.indexOf(name) + 120);
    expectText(around('RunwayService'), /^RunwayService\W+checkout/, 'the Search Attributes tab');
    expectText(around('RunwayStage'), /^RunwayStage\W+awaiting-approval/, 'the Search Attributes tab');
    await shot('waiting-search-attributes');
    return 'RunwayService checkout, RunwayStage awaiting-approval';
  });

  await checks.check('payloads stored encrypted are shown decoded through the codec server', async () => {
    const stored = await o.storedInputEncoding(waiting.releaseId);
    if (stored !== 'binary/encrypted') throw new Error(`the stored input is ${stored ?? 'unreadable'}, not binary/encrypted: the check needs encryption on`);
    await page.goto(`${ns}/workflows/${waiting.releaseId}`);
    const input = page.getByText('"requestedBy": "ui-check"').first();
    await input.waitFor({ timeout: WAIT_MS });
    return 'stored as binary/encrypted; the Input card shows "requestedBy": "ui-check"';
  });

  await page.close();
  return checks.failures;
}
