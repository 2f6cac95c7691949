import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { LIFECYCLE_EVENT_TYPES, LifecycleEvent, LifecycleEventType } from '../events';

/** A lifecycle event once stored: the id receivers use to drop duplicate deliveries. */
export interface StoredEvent extends LifecycleEvent {
  id: string;
}

/** The JSON body every webhook receives (and that the signature covers, byte for byte). */
export function eventBody(event: StoredEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    at: new Date(event.at).toISOString(),
    subjectId: event.subjectId,
    data: event.data,
  });
}

export type WebhookEventFilter = LifecycleEventType | '*';

export interface Webhook {
  id: string;
  url: string;
  events: WebhookEventFilter[];
  createdAt: number;
  disabled: boolean;
}

export function webhookMatches(webhook: Webhook, type: LifecycleEventType): boolean {
  return !webhook.disabled && (webhook.events.includes('*') || webhook.events.includes(type));
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType?: LifecycleEventType;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode?: number;
  lastError?: string;
  nextAttemptAt: number;
  createdAt: number;
  updatedAt: number;
  deliveredAt?: number;
}

/** A webhook secret: a recognisable prefix (secret scanners) and 256 random bits. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

const MAX_URL = 2048;

/** http(s) only, a host, no credentials (they would be stored and shown in clear), no fragment. */
export const webhookUrl = z
  .string()
  .max(MAX_URL, `at most ${MAX_URL} characters`)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a URL' });
      return;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: `only http and https URLs are allowed, not ${url.protocol}` });
    } else if (!url.hostname) {
      ctx.addIssue({ code: 'custom', message: 'the URL needs a host' });
    } else if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'credentials in the URL are not allowed; use the signing secret' });
    } else if (url.hash) {
      ctx.addIssue({ code: 'custom', message: 'the URL must not have a fragment' });
    }
  });

const eventFilter = z.enum(
  [...LIFECYCLE_EVENT_TYPES, '*'] as unknown as [WebhookEventFilter, ...WebhookEventFilter[]],
  {
    message: `expected one of ${[...LIFECYCLE_EVENT_TYPES, '*'].join(', ')}`,
  },
);

export const createWebhookSchema = z
  .object({
    url: webhookUrl,
    events: z
      .array(eventFilter)
      .min(1, 'at least one event type (or "*")')
      .max(LIFECYCLE_EVENT_TYPES.length)
      .refine((list) => new Set(list).size === list.length, 'event types must not repeat')
      .refine((list) => !list.includes('*') || list.length === 1, '"*" stands alone'),
    /** Generated when absent; 16-256 printable characters otherwise. */
    secret: z
      .string()
      .min(16, 'at least 16 characters')
      .max(256, 'at most 256 characters')
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
      .optional(),
  })
  .strict();

export type CreateWebhookInput = z.output<typeof createWebhookSchema>;

/** Webhook views never carry the secret. */
export function webhookView(webhook: Webhook) {
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events,
    disabled: webhook.disabled,
    createdAt: new Date(webhook.createdAt).toISOString(),
  };
}

export function deliveryView(d: WebhookDelivery) {
  const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    id: d.id,
    webhookId: d.webhookId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : undefined,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
    deliveredAt: iso(d.deliveredAt),
  };
}

/**
 * Exponential backoff with jitter: base·2^(n-1), scaled by a random factor in
 * [0.5, 1) so receivers that came back are not hit by every replica at once;
 * capped at an hour.
 */
export function retryDelayMs(attempt: number, baseMs: number, random = Math.random): number {
  const exp = Math.min(3600e3, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.5 + random() / 2));
}
