/** Queue names and payloads: one place, shared by producers and processors. */
export const QUEUES = {
  validateChallenge: 'validate-challenge',
  /** Renew one managed certificate (one job per generation and due time). */
  renewal: 'renewal',
  /** Deliver lifecycle events (webhooks). */
  notification: 'notification',
  /** Regenerate the CRL before it goes stale (one job per CRL period). */
  crl: 'crl',
} as const;

export interface ValidateChallengeJob {
  challengeId: string;
}

export interface RenewalJob {
  managedId: string;
  /** The generation this job renews; a job for an older generation is a no-op. */
  generation: number;
  /** When the renewal was due (ms), for queue-lag measurements. */
  dueAt: number;
  /** An operator asked for it (`rotor managed renew`): run even if not due yet. */
  force?: boolean;
}

export interface CrlJob {
  /** The CRL period this job refreshes (ms of its start); the job id de-duplicates per period. */
  period: number;
}
