import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RotorConfig } from '@rotor/config';
import { CertificateAuthority, KeySealer, createCaMaterial } from '@rotor/pki';
import type { TypeOrmCaMaterialStore } from '@rotor/store';
import type { AcmeLinker } from '@rotor/acme';

function caDirectory(config: RotorConfig): string {
  return join(config.dataDir, 'ca');
}

/**
 * Loads the CA hierarchy from the database, creating root + intermediate on
 * first start (replicas racing here keep the first one written), and writes
 * the public certificates to <data-dir>/ca/ for clients to trust.
 */
export async function openCertificateAuthority(
  config: RotorConfig,
  store: TypeOrmCaMaterialStore,
  sealer: KeySealer,
  linker: AcmeLinker,
): Promise<CertificateAuthority> {
  let material = await store.load();
  if (!material) {
    material = await store.saveIfAbsent(await createCaMaterial(config.caKeyAlgorithm, sealer));
  }
  const ca = await CertificateAuthority.open(material, sealer, {
    aiaIssuerUrl: linker.intermediateCertificate(),
    crlUrl: linker.crl(),
    defaultLifetimeMs: config.certLifetime,
    maxLifetimeMs: config.maxCertLifetime,
  });
  const dir = caDirectory(config);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'root.pem'), ca.rootPem);
  writeFileSync(join(dir, 'intermediate.pem'), ca.intermediatePem);
  return ca;
}
