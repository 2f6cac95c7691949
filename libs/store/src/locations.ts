import { join } from 'node:path';
import { KeySealer } from '@rotor/pki';
import type { StoreOptions } from './data-source';

/**
 * Where a Rotor data directory keeps things. The server and the CLI both open
 * the store and the key sealer through these, so they always agree.
 */
export interface DataLocation {
  dataDir: string;
  databaseUrl?: string;
  masterKey?: string;
}

export function storeOptionsFor(location: DataLocation): StoreOptions {
  return { databaseUrl: location.databaseUrl, sqlitePath: join(location.dataDir, 'rotor.sqlite') };
}

/** KEK from ROTOR_MASTER_KEY when set, else a generated 0600 key file in the data directory. */
export function openSealer(location: DataLocation): KeySealer {
  return location.masterKey
    ? KeySealer.fromMasterKey(location.masterKey)
    : KeySealer.fromKeyFile(join(location.dataDir, 'keys', 'master.key'));
}
