import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiTokenRepository, apiTokenDigest, generateApiToken } from '@rotor/lifecycle';

export const BOOTSTRAP_TOKEN_NAME = 'bootstrap-admin';

/**
 * First start only: when no admin-API token exists yet, create one with the
 * `admin` scope and write it to <data-dir>/admin-token (0600), so the API is
 * usable without a chicken-and-egg step. Replicas racing on one database
 * create it once (the name is unique); only the winner writes its file.
 * Returns the file path when this call created the token.
 */
export async function ensureBootstrapToken(tokens: ApiTokenRepository, dataDir: string): Promise<string | undefined> {
  if ((await tokens.count()) > 0) return undefined;
  const token = generateApiToken();
  const created = await tokens.insert({
    id: randomUUID(),
    name: BOOTSTRAP_TOKEN_NAME,
    scopes: ['admin'],
    digest: apiTokenDigest(token) as string,
    createdAt: Date.now(),
  });
  if (!created) return undefined;
  const path = join(dataDir, 'admin-token');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return path;
}
