import { randomUUID } from 'node:crypto';
import type { EventPublisher, LifecycleEvent } from '../events';
import { webhookMatches } from './model';
import type { DeliveryScheduler, EventLog, WebhookRepository } from './ports';

/**
 * Publishes lifecycle events: stores the event with one pending delivery per
 * matching webhook (one transaction; events nobody subscribed to are not
 * stored), then queues a notification job per
 * delivery. If queueing fails (Redis down), the rows are still there and the
 * lost-delivery sweep queues them later. Publishing never fails the caller's
 * work (an issuance is not undone because a webhook could not be queued):
 * errors are reported to `onError`.
 */
export class StoredEventPublisher implements EventPublisher {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly log: EventLog,
    private readonly scheduler: DeliveryScheduler,
    private readonly onError: (error: unknown, event: LifecycleEvent) => void,
  ) {}

  async publish(event: LifecycleEvent): Promise<void> {
    try {
      const targets = (await this.webhooks.active()).filter((w) => webhookMatches(w, event.type));
      // Nobody subscribed: nothing to deliver, and nothing to store on the issuance and renewal hot paths.
      if (targets.length === 0) return;
      const deliveryIds = await this.log.append(
        { ...event, id: randomUUID() },
        targets.map((w) => w.id),
      );
      await Promise.all(
        deliveryIds.map((deliveryId) =>
          this.scheduler.schedule({ deliveryId, attempt: 1 }).catch((error) => this.onError(error, event)),
        ),
      );
    } catch (error) {
      this.onError(error, event);
    }
  }
}
