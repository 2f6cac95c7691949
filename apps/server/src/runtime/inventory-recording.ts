import type { CertificateRepository, IssuedCertificateRecord } from '@rotor/acme';
import {
  EventPublisher,
  InventoryRecord,
  InventoryRepository,
  issuedEvent,
  sanKey,
  SubjectAltNames,
} from '@rotor/lifecycle';

/** Serial → inventory id of certificates this process just recorded (finalize calls markReplaced right after insert). */
const RECENT_LIMIT = 256;

/**
 * The ACME certificate store, recording every issuance in the inventory as
 * it happens. The hot path stays cheap: the record is built from what the
 * CA just returned (no parsing, no reads) and costs the inventory's two
 * INSERTs plus one conditional UPDATE that supersedes the account's older
 * certificates for exactly the same names — a client renewing without RFC
 * 9773 `replaces` must not leave the old certificate alerting.
 */
export class InventoryRecordingCertificateRepository implements CertificateRepository {
  private readonly recent = new Map<string, string>();

  constructor(
    private readonly inner: CertificateRepository,
    private readonly inventory: InventoryRepository,
    private readonly events: EventPublisher,
    private readonly now: () => number = Date.now,
  ) {}

  async insert(record: IssuedCertificateRecord): Promise<void> {
    await this.inner.insert(record);
    // Failures propagate: the order then fails instead of delivering a certificate nobody tracks.
    const entry = inventoryRecordOf(record);
    await this.inventory.upsert(entry);
    this.remember(record.id, entry.id);
    const superseded = await this.inventory.supersedeSameNames(
      entry.owner!,
      sanKey(entry.sans),
      entry.id,
      entry.notAfter,
      entry.createdAt,
    );
    await this.events.publish(issuedEvent('certificate.issued', entry, entry.createdAt, superseded));
  }

  byId(serialHex: string): Promise<IssuedCertificateRecord | null> {
    return this.inner.byId(serialHex);
  }

  async revoke(serialHex: string, reason: number, at: number): Promise<boolean> {
    if (!(await this.inner.revoke(serialHex, reason, at))) return false;
    if (await this.inventory.markRevoked(serialHex, at)) {
      // Revocation is rare: one read for the event's public facts is fine here.
      const entry = await this.inventory.bySerial(serialHex);
      if (entry) {
        await this.events.publish({
          type: 'certificate.revoked',
          subjectId: entry.id,
          data: {
            serial: entry.serial,
            sans: entry.sans,
            reason,
            revokedAt: new Date(at).toISOString(),
            owner: entry.owner ?? null,
          },
          at,
        });
      }
    }
    return true;
  }

  async markReplaced(serialHex: string, bySerialHex: string): Promise<boolean> {
    const changed = await this.inner.markReplaced(serialHex, bySerialHex);
    const successorId = this.recent.get(bySerialHex) ?? (await this.inventory.bySerial(bySerialHex))?.id;
    if (successorId) await this.inventory.supersedeBySerial(serialHex, successorId, this.now());
    return changed;
  }

  listRevoked(): ReturnType<CertificateRepository['listRevoked']> {
    return this.inner.listRevoked();
  }

  private remember(serial: string, id: string): void {
    this.recent.set(serial, id);
    if (this.recent.size > RECENT_LIMIT) this.recent.delete(this.recent.keys().next().value as string);
  }
}

/** The inventory's view of an ACME issuance, from the fields the CA already computed. */
export function inventoryRecordOf(record: IssuedCertificateRecord): InventoryRecord {
  const sans: SubjectAltNames = {
    dns: record.identifiers.filter((i) => i.type === 'dns').map((i) => i.value),
    ip: record.identifiers.filter((i) => i.type === 'ip').map((i) => i.value),
    uri: [],
  };
  return {
    id: record.fingerprintSha256,
    serial: record.id,
    subject: record.subject,
    issuer: record.issuer,
    sans,
    notBefore: record.notBefore,
    notAfter: record.notAfter,
    keyType: record.keyType,
    profile: record.profile,
    source: 'acme',
    owner: { kind: 'account', id: record.accountId },
    state: 'active',
    endpoints: [],
    pem: record.chainPem,
    createdAt: record.createdAt,
    updatedAt: record.createdAt,
  };
}
