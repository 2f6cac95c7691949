import { createHash, randomBytes } from 'node:crypto';

/**
 * Admin-API bearer tokens. Only a SHA-256 of each token is stored, so a
 * database dump does not hand out API access; the token itself is shown once.
 */
export const API_SCOPES = [
  'inventory:read',
  'inventory:write',
  'managed:read',
  'managed:write',
  'alerts:read',
  'webhooks:write',
  'admin',
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const isApiScope = (value: string): value is ApiScope => (API_SCOPES as readonly string[]).includes(value);

/** `admin` implies every scope; `x:write` implies `x:read`. */
export function grants(held: readonly ApiScope[], wanted: ApiScope): boolean {
  if (held.includes('admin') || held.includes(wanted)) return true;
  const [resource, action] = wanted.split(':');
  return action === 'read' && held.includes(`${resource}:write` as ApiScope);
}

const PREFIX = 'rotor_';

/** A new random token: a recognisable prefix (secret scanners) plus 256 random bits. */
export function generateApiToken(): string {
  return `${PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** What is stored and looked up; undefined for strings that cannot be tokens (no lookup needed). */
export function apiTokenDigest(token: string): string | undefined {
  if (!token.startsWith(PREFIX) || token.length !== PREFIX.length + 43 || !/^[A-Za-z0-9_-]+$/.test(token)) {
    return undefined;
  }
  return createHash('sha256').update(token).digest('hex');
}

export interface ApiTokenRecord {
  id: string;
  name: string;
  scopes: ApiScope[];
  digest: string;
  createdAt: number;
  expiresAt?: number;
  revokedAt?: number;
  lastUsedAt?: number;
}

export interface ApiTokenRepository {
  /** false when a token with this name exists already. */
  insert(record: ApiTokenRecord): Promise<boolean>;
  byDigest(digest: string): Promise<ApiTokenRecord | null>;
  list(): Promise<ApiTokenRecord[]>;
  revoke(idOrName: string, at: number): Promise<boolean>;
  count(): Promise<number>;
}

/** Whether a stored token may be used now. */
export function tokenUsable(record: ApiTokenRecord, now: number): boolean {
  return record.revokedAt === undefined && (record.expiresAt === undefined || record.expiresAt > now);
}
