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
  /** Marks `id` superseded by `successorId` if it is still active; returns whether it changed. */
  supersede(id: string, successorId: string, at: number): Promise<boolean>;
  /**
   * Supersedes every active certificate of `owner` with exactly these SANs
   * that expires before `successor` does (a client renewing without RFC 9773
   * `replaces`). Returns the ids it changed.
   */
  supersedeSameNames(owner: InventoryOwner, sanKey: string, successorId: string, before: number, at: number): Promise<string[]>;
  markRevoked(serial: string, at: number): Promise<boolean>;
}
