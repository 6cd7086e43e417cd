/** What commands share: the parsed environment, the config file and a Temporal client. */
import type { Client } from '@temporalio/client';
import { loadConfig } from '../config/load';
import type { RunwayConfig } from '../config/schema';
import { parseEnv, type RunwayEnv } from '../config/env';
import { connectClient } from '../temporal/connection';

export interface GlobalOptions {
  config?: string;
}

export function cliEnv(): RunwayEnv {
  return parseEnv(process.env);
}

export async function cliConfig(env: RunwayEnv, options: GlobalOptions): Promise<RunwayConfig> {
  return loadConfig(options.config ?? env.RUNWAY_CONFIG);
}

/** Runs `fn` with a connected client and always closes the connection. */
export async function withClient<T>(env: RunwayEnv, fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient(env);
  try {
    return await fn(client);
  } finally {
    await close();
  }
}
