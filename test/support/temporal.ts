/**
 * Helpers for tests that need Temporal: the run's shared dev server (started once by
 * test/harness/global-setup.ts for the integration project), the workflow bundle built once,
 * clients, and ids that never collide between tests, files or parallel workers.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { ENV_ADDRESS, ENV_BUNDLE, ENV_BUNDLE_ERROR } from '../harness/state';

const INTEGRATION = 'tests of the integration project run through jest (every test folder but test/unit and test/sandbox)';

export function testTemporalAddress(): string {
  const address = process.env[ENV_ADDRESS];
  if (!address) throw new Error(`${ENV_ADDRESS} is not set: only ${INTEGRATION} get the dev server test/harness/global-setup.ts starts.`);
  return address;
}

let bundle: { code: string } | undefined;

/** The file global setup wrote the run's workflow bundle to (for `runway worker`'s RUNWAY_WORKFLOW_BUNDLE). */
export function workflowBundleFile(): string {
  const file = process.env[ENV_BUNDLE];
  if (!file) throw new Error(process.env[ENV_BUNDLE_ERROR] ?? `${ENV_BUNDLE} is not set: only ${INTEGRATION} get the workflow bundle test/harness/global-setup.ts builds.`);
  return file;
}

/** The workflow code bundled once per run; pass it as `workflowBundle` to Worker.create. */
export function workflowBundle(): { code: string } {
  if (bundle) return bundle;
  return (bundle = { code: readFileSync(workflowBundleFile(), 'utf8') });
}

export async function testClient(namespace = 'default'): Promise<{ client: Client; connection: Connection; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: testTemporalAddress() });
  return { client: new Client({ connection, namespace }), connection, close: () => connection.close() };
}

/**
 * A client for every test of the file (hooks registered here): connected before the first test,
 * closed after the last. Read `.client` inside tests.
 */
export function useTestClient(): { readonly client: Client } {
  const current = {} as { client: Client; close?: () => Promise<void> };
  beforeAll(async () => {
    ({ client: current.client, close: current.close } = await testClient());
  });
  afterAll(async () => current.close?.());
  return current;
}

let native: Promise<NativeConnection> | undefined;
let shared: Promise<{ client: Client; close: () => Promise<void> }> | undefined;

/** One client per test file, connected on first use and closed after the file's tests (for helpers that cannot register hooks). */
export async function sharedTestClient(): Promise<Client> {
  shared ??= testClient();
  return (await shared).client;
}

/** One worker connection per test file, shared by its workers and closed after the file's tests. */
export function testNativeConnection(): Promise<NativeConnection> {
  // Loaded lazily: files that never start a worker do not load the native runtime.
  native ??= import('@temporalio/worker').then(({ NativeConnection }) => NativeConnection.connect({ address: testTemporalAddress() }));
  return native;
}

// Runs when a test file imports this module; afterAll cannot be registered later from inside a test.
if (typeof afterAll === 'function') {
  afterAll(async () => {
    const pending = native;
    native = undefined;
    await pending?.then((connection) => connection.close(), () => {}); // a failed connect already failed its test
    const client = shared;
    shared = undefined;
    await client?.then((c) => c.close(), () => {});
  });
}

let counter = 0;

/** `<prefix>-<time>-<worker>-<n>-<random>`: unique across tests, files, workers and runs sharing a server. */
export function uniqueId(prefix: string): string {
  const parts = [Date.now().toString(36), process.env.JEST_WORKER_ID ?? '0', String(++counter), randomBytes(3).toString('hex')];
  return [prefix, ...parts].filter(Boolean).join('-');
}

/** Whether a workflow with this id exists (running or closed) on the server. */
export async function workflowExists(client: Client, id: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(id).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
