/**
 * Retry timing shared by both queue implementations: exponential backoff
 * with "equal jitter" (half the delay fixed, half random), capped. The jitter
 * spreads retries of work that failed together (a CA or database blip hits
 * every renewal at once) so they do not come back as one thundering herd.
 */
export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  /** Ceiling for any single delay. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

/** Delay before the next run after `failures` failed runs (1 after the first failure). */
export function retryDelayMs(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/**
 * Thrown by a processor that cannot run yet but will be able to at a known
 * time (e.g. another worker holds the row's lease until then). The retry is
 * scheduled after `retryAfterMs` instead of the exponential delay; it still
 * counts as an attempt.
 */
export class RetryLaterJobError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterJobError';
  }
}

/** The delay for a failed run: the processor's own hint when it gave one, else backoff with jitter. */
export function delayAfterFailure(failures: number, error: unknown, policy: BackoffPolicy): number {
  if (error instanceof RetryLaterJobError) return Math.max(0, Math.min(error.retryAfterMs, policy.maxMs));
  return retryDelayMs(failures, policy);
}
