import { WebhookDeliverer, LOST_DELIVERY_SLACK_MS } from './deliverer';
import { createWebhookSchema, eventBody, retryDelayMs, webhookMatches } from './model';
import type {
  DeliveryAttempt,
  DeliveryFailure,
  DeliveryJob,
  DeliveryRepository,
  WebhookRepository,
  WebhookTransport,
} from './ports';
import type { StoredEvent, Webhook } from './model';
import { StoredEventPublisher } from './publisher';
import { verifyWebhookSignature } from './signing';

const NOW = Date.UTC(2030, 0, 1);

class MemoryDeliveries implements DeliveryRepository {
  item: DeliveryAttempt = {
    delivery: {
      id: 'd1',
      webhookId: 'w1',
      eventId: 'e1',
      status: 'pending',
      attempts: 0,
      nextAttemptAt: NOW,
      createdAt: NOW,
      updatedAt: NOW,
    },
    url: 'http://127.0.0.1:1/hook',
    secret: 'whsec_0123456789abcdef',
    event: { id: 'e1', type: 'certificate.issued', subjectId: 's', data: { serial: '01' }, at: NOW },
  };
  failures: DeliveryFailure[] = [];
  async forAttempt() {
    return structuredClone(this.item);
  }
  async claim(_id: string, attempt: number, busyUntil: number) {
    if (this.item.delivery.status !== 'pending' || this.item.delivery.attempts !== attempt - 1) return false;
    Object.assign(this.item.delivery, { attempts: attempt, nextAttemptAt: busyUntil });
    return true;
  }
  async delivered(_id: string, statusCode: number, now: number) {
    Object.assign(this.item.delivery, { status: 'delivered', lastStatusCode: statusCode, deliveredAt: now });
  }
  async attemptFailed(_id: string, failure: DeliveryFailure) {
    this.failures.push(failure);
    Object.assign(this.item.delivery, {
      status: failure.final ? 'failed' : 'pending',
      lastStatusCode: failure.statusCode,
      lastError: failure.error,
      nextAttemptAt: failure.nextAttemptAt,
    });
  }
  async lost(before: number) {
    const d = this.item.delivery;
    return d.status === 'pending' && d.nextAttemptAt <= before ? [{ id: d.id, attempts: d.attempts }] : [];
  }
  async postpone(_id: string, attempts: number, until: number) {
    if (this.item.delivery.attempts !== attempts || this.item.delivery.nextAttemptAt >= until) return false;
    this.item.delivery.nextAttemptAt = until;
    return true;
  }
  async list() {
    return [this.item.delivery];
  }
}

describe('WebhookDeliverer', () => {
  let deliveries: MemoryDeliveries;
  let scheduled: [DeliveryJob, number | undefined][];
  let posts: { body: string; headers: Record<string, string> }[];
  let statuses: (number | Error)[];
  let deliverer: WebhookDeliverer;

  beforeEach(() => {
    deliveries = new MemoryDeliveries();
    scheduled = [];
    posts = [];
    statuses = [];
    const transport: WebhookTransport = {
      post: async (_url, body, headers) => {
        posts.push({ body, headers });
        const next = statuses.shift() ?? 200;
        if (next instanceof Error) throw next;
        return { status: next };
      },
    };
    deliverer = new WebhookDeliverer(
      deliveries,
      transport,
      { schedule: async (job, delay) => void scheduled.push([job, delay]) },
      { maxAttempts: 3, backoffMs: 1000, timeoutMs: 5000 },
      () => NOW,
    );
  });

  it('posts the signed event body and records the delivery', async () => {
    expect(await deliverer.deliver({ deliveryId: 'd1', attempt: 1 })).toBe('delivered');
    const [post] = posts;
    expect(post.body).toBe(eventBody(deliveries.item.event));
    expect(JSON.parse(post.body)).toEqual({
      id: 'e1',
      type: 'certificate.issued',
      at: '2030-01-01T00:00:00.000Z',
      subjectId: 's',
      data: { serial: '01' },
    });
    expect(
      verifyWebhookSignature(post.headers['rotor-signature'], post.body, 'whsec_0123456789abcdef', NOW),
    ).toMatchObject({ ok: true });
    expect(post.headers).toMatchObject({
      'rotor-event-id': 'e1',
      'rotor-delivery-attempt': '1',
      'content-type': 'application/json',
    });
    expect(deliveries.item.delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
  });

  it('schedules the next attempt with backoff after a failure, then fails for good after maxAttempts', async () => {
    statuses = [503, new Error('ECONNREFUSED'), 302];
    expect(await deliverer.deliver({ deliveryId: 'd1', attempt: 1 })).toBe('retrying');
    expect(scheduled[0][0]).toEqual({ deliveryId: 'd1', attempt: 2 });
    expect(scheduled[0][1]).toBeGreaterThanOrEqual(500);
    expect(scheduled[0][1]).toBeLessThan(1000);
    expect(await deliverer.deliver({ deliveryId: 'd1', attempt: 2 })).toBe('retrying');
    expect(deliveries.item.delivery).toMatchObject({ status: 'pending', attempts: 2, lastError: 'ECONNREFUSED' });
    // Redirects are not followed: a 3xx is a failed attempt.
    expect(await deliverer.deliver({ deliveryId: 'd1', attempt: 3 })).toBe('failed');
    expect(deliveries.item.delivery).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastStatusCode: 302,
      lastError: 'HTTP 302',
    });
    expect(scheduled).toHaveLength(2);
  });

  it('runs each attempt once: a duplicate or stale job is skipped', async () => {
    await deliverer.deliver({ deliveryId: 'd1', attempt: 1 });
    expect(await deliverer.deliver({ deliveryId: 'd1', attempt: 1 })).toBe('skipped');
    expect(await deliverer.deliver({ deliveryId: 'd1', attempt: 2 })).toBe('skipped');
    expect(posts).toHaveLength(1);
  });

  it('re-queues a delivery whose job was lost, once', async () => {
    deliveries.item.delivery.nextAttemptAt = NOW - LOST_DELIVERY_SLACK_MS - 1;
    expect(await deliverer.resendLost()).toBe(1);
    expect(await deliverer.resendLost()).toBe(0);
    expect(scheduled).toEqual([[{ deliveryId: 'd1', attempt: 1 }, undefined]]);
  });
});

describe('webhook model', () => {
  it('backs off exponentially with jitter, capped at an hour', () => {
    expect(retryDelayMs(1, 1000, () => 0)).toBe(500);
    expect(retryDelayMs(3, 1000, () => 0.999)).toBe(3998);
    expect(retryDelayMs(30, 1000, () => 0.999)).toBeLessThanOrEqual(3600e3);
  });

  it('matches event types, "*" and skips disabled webhooks', () => {
    const hook = { id: 'w', url: 'https://x', createdAt: 0, disabled: false };
    expect(webhookMatches({ ...hook, events: ['*'] }, 'renewal.failed')).toBe(true);
    expect(webhookMatches({ ...hook, events: ['certificate.issued'] }, 'renewal.failed')).toBe(false);
    expect(webhookMatches({ ...hook, events: ['*'], disabled: true }, 'renewal.failed')).toBe(false);
  });

  it.each([
    [{ url: 'ftp://example.com/x', events: ['*'] }, 'url'],
    [{ url: 'file:///etc/passwd', events: ['*'] }, 'url'],
    [{ url: 'javascript:alert(1)', events: ['*'] }, 'url'],
    [{ url: 'https://user:pw@example.com/', events: ['*'] }, 'url'],
    [{ url: 'https://example.com/#frag', events: ['*'] }, 'url'],
    [{ url: 'not a url', events: ['*'] }, 'url'],
    [{ url: 'https://example.com/', events: [] }, 'events'],
    [{ url: 'https://example.com/', events: ['certificate.exploded'] }, 'events.0'],
    [{ url: 'https://example.com/', events: ['*', 'renewal.failed'] }, 'events'],
    [{ url: 'https://example.com/', events: ['renewal.failed', 'renewal.failed'] }, 'events'],
    [{ url: 'https://example.com/', events: ['*'], secret: 'short' }, 'secret'],
    [{ url: 'https://example.com/', events: ['*'], extra: 1 }, ''],
  ])('rejects %j (at %s)', (input, path) => {
    const result = createWebhookSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('accepts http(s) URLs with event types or "*"', () => {
    expect(
      createWebhookSchema.parse({
        url: 'http://127.0.0.1:9000/hook?x=1',
        events: ['certificate.issued', 'renewal.failed'],
      }),
    ).toBeTruthy();
    expect(
      createWebhookSchema.parse({
        url: 'https://hooks.example.com/rotor',
        events: ['*'],
        secret: 'a-long-enough-secret',
      }),
    ).toBeTruthy();
  });
});

describe('StoredEventPublisher', () => {
  const hook = (id: string, events: Webhook['events'], disabled = false): Webhook => ({
    id,
    url: 'https://x',
    events,
    createdAt: 0,
    disabled,
  });

  it('stores the event with one delivery per matching webhook and queues each; stores nothing without subscribers', async () => {
    const appended: [StoredEvent, string[]][] = [];
    const scheduled: DeliveryJob[] = [];
    const errors: unknown[] = [];
    let webhooks = [
      hook('a', ['certificate.issued']),
      hook('b', ['*']),
      hook('c', ['renewal.failed']),
      hook('d', ['*'], true),
    ];
    const publisher = new StoredEventPublisher(
      { active: async () => webhooks } as unknown as WebhookRepository,
      {
        append: async (e: StoredEvent, ids: string[]) => (appended.push([e, ids]), ids.map((id) => `del-${id}`)),
        prune: async () => 0,
      },
      { schedule: async (job) => void scheduled.push(job) },
      (error) => errors.push(error),
    );
    await publisher.publish({ type: 'certificate.issued', subjectId: 's', data: {}, at: NOW });
    expect(appended).toHaveLength(1);
    expect(appended[0][0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(appended[0][1]).toEqual(['a', 'b']);
    expect(scheduled).toEqual([
      { deliveryId: 'del-a', attempt: 1 },
      { deliveryId: 'del-b', attempt: 1 },
    ]);
    webhooks = [hook('c', ['renewal.failed'])];
    await publisher.publish({ type: 'certificate.revoked', subjectId: 's', data: {}, at: NOW });
    expect(appended).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('never throws to the producer: failures go to onError', async () => {
    const errors: unknown[] = [];
    const publisher = new StoredEventPublisher(
      { active: async () => [hook('a', ['*'])] } as unknown as WebhookRepository,
      { append: async () => ['d1'], prune: async () => 0 },
      { schedule: async () => Promise.reject(new Error('redis down')) },
      (error) => errors.push(error),
    );
    await expect(
      publisher.publish({ type: 'certificate.issued', subjectId: 's', data: {}, at: NOW }),
    ).resolves.toBeUndefined();
    expect(errors.map(String)).toEqual(['Error: redis down']);
  });
});
