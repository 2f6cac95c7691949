import { InventoryInputError } from './errors';

/**
 * Pages are ordered by (notAfter, id) and a cursor is the position of the last
 * row served. Resuming "after (notAfter, id)" is stable: rows inserted or
 * changed elsewhere in the order never shift or repeat the rows of later pages
 * (unlike OFFSET). The text is opaque to clients.
 */
export interface InventoryCursor {
  notAfter: number;
  id: string;
}

const ID = /^[0-9a-f]{64}$/;

export function encodeCursor(cursor: InventoryCursor): string {
  return Buffer.from(`${cursor.notAfter}.${cursor.id}`).toString('base64url');
}

export function decodeCursor(text: string): InventoryCursor {
  const invalid = () => new InventoryInputError('malformed', 'the cursor is not one this server issued');
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid();
  const match = /^(-?\d{1,16})\.([0-9a-f]{64})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match || !ID.test(match[2])) throw invalid();
  const notAfter = Number(match[1]);
  if (!Number.isSafeInteger(notAfter)) throw invalid();
  return { notAfter, id: match[2] };
}
