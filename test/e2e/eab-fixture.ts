/**
 * Starts a Rotor that requires External Account Binding (RFC 8555 §7.3.4)
 * with EAB keys already in its database. Keys are created only through the
 * CLI or the store, so they are inserted with the repository the CLI uses,
 * before the server starts on the same data directory.
 */
import { randomBytes } from 'node:crypto';
import { openDataSource, openSealer, storeOptionsFor, TypeOrmEabKeyRepository } from '@rotor/store';
import { startRotor, tempDir, TestRotor } from '@rotor/testing';

export interface EabKeySpec {
  kid: string;
  allowedDnsSuffixes?: string[];
}

export interface EabRotor {
  rotor: TestRotor;
  /** HMAC key per kid. */
  keys: Map<string, Uint8Array>;
}

export async function startEabRotor(
  specs: EabKeySpec[],
  overrides: Parameters<typeof startRotor>[0] = {},
): Promise<EabRotor> {
  const dataDir = tempDir('rotor-eab-');
  const dataSource = await openDataSource(storeOptionsFor({ dataDir }));
  const keys = new Map<string, Uint8Array>();
  try {
    const repository = new TypeOrmEabKeyRepository(dataSource, openSealer({ dataDir }));
    for (const spec of specs) {
      const hmacKey = new Uint8Array(randomBytes(32));
      keys.set(spec.kid, hmacKey);
      await repository.create({
        id: spec.kid,
        hmacKey,
        allowedDnsSuffixes: spec.allowedDnsSuffixes ?? [],
        createdAt: Date.now(),
      });
    }
  } finally {
    await dataSource.destroy();
  }
  const rotor = await startRotor({ ...overrides, dataDir, eabRequired: true });
  return { rotor, keys };
}
