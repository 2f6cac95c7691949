import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { API_SCOPES, ApiTokenRecord, ApiTokenRepository, apiTokenDigest, generateApiToken } from './tokens';

export const createTokenSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/i, 'letters, digits, ".", "_" and "-", at most 128'),
    scopes: z.array(z.enum(API_SCOPES)).min(1).max(API_SCOPES.length),
    /** Lifetime in ms; none = no expiry. */
    expiresInMs: z
      .number()
      .int()
      .positive()
      .max(10 * 365 * 86400e3)
      .optional(),
  })
  .strict();
export type CreateTokenInput = z.output<typeof createTokenSchema>;

export class TokenNameTaken extends Error {}

/** Public view of a token: never the digest, never the token. */
export const tokenView = (t: ApiTokenRecord) => ({
  id: t.id,
  name: t.name,
  scopes: t.scopes,
  createdAt: new Date(t.createdAt).toISOString(),
  expiresAt: t.expiresAt ? new Date(t.expiresAt).toISOString() : null,
  revokedAt: t.revokedAt ? new Date(t.revokedAt).toISOString() : null,
});

/** Creates a token; the secret is returned only here. */
export async function createApiToken(
  tokens: ApiTokenRepository,
  input: CreateTokenInput,
  now = Date.now(),
): Promise<{ token: string; record: ApiTokenRecord }> {
  const token = generateApiToken();
  const record: ApiTokenRecord = {
    id: randomUUID(),
    name: input.name,
    scopes: [...new Set(input.scopes)],
    digest: apiTokenDigest(token) as string,
    createdAt: now,
    expiresAt: input.expiresInMs ? now + input.expiresInMs : undefined,
  };
  if (!(await tokens.insert(record))) throw new TokenNameTaken(`a token named "${input.name}" exists already`);
  return { token, record };
}
