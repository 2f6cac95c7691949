import type { StoredEvent, Webhook, WebhookDelivery } from './model';

/** Webhook subscriptions; the store seals secrets at rest and hands them out only for signing. */
export interface WebhookRepository {
  insert(webhook: Webhook, secret: string): Promise<void>;
  list(): Promise<Webhook[]>;
  byId(id: string): Promise<Webhook | null>;
  /** Deletes the webhook and its delivery log; false when there is no such webhook. */
  delete(id: string): Promise<boolean>;
  /** Webhooks that receive events (not disabled). */
  active(): Promise<Webhook[]>;
}

/** The event log. */
export interface EventLog {
  /** Stores the event and one pending delivery per webhook, atomically; returns the delivery ids. */
  append(event: StoredEvent, webhookIds: string[]): Promise<string[]>;
  /** Drops events (and finished deliveries) older than `before`. */
  prune(before: number): Promise<number>;
}

/** Everything one delivery attempt needs, read in one go. */
export interface DeliveryAttempt {
  delivery: WebhookDelivery;
  url: string;
  secret: string;
  event: StoredEvent;
}

export interface DeliveryFailure {
  statusCode?: number;
  error: string;
  /** When the next attempt is due (pending), or now (final). */
  nextAttemptAt: number;
  /** The last attempt: the delivery becomes 'failed'. */
  final: boolean;
}

export interface DeliveryRepository {
  forAttempt(id: string): Promise<DeliveryAttempt | null>;
  /**
   * Claims attempt `attempt` (the row must be pending with attempts = attempt - 1):
   * two workers holding the same job, or a job and a re-sent copy, never post the
   * same attempt twice. `busyUntil` becomes next_attempt_at, so a worker that dies
   * mid-request leaves the delivery to the lost-delivery sweep.
   */
  claim(id: string, attempt: number, busyUntil: number, now: number): Promise<boolean>;
  delivered(id: string, statusCode: number, now: number): Promise<void>;
  attemptFailed(id: string, failure: DeliveryFailure, now: number): Promise<void>;
  /** Pending deliveries whose next attempt was due before `before` (their job was lost). */
  lost(before: number, limit: number): Promise<{ id: string; attempts: number }[]>;
  /** Moves a lost delivery's due time to `until` if it is still at `attempts`; true when this call did. */
  postpone(id: string, attempts: number, until: number): Promise<boolean>;
  /** The delivery log of one webhook, newest first. */
  list(webhookId: string, limit: number): Promise<WebhookDelivery[]>;
}

/** One job on the notification queue: attempt n of one delivery. */
export interface DeliveryJob {
  deliveryId: string;
  attempt: number;
}

/** The notification queue, as the domain sees it. */
export interface DeliveryScheduler {
  schedule(job: DeliveryJob, delayMs?: number): Promise<void>;
}

/** POSTs a body; resolves with the status (no redirects followed), rejects on network errors and timeouts. */
export interface WebhookTransport {
  post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number }>;
}
