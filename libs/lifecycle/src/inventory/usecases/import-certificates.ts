import { InventoryInputError } from '../errors';
import { draftRecord, inspectPemBundle } from '../inspect';
import type { InventoryRecord } from '../model';
import type { InventoryRepository } from '../ports';

/** The most certificates one API import request may carry. */
export const MAX_IMPORT_CERTIFICATES = 100;

export interface ImportedCertificate {
  record: InventoryRecord;
  /** False when the certificate was already known (issued by Rotor, imported or scanned before). */
  inserted: boolean;
}

/**
 * Tracks certificates Rotor did not issue. Every certificate in the input is
 * parsed before any is stored, so bad input stores nothing. Each certificate
 * of a bundle becomes its own record (a chain's intermediates expire too).
 */
export class ImportCertificatesUseCase {
  constructor(
    private readonly inventory: InventoryRepository,
    private readonly now: () => number = Date.now,
  ) {}

  /** Parses and checks, stores nothing; throws InventoryInputError. */
  prepare(pem: string, maxCertificates = MAX_IMPORT_CERTIFICATES): InventoryRecord[] {
    const facts = inspectPemBundle(pem);
    if (facts.length > maxCertificates) {
      throw new InventoryInputError(
        'rejected',
        `${facts.length} certificates in one import; at most ${maxCertificates} are accepted per request`,
      );
    }
    const now = this.now();
    const seen = new Set<string>();
    return facts
      .filter((f) => !seen.has(f.fingerprint) && seen.add(f.fingerprint))
      .map((f) => draftRecord(f, { source: 'import', now }));
  }

  async store(records: InventoryRecord[]): Promise<ImportedCertificate[]> {
    const results: ImportedCertificate[] = [];
    for (const record of records) {
      const { inserted } = await this.inventory.upsert(record);
      // A known certificate keeps what Rotor already knew (its source, owner, state): report that.
      results.push({ record: inserted ? record : ((await this.inventory.byId(record.id)) ?? record), inserted });
    }
    return results;
  }

  async execute(pem: string, maxCertificates = MAX_IMPORT_CERTIFICATES): Promise<ImportedCertificate[]> {
    return this.store(this.prepare(pem, maxCertificates));
  }
}
