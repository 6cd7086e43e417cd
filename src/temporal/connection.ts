/** Connections to Temporal from the environment: local dev server, self-hosted, or Temporal Cloud. */
import { readFile } from 'node:fs/promises';
import { Client, Connection, type DataConverter, type TLSConfig } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { RunwayEnv } from '../config/env';
import { loadPayloadKeys } from '../config/payload-keys';
import { AesGcmPayloadCodec } from './payload-codec';

/** Address and namespace are required; the API key and TLS paths are for real clusters and may be left out. */
type TemporalEnv = Pick<RunwayEnv, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'> &
  Partial<Pick<RunwayEnv, 'TEMPORAL_API_KEY' | 'TEMPORAL_TLS_CLIENT_CERT_PATH' | 'TEMPORAL_TLS_CLIENT_KEY_PATH' | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH' | 'RUNWAY_PAYLOAD_KEYS' | 'RUNWAY_PAYLOAD_KEY_FILE'>>;

/**
 * How payloads are stored: encrypted with the environment's payload keys (RUNWAY_PAYLOAD_KEYS or
 * RUNWAY_PAYLOAD_KEY_FILE) when it has some, in clear otherwise. Workers, the CLI and the approvals
 * server all take it from here, so they read each other's payloads.
 */
export function dataConverterFor(env: Pick<TemporalEnv, 'RUNWAY_PAYLOAD_KEYS' | 'RUNWAY_PAYLOAD_KEY_FILE'>): DataConverter | undefined {
  const keys = loadPayloadKeys(env);
  return keys.length > 0 ? { payloadCodecs: [new AesGcmPayloadCodec(keys)] } : undefined;
}

/** mTLS when cert paths are set; plain TLS with an API key (Temporal Cloud); none for local servers. */
async function tlsFromEnv(env: TemporalEnv): Promise<TLSConfig | boolean | undefined> {
  if (env.TEMPORAL_TLS_CLIENT_CERT_PATH && env.TEMPORAL_TLS_CLIENT_KEY_PATH) {
    return {
      clientCertPair: {
        crt: await readFile(env.TEMPORAL_TLS_CLIENT_CERT_PATH),
        key: await readFile(env.TEMPORAL_TLS_CLIENT_KEY_PATH),
      },
      serverRootCACertificate: env.TEMPORAL_TLS_SERVER_CA_CERT_PATH ? await readFile(env.TEMPORAL_TLS_SERVER_CA_CERT_PATH) : undefined,
    };
  }
  return env.TEMPORAL_API_KEY ? true : undefined;
}

export async function connectClient(env: TemporalEnv): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({
    address: env.TEMPORAL_ADDRESS,
    tls: await tlsFromEnv(env),
    apiKey: env.TEMPORAL_API_KEY,
    connectTimeout: '5s',
  });
  const dataConverter = dataConverterFor(env);
  return { client: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, ...(dataConverter ? { dataConverter } : {}) }), close: () => connection.close() };
}

export async function connectWorker(env: TemporalEnv): Promise<NativeConnection> {
  return NativeConnection.connect({ address: env.TEMPORAL_ADDRESS, tls: await tlsFromEnv(env), apiKey: env.TEMPORAL_API_KEY });
}
