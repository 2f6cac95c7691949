/**
 * The certificate inventory: one record per certificate Rotor knows, whoever
 * issued it. Rotor-issued certificates (ACME or managed) are recorded at
 * issuance; others arrive by import (PEM) or by scanning live endpoints.
 */

/** How a certificate came to be known. */
export type InventorySource = 'acme' | 'managed' | 'import' | 'scan';

/** Stored lifecycle state; `valid`/`expiring`/`expired` are derived from the clock (see status.ts). */
export type InventoryState = 'active' | 'revoked' | 'superseded';

/** What operators see and filter by. */
export type InventoryStatus = 'valid' | 'expiring' | 'expired' | 'revoked' | 'superseded';
export const INVENTORY_STATUSES: readonly InventoryStatus[] = ['valid', 'expiring', 'expired', 'revoked', 'superseded'];

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  /** URI SANs, e.g. spiffe://prod/payments. */
  uri: string[];
}

/** Who a certificate belongs to: the ACME account that ordered it or the managed certificate it realises. */
export interface InventoryOwner {
  kind: 'account' | 'managed';
  id: string;
}

export interface InventoryRecord {
  /** Lower-case hex SHA-256 of the leaf DER: unique across issuers (serials are only unique per issuer). */
  id: string;
  /** Lower-case hex serial number, no leading zero bytes. */
  serial: string;
  subject: string;
  issuer: string;
  sans: SubjectAltNames;
  notBefore: number;
  notAfter: number;
  /** e.g. ecdsa-p256, rsa-2048, ed25519; "unknown" for algorithms Rotor does not classify. */
  keyType: string;
  /** Rotor leaf profile (server/client/mtls) when Rotor issued it. */
  profile?: string;
  source: InventorySource;
  owner?: InventoryOwner;
  state: InventoryState;
  revokedAt?: number;
  /** Inventory id of the certificate this one replaced (RFC 9773 `replaces`, or a managed renewal). */
  replaces?: string;
  /** Inventory id of the successor, once there is one. */
  replacedBy?: string;
  /** host:port endpoints a scan found serving this certificate. */
  endpoints: string[];
  /** Leaf first, then any chain certificates that came with it. */
  pem: string;
  createdAt: number;
  updatedAt: number;
}

/** A query over the inventory. Every filter is optional; results are ordered by (notAfter, id). */
export interface InventoryQuery {
  status?: InventoryStatus[];
  /** Exact SAN (DNS name, IP or URI), case-insensitive for DNS. */
  san?: string;
  /** Substring of the issuer DN. */
  issuer?: string;
  /**
   * Only certificates whose notAfter is within this many ms from now (and not
   * yet expired). Without a `status` filter this also means "still in use":
   * revoked and superseded certificates are left out.
   */
  expiringWithinMs?: number;
  source?: InventorySource;
  owner?: InventoryOwner;
  /** Opaque cursor from a previous page. */
  after?: string;
  /** 1-500, default 100. */
  limit?: number;
}

export interface InventoryPage {
  items: InventoryRecord[];
  /** Cursor for the next page; absent on the last page. */
  next?: string;
}
