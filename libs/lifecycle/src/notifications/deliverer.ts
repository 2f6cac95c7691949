import { eventBody, retryDelayMs } from './model';
import type { DeliveryJob, DeliveryRepository, DeliveryScheduler, WebhookTransport } from './ports';
import { SIGNATURE_HEADER, signWebhook } from './signing';

export interface DeliveryPolicy {
  /** Total attempts before a delivery is 'failed'. */
  maxAttempts: number;
  /** First retry delay; doubles per attempt (with jitter, capped at 1 h). */
  backoffMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
}

/** How long past its due time a delivery must be before the sweep assumes its job was lost. */
export const LOST_DELIVERY_SLACK_MS = 60_000;

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'skipped';

/**
 * The notification-queue processor: one POST per job. Each attempt is its own
 * job (id `<delivery>.<attempt>`), scheduled by the previous one with the
 * webhook backoff, so retries behave the same on BullMQ and in process and
 * the attempt count lives in the database, not in a queue that may be
 * flushed. Delivery is at-least-once: receivers drop duplicates by event id.
 */
export class WebhookDeliverer {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly transport: WebhookTransport,
    private readonly scheduler: DeliveryScheduler,
    private readonly policy: DeliveryPolicy,
    private readonly clock: () => number = Date.now,
  ) {}

  async deliver(job: DeliveryJob): Promise<DeliveryOutcome> {
    const item = await this.deliveries.forAttempt(job.deliveryId);
    if (!item || item.delivery.status !== 'pending' || item.delivery.attempts !== job.attempt - 1) return 'skipped';
    const started = this.clock();
    const busyUntil = started + this.policy.timeoutMs + LOST_DELIVERY_SLACK_MS;
    if (!(await this.deliveries.claim(job.deliveryId, job.attempt, busyUntil, started))) return 'skipped';

    const body = eventBody(item.event);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Rotor-Webhooks/1',
      [SIGNATURE_HEADER.toLowerCase()]: signWebhook(item.secret, body, Math.floor(started / 1000)),
      'rotor-event-id': item.event.id,
      'rotor-event-type': item.event.type,
      'rotor-delivery-id': job.deliveryId,
      'rotor-delivery-attempt': String(job.attempt),
    };
    let statusCode: number | undefined;
    let error: string | undefined;
    try {
      statusCode = (await this.transport.post(item.url, body, headers, this.policy.timeoutMs)).status;
      if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
    } catch (cause) {
      error = describe(cause);
    }
    const now = this.clock();
    if (error === undefined) {
      await this.deliveries.delivered(job.deliveryId, statusCode as number, now);
      return 'delivered';
    }
    const final = job.attempt >= this.policy.maxAttempts;
    const delay = final ? 0 : retryDelayMs(job.attempt, this.policy.backoffMs);
    await this.deliveries.attemptFailed(job.deliveryId, { statusCode, error, nextAttemptAt: now + delay, final }, now);
    if (!final) {
      // If this fails (queue down) the lost-delivery sweep sends it once it is overdue.
      await this.scheduler
        .schedule({ deliveryId: job.deliveryId, attempt: job.attempt + 1 }, delay)
        .catch(() => undefined);
    }
    return final ? 'failed' : 'retrying';
  }

  /** Re-queues deliveries whose job was lost (Redis flushed, a worker killed mid-request). */
  async resendLost(now = this.clock(), limit = 500): Promise<number> {
    let sent = 0;
    for (const lost of await this.deliveries.lost(now - LOST_DELIVERY_SLACK_MS, limit)) {
      // Only one replica's sweep wins the postpone, so a lost delivery is queued once.
      if (!(await this.deliveries.postpone(lost.id, lost.attempts, now + LOST_DELIVERY_SLACK_MS))) continue;
      await this.scheduler.schedule({ deliveryId: lost.id, attempt: lost.attempts + 1 });
      sent++;
    }
    return sent;
  }
}

/** A short, secret-free reason: the transport's message (status, connect error, timeout), trimmed. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 299)}…` : message;
}
