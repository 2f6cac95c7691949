import type { EventPublisher, LifecycleEventType } from '../../events';
import { InventoryInputError } from '../errors';
import { draftRecord, inspectPemBundle } from '../inspect';
import type { InventoryOwner, InventoryRecord } from '../model';
import { sanKey } from '../names';
import type { InventoryRepository } from '../ports';

export interface RecordIssuedInput {
  /** The issued chain, leaf first (as the CA returns it). */
  chainPem: string;
  owner: InventoryOwner;
  /** Rotor leaf profile (server/client/mtls). */
  profile?: string;
  source: 'managed' | 'acme';
  /** Inventory id (fingerprint) of the certificate this one renews. */
  replaces?: string;
  /**
   * Which event to publish: default 'certificate.renewed' when `replaces` is
   * given, else 'certificate.issued'; false publishes none (the caller does).
   */
  event?: Extract<LifecycleEventType, 'certificate.issued' | 'certificate.renewed'> | false;
}

export interface RecordIssuedResult {
  record: InventoryRecord;
  /** Ids this certificate superseded (its predecessor and older ones of the same owner for the same names). */
  superseded: string[];
}

/**
 * Records a certificate Rotor just issued outside ACME (managed renewals):
 * one inventory row, its predecessor and any older active certificate of the
 * same owner for exactly the same names superseded (so a normal rotation
 * never leaves the old one alerting), and an event for webhooks.
 */
export class RecordIssuedCertificate {
  constructor(
    private readonly inventory: InventoryRepository,
    private readonly events: EventPublisher,
    private readonly now: () => number = Date.now,
  ) {}

  async execute(input: RecordIssuedInput): Promise<RecordIssuedResult> {
    const [leaf, ...chain] = inspectPemBundle(input.chainPem);
    if (!leaf) throw new InventoryInputError('malformed', 'the issued chain holds no certificate');
    const now = this.now();
    const record: InventoryRecord = {
      ...draftRecord(leaf, {
        source: input.source,
        owner: input.owner,
        profile: input.profile,
        chain: chain.map((c) => c.der),
        now,
      }),
      replaces: input.replaces,
    };
    await this.inventory.upsert(record);
    const superseded: string[] = [];
    if (input.replaces && input.replaces !== record.id) {
      if (await this.inventory.supersede(input.replaces, record.id, now)) superseded.push(input.replaces);
    }
    for (const id of await this.inventory.supersedeSameNames(
      input.owner,
      sanKey(record.sans),
      record.id,
      record.notAfter,
      now,
    )) {
      if (!superseded.includes(id)) superseded.push(id);
    }
    const type = input.event ?? (input.replaces ? 'certificate.renewed' : 'certificate.issued');
    if (type) await this.events.publish(issuedEvent(type, record, now, superseded));
    return { record, superseded };
  }
}

/** The public facts webhooks receive about a new certificate. */
export function issuedEvent(
  type: LifecycleEventType,
  record: InventoryRecord,
  at: number,
  superseded: string[] = [],
): Parameters<EventPublisher['publish']>[0] {
  return {
    type,
    subjectId: record.id,
    data: {
      serial: record.serial,
      subject: record.subject,
      issuer: record.issuer,
      sans: record.sans,
      notBefore: new Date(record.notBefore).toISOString(),
      notAfter: new Date(record.notAfter).toISOString(),
      profile: record.profile ?? null,
      source: record.source,
      owner: record.owner ?? null,
      ...(record.replaces ? { replaces: record.replaces } : {}),
      ...(superseded.length ? { superseded } : {}),
    },
    at,
  };
}
