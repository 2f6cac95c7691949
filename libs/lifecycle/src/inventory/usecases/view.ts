import type { InventoryRecord, InventoryStatus } from '../model';
import { inventoryStatus } from '../status';

/** A record as operators see it: with its derived status and RFC 3339 times. PEM only where asked for. */
export interface InventoryView {
  id: string;
  serial: string;
  status: InventoryStatus;
  subject: string;
  issuer: string;
  sans: InventoryRecord['sans'];
  notBefore: string;
  notAfter: string;
  keyType: string;
  profile: string | null;
  source: InventoryRecord['source'];
  owner: InventoryRecord['owner'] | null;
  state: InventoryRecord['state'];
  revokedAt: string | null;
  replaces: string | null;
  replacedBy: string | null;
  endpoints: string[];
  createdAt: string;
  updatedAt: string;
  pem?: string;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function toView(record: InventoryRecord, now: number, warningMs: number, withPem = false): InventoryView {
  return {
    id: record.id,
    serial: record.serial,
    status: inventoryStatus(record, now, warningMs),
    subject: record.subject,
    issuer: record.issuer,
    sans: record.sans,
    notBefore: new Date(record.notBefore).toISOString(),
    notAfter: new Date(record.notAfter).toISOString(),
    keyType: record.keyType,
    profile: record.profile ?? null,
    source: record.source,
    owner: record.owner ?? null,
    state: record.state,
    revokedAt: iso(record.revokedAt),
    replaces: record.replaces ?? null,
    replacedBy: record.replacedBy ?? null,
    endpoints: record.endpoints,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    ...(withPem ? { pem: record.pem } : {}),
  };
}
