import type { InventoryOwner, InventoryPage, InventoryQuery, InventoryRecord } from './model';

/** What the lifecycle domain needs from storage; libs/store implements it on SQLite and PostgreSQL. */
export interface InventoryRepository {
  /**
   * Inserts the record, or — when a certificate with the same id (fingerprint)
   * is already known — merges `endpoints` and keeps the rest. Returns whether
   * the row was new.
   */
  upsert(record: InventoryRecord): Promise<{ inserted: boolean }>;
  byId(id: string): Promise<InventoryRecord | null>;
  /** Rotor-issued certificates are also found by serial (ACME, CRL). */
  bySerial(serial: string): Promise<InventoryRecord | null>;
  query(query: InventoryQuery, now: number, warningMs: number): Promise<InventoryPage>;
  /** How many records match the filters of `query` (its cursor and limit are ignored). */
  count(query: InventoryQuery, now: number, warningMs: number): Promise<number>;
  /** Marks `id` superseded by `successorId` if it is still active; returns whether it changed. */
  supersede(id: string, successorId: string, at: number): Promise<boolean>;
  /**
   * Supersedes every active certificate of `owner` with exactly these SANs
   * that is older than the successor (a client renewing without RFC 9773
   * `replaces`): an earlier notAfter than `before` (the successor's), or the
   * same notAfter and recorded earlier (`at` is the successor's createdAt),
   * ties broken by id — so two certificates never supersede each other.
   * Returns the ids it changed.
   */
  supersedeSameNames(
    owner: InventoryOwner,
    sanKey: string,
    successorId: string,
    before: number,
    at: number,
  ): Promise<string[]>;
  /**
   * RFC 9773 `replaces` names the predecessor by serial: marks the Rotor-issued
   * (acme/managed) certificate with that serial superseded by `successorId`
   * unless another successor already took it, and records the link on both
   * rows. Returns the predecessor's id, or null when nothing matched.
   */
  supersedeBySerial(serial: string, successorId: string, at: number): Promise<string | null>;
  /** Marks the Rotor-issued (acme/managed) certificate with this serial revoked; true if it changed. */
  markRevoked(serial: string, at: number): Promise<boolean>;
}
