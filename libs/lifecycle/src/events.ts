/**
 * Lifecycle events: what happened to a certificate. They are stored (the
 * delivery log) and delivered to webhooks on the notification queue.
 */
export type LifecycleEventType =
  'certificate.issued' | 'certificate.renewed' | 'certificate.revoked' | 'certificate.expiring' | 'renewal.failed';

export const LIFECYCLE_EVENT_TYPES: readonly LifecycleEventType[] = [
  'certificate.issued',
  'certificate.renewed',
  'certificate.revoked',
  'certificate.expiring',
  'renewal.failed',
];

export interface LifecycleEvent {
  type: LifecycleEventType;
  /** The inventory id (certificate events) or managed certificate id (renewal events). */
  subjectId: string;
  /** Public facts only: names, serial, dates, error summaries. Never key material. */
  data: Record<string, unknown>;
  at: number;
}

/** Where producers (ACME issuance, renewals, the alert sweep) report events. */
export interface EventPublisher {
  publish(event: LifecycleEvent): Promise<void>;
}

/** For wiring where no one listens yet. */
export const NO_EVENTS: EventPublisher = { publish: async () => undefined };
