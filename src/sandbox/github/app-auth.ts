/**
 * GitHub App authentication, GitHub's side. An App registered with the sandbox (its id, public
 * key and installation) gets installation tokens at `POST /app/installations/{id}/access_tokens`
 * for a JWT signed with its private key (RS256 checked against the registered public key; `iss` the
 * App's id or client ID; `iat` not in the future, `exp` after now and at most 10 minutes after
 * `iat`, as GitHub demands), answered 201 `{ token, expires_at, permissions, repository_selection }`.
 * The API then takes `Authorization: token ghs_…` (or `Bearer`) while the token lasts, and answers
 * 401 Bad credentials once it has expired. Other tokens (a PAT, `GITHUB_TOKEN`) are taken as before.
 *
 * Tokens are never recorded: the log says which issued token (by number) authenticated each call.
 */
import { createPublicKey, createVerify, type KeyObject, randomBytes } from 'node:crypto';
import { DOCS } from './wire';

export interface GitHubAppRegistration {
  /** The App's id (digits), as GITHUB_APP_ID; its client ID (Iv…) is accepted too when given. */
  appId: string | number;
  clientId?: string;
  /** The App's public key (PEM), the other half of the key in GITHUB_APP_PRIVATE_KEY_PATH. */
  publicKeyPem: string;
  installationId: number;
  /** How long installation tokens last. @default 3600000 (GitHub's hour) */
  tokenLifetimeMs?: number;
  /** What the installation may do (GitHub answers them with each token). */
  permissions?: Record<string, 'read' | 'write'>;
}

export interface IssuedInstallationToken {
  /** 1, 2, … in the order issued. */
  number: number;
  installationId: number;
  createdAt: string;
  expiresAt: string;
}

export interface GitHubAuthRecord {
  /** `METHOD /path` of an API call (not the token endpoint). */
  operation: string;
  /** How it was authenticated: an installation token (by number), an expired one (refused), another token, or none. */
  auth: 'installation-token' | 'expired-installation-token' | 'unknown-installation-token' | 'token' | 'none';
  tokenNumber?: number;
}

/** The permissions a Runway installation gets unless the registration says otherwise. */
export const DEFAULT_APP_PERMISSIONS: Record<string, 'read' | 'write'> = { actions: 'write', checks: 'read', contents: 'read', deployments: 'write', metadata: 'read' };

interface App {
  registration: GitHubAppRegistration;
  publicKey: KeyObject;
}

type Reply = { status: number; body: unknown };

const TOKEN_ROUTE = /^\/app\/installations\/(\d+)\/access_tokens$/;
/** Installation tokens look like GitHub's: ghs_ and 36 characters. */
const INSTALLATION_TOKEN = /^ghs_[A-Za-z0-9]{36}$/;

function unauthorized(message: string): Reply {
  return { status: 401, body: { message, documentation_url: DOCS, status: '401' } };
}

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export class GitHubAppAuth {
  private readonly apps: App[] = [];
  private readonly tokens = new Map<string, IssuedInstallationToken>();
  private readonly issued: IssuedInstallationToken[] = [];
  private readonly log: GitHubAuthRecord[] = [];

  constructor(private readonly now: () => number) {}

  register(registration: GitHubAppRegistration): void {
    this.apps.push({ registration, publicKey: createPublicKey(registration.publicKeyPem) });
  }

  /** The token endpoint, when `path` is it; undefined otherwise. */
  tokenRequest(method: string, path: string, authorization: string | undefined): Reply | undefined {
    const m = TOKEN_ROUTE.exec(path);
    if (!m || method !== 'POST') return undefined;
    const installationId = Number(m[1]);
    const jwt = /^bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!jwt) return unauthorized('A JSON web token could not be decoded');
    const checked = this.verifyJwt(jwt);
    if ('error' in checked) return unauthorized(checked.error);
    const { registration } = checked.app;
    if (registration.installationId !== installationId) return { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
    const now = this.now();
    const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`;
    const record: IssuedInstallationToken = {
      number: this.issued.length + 1,
      installationId,
      createdAt: new Date(now).toISOString(),
      // GitHub's timestamps have no milliseconds.
      expiresAt: new Date(Math.floor((now + (registration.tokenLifetimeMs ?? 3_600_000)) / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    };
    this.tokens.set(token, record);
    this.issued.push(record);
    return { status: 201, body: { token, expires_at: record.expiresAt, permissions: registration.permissions ?? DEFAULT_APP_PERMISSIONS, repository_selection: 'all' } };
  }

  /** An API call's credentials: undefined to go on, or GitHub's 401 for an installation token it no longer (or never) knew. */
  checkApiCall(operation: string, authorization: string | undefined): Reply | undefined {
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) return void this.log.push({ operation, auth: 'none' });
    const issued = this.tokens.get(token);
    if (!issued) {
      if (!INSTALLATION_TOKEN.test(token)) return void this.log.push({ operation, auth: 'token' });
      this.log.push({ operation, auth: 'unknown-installation-token' });
      return unauthorized('Bad credentials');
    }
    if (Date.parse(issued.expiresAt) <= this.now()) {
      this.log.push({ operation, auth: 'expired-installation-token', tokenNumber: issued.number });
      return unauthorized('Bad credentials');
    }
    this.log.push({ operation, auth: 'installation-token', tokenNumber: issued.number });
    return undefined;
  }

  state(): { installationTokens: IssuedInstallationToken[]; apiCalls: GitHubAuthRecord[] } {
    return structuredClone({ installationTokens: this.issued, apiCalls: this.log });
  }

  private verifyJwt(jwt: string): { app: App } | { error: string } {
    const parts = jwt.split('.');
    if (parts.length !== 3) return { error: 'A JSON web token could not be decoded' };
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodePart(headerPart);
    const payload = decodePart(payloadPart);
    if (!header || !payload) return { error: 'A JSON web token could not be decoded' };
    if (header.alg !== 'RS256') return { error: "'alg' must be RS256" };
    const iss = String(payload.iss ?? '');
    const app = this.apps.find((a) => String(a.registration.appId) === iss || (a.registration.clientId !== undefined && a.registration.clientId === iss));
    if (!app) return { error: `Integration not found` };
    const valid = createVerify('RSA-SHA256').update(`${headerPart}.${payloadPart}`).verify(app.publicKey, Buffer.from(signaturePart, 'base64url'));
    if (!valid) return { error: 'A JSON web token could not be decoded' };
    const nowSec = Math.floor(this.now() / 1000);
    const { iat, exp } = payload;
    if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > nowSec + 60) return { error: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued." };
    if (typeof exp !== 'number' || !Number.isInteger(exp) || exp <= nowSec) {
      return { error: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires." };
    }
    if (exp - iat > 600) return { error: "'Expiration time' claim ('exp') is too far in the future." };
    return { app };
  }
}
