import { z } from 'zod';
import { parseDurationText } from '../duration';
import { decodeCursor } from './cursor';
import { INVENTORY_STATUSES, InventoryQuery, InventorySource, InventoryStatus } from './model';
import { MAX_PAGE_SIZE } from './usecases/query-inventory';

/** Longer than any certificate lives; keeps now + duration a safe integer. */
const MAX_DURATION_MS = 100 * 365 * 86400e3;

/** A duration (see ../duration.ts) no longer than a century. */
export function parseDuration(text: string): number | undefined {
  const ms = parseDurationText(text);
  return ms !== undefined && ms <= MAX_DURATION_MS ? ms : undefined;
}

const SOURCES: readonly InventorySource[] = ['acme', 'managed', 'import', 'scan'];

/** One value or a repeated parameter, each possibly comma-separated. */
const list = z.union([z.string(), z.array(z.string()).max(10)]).transform((v) =>
  (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean),
);

/**
 * The list filters as flat strings (URL query or CLI flags) → an InventoryQuery.
 * Unknown parameters are refused, so a misspelt filter never silently
 * returns everything.
 */
export const inventoryListQuerySchema = z
  .object({
    status: list
      .refine((v) => v.every((s) => (INVENTORY_STATUSES as readonly string[]).includes(s)), {
        message: `status must be a comma-separated list of ${INVENTORY_STATUSES.join(', ')}`,
      })
      .optional(),
    san: z.string().trim().min(1).max(1024).optional(),
    issuer: z.string().min(1).max(256).optional(),
    expiringWithin: z
      .string()
      .refine((v) => parseDuration(v) !== undefined, {
        message: 'expiringWithin must be a duration like 90s, 15m, 24h or 7d (at most 100 years)',
      })
      .optional(),
    source: z.enum(SOURCES as [InventorySource, ...InventorySource[]]).optional(),
    owner: z
      .string()
      .regex(/^(account|managed):[^\s]{1,64}$/, 'owner must be account:<id> or managed:<id>')
      .optional(),
    after: z
      .string()
      .max(200)
      .refine((v) => isCursor(v), { message: 'after must be the `next` cursor of a previous page' })
      .optional(),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`)
      .transform(Number)
      .refine((n) => n >= 1 && n <= MAX_PAGE_SIZE, `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`)
      .optional(),
    count: z.enum(['true', 'false']).optional(),
  })
  .strict();

export type InventoryListParams = z.output<typeof inventoryListQuerySchema>;

export function toInventoryQuery(params: InventoryListParams): InventoryQuery {
  const owner = params.owner ? /^(account|managed):(.+)$/.exec(params.owner) : null;
  return {
    status: params.status?.length ? [...new Set(params.status as InventoryStatus[])] : undefined,
    san: params.san,
    issuer: params.issuer,
    expiringWithinMs: params.expiringWithin !== undefined ? parseDuration(params.expiringWithin) : undefined,
    source: params.source,
    owner: owner ? { kind: owner[1] as 'account' | 'managed', id: owner[2] } : undefined,
    after: params.after,
    limit: params.limit,
  };
}

function isCursor(text: string): boolean {
  try {
    decodeCursor(text);
    return true;
  } catch {
    return false;
  }
}
