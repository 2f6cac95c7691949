import type { CertificateRepository, RevocationListener } from '@rotor/acme';
import type { CertificateAuthority, RevocationReason } from '@rotor/pki';
import type { StoredCrl, TypeOrmCrlStore } from '@rotor/store';

const CRL_VALIDITY_MS = 24 * 3600e3;

/**
 * Publishes the CRL (RFC 5280 §5) at a stable URL. It is regenerated on every
 * revocation and before nextUpdate; the database keeps the newest, so every
 * replica serves the same list.
 */
export class CrlService implements RevocationListener {
  constructor(
    private readonly ca: CertificateAuthority,
    private readonly certificates: CertificateRepository,
    private readonly store: TypeOrmCrlStore,
  ) {}

  async revoked(): Promise<void> {
    await this.regenerate();
  }

  /** The newest CRL; regenerated when none exists or it is past half its validity. */
  async current(now = Date.now()): Promise<StoredCrl> {
    const latest = await this.store.latest();
    if (latest && now < latest.thisUpdate + CRL_VALIDITY_MS / 2) return latest;
    return this.regenerate(now);
  }

  async regenerate(now = Date.now()): Promise<StoredCrl> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const latest = await this.store.latest();
      const revoked = await this.certificates.listRevoked();
      const number = (latest?.number ?? 0) + 1;
      const thisUpdate = new Date(Math.floor(now / 1000) * 1000);
      const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_MS);
      const { der } = await this.ca.generateCrl({
        revoked: revoked.map((r) => ({
          serialHex: r.id,
          revokedAt: new Date(r.revokedAt ?? now),
          reason: (r.revocationReason ?? 0) as RevocationReason,
        })),
        thisUpdate,
        nextUpdate,
        crlNumber: number,
      });
      const crl = { number, der, thisUpdate: thisUpdate.getTime(), nextUpdate: nextUpdate.getTime() };
      // Another replica may have taken this number: retry with the next one.
      if (await this.store.publish(crl)) return crl;
    }
    throw new Error('could not publish a CRL after 5 attempts');
  }
}
