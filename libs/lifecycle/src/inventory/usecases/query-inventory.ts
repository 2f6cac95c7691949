import { decodeCursor } from '../cursor';
import { InventoryInputError } from '../errors';
import { INVENTORY_STATUSES, InventoryQuery } from '../model';
import type { InventoryRepository } from '../ports';
import { toView, InventoryView } from './view';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

export interface InventorySettings {
  /** The "expiring" window (config `expiryWarning`). */
  warningMs: number;
}

/** List, count and show: the read side of the inventory for the API and the CLI. */
export class InventoryQueries {
  constructor(
    private readonly inventory: InventoryRepository,
    private readonly settings: InventorySettings,
    private readonly now: () => number = Date.now,
  ) {}

  async list(query: InventoryQuery): Promise<{ items: InventoryView[]; next?: string }> {
    checkQuery(query);
    const now = this.now();
    const page = await this.inventory.query(query, now, this.settings.warningMs);
    return { items: page.items.map((r) => toView(r, now, this.settings.warningMs)), next: page.next };
  }

  async count(query: InventoryQuery): Promise<number> {
    checkQuery(query);
    return this.inventory.count(query, this.now(), this.settings.warningMs);
  }

  /**
   * One certificate by fingerprint (hex, colons allowed as openssl prints it)
   * or by serial; a fingerprint wins when both could match.
   */
  async show(idOrSerial: string): Promise<InventoryView | null> {
    const key = idOrSerial.trim().toLowerCase().replace(/:/g, '');
    if (!/^[0-9a-f]{1,128}$/.test(key)) return null;
    const record =
      (key.length === 64 ? await this.inventory.byId(key) : null) ??
      (await this.inventory.bySerial(key.replace(/^(00)+(?=.)/, '')));
    return record ? toView(record, this.now(), this.settings.warningMs, true) : null;
  }
}

/** The same rules the API schema states, for callers that bypass it (CLI, other use cases). */
export function checkQuery(query: InventoryQuery): void {
  const bad = (message: string) => new InventoryInputError('malformed', message);
  for (const status of query.status ?? []) {
    if (!INVENTORY_STATUSES.includes(status)) throw bad(`status must be one of ${INVENTORY_STATUSES.join(', ')}`);
  }
  if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_PAGE_SIZE)) {
    throw bad(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  if (
    query.expiringWithinMs !== undefined &&
    !(Number.isSafeInteger(query.expiringWithinMs) && query.expiringWithinMs >= 0)
  ) {
    throw bad('expiringWithin must be a non-negative duration');
  }
  if (query.after !== undefined) decodeCursor(query.after);
}
