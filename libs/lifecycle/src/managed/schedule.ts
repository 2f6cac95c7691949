import { createHash } from 'node:crypto';
import type { ManagedSpec } from './model';

/**
 * A number in [-1, 1] fixed by (managed id, generation). The jitter is
 * deterministic rather than random so that every replica computes the same
 * renewal point for a generation (the job id includes it) and a test can
 * predict it, while a fleet created in the same second still spreads out:
 * different ids land on different offsets, and each generation moves again.
 */
export function jitterUnit(managedId: string, generation: number): number {
  const digest = createHash('sha256').update(`${managedId}:${generation}`).digest();
  return (digest.readUInt32BE(0) / 0xffffffff) * 2 - 1;
}

/**
 * When the certificate of `generation` (valid notBefore..notAfter) is due for
 * renewal: notBefore + (renewAt ± jitter) × lifetime.
 */
export function renewalPoint(
  spec: Pick<ManagedSpec, 'renewAt' | 'jitter'>,
  validity: { notBefore: number; notAfter: number },
  managedId: string,
  generation: number,
): number {
  const lifetime = validity.notAfter - validity.notBefore;
  const fraction = spec.renewAt + spec.jitter * jitterUnit(managedId, generation);
  return Math.round(validity.notBefore + lifetime * fraction);
}

/**
 * After a renewal job has used all its attempts, the next try is scheduled
 * through the database (the reconciler enqueues it): 5 s, doubling with each
 * consecutive failure, capped at a tenth of the lifetime (at least 10 s, at
 * most an hour) so a short-lived certificate keeps trying before it lapses.
 * ±10 % random jitter keeps a fleet that failed together from retrying together.
 */
export function failureRetryDelayMs(consecutiveFailures: number, lifetimeMs: number, random = Math.random): number {
  const cap = Math.min(3600e3, Math.max(10e3, lifetimeMs / 10));
  const delay = Math.min(cap, 5e3 * 2 ** Math.max(0, Math.min(30, consecutiveFailures - 1)));
  return Math.round(delay * (0.9 + 0.2 * random()));
}
