import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, in the scheme Stripe popularised:
 *
 *   Rotor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * The timestamp is inside the MAC, so a receiver that rejects timestamps
 * outside a few minutes also rejects replays of captured requests; the event
 * id in the body lets it drop duplicates of retried deliveries. Several v1
 * values may appear (during a secret rotation); one match suffices.
 */
export const SIGNATURE_HEADER = 'Rotor-Signature';

/** Receivers should refuse signatures older (or newer) than this. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signatureHex(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signWebhook(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${signatureHex(secret, timestamp, body)}`;
}

export type SignatureCheck =
  { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

/** What a receiver does: parse, check the window, then compare in constant time. */
export function verifyWebhookSignature(
  header: string | undefined,
  body: string,
  secret: string,
  now = Date.now(),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): SignatureCheck {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of (header ?? '').split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && /^\d{1,12}$/.test(value ?? '')) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value ?? '')) signatures.push(value as string);
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(Math.floor(now / 1000) - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signatureHex(secret, timestamp, body), 'hex');
  const ok = signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  return ok ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}
