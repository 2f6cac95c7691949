import type { RotorConfig } from '@rotor/config';
import { EnqueueOptions, JobQueue, QUEUES } from '@rotor/jobs';
import {
  ALERT_KINDS,
  ALERT_SEVERITIES,
  Alerts,
  DeliveryJob,
  DeliveryScheduler,
  StoredEventPublisher,
  WebhookDeliverer,
} from '@rotor/lifecycle';
import type { Logger, RotorMetrics } from '@rotor/observability';
import type { KeySealer } from '@rotor/pki';
import {
  SqlAlertFactSource,
  SqlAlertStateRepository,
  SqlCertificateMetricsSource,
  SqlDeliveryRepository,
  SqlEventLog,
  SqlWebhookRepository,
} from '@rotor/store';
import type { DataSource } from 'typeorm';
import { FetchWebhookTransport } from './http-transport';

/** Per-request timeout of a webhook POST. */
const WEBHOOK_TIMEOUT_MS = 5_000;
/** Events and finished deliveries are kept this long. */
const EVENT_RETENTION_MS = 30 * 86400e3;

export interface NotificationDeps {
  config: RotorConfig;
  logger: Logger;
  dataSource: DataSource;
  sealer: KeySealer;
  queue: JobQueue;
  metrics: RotorMetrics;
}

/**
 * Alerts, webhooks and the /metrics sources, wired to the database and the
 * job queue. The notification processor is registered here; the periodic
 * sweep (alerts, lost deliveries, pruning) runs between start() and stop().
 */
export class NotificationServices {
  readonly alerts: Alerts;
  readonly alertState: SqlAlertStateRepository;
  readonly webhooks: SqlWebhookRepository;
  readonly deliveries: SqlDeliveryRepository;
  readonly eventLog: SqlEventLog;
  readonly publisher: StoredEventPublisher;
  readonly deliverer: WebhookDeliverer;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastPrune = 0;
  private stopped = false;

  constructor(private readonly deps: NotificationDeps) {
    const { config, dataSource, sealer, queue, logger, metrics } = deps;
    this.alertState = new SqlAlertStateRepository(dataSource);
    this.webhooks = new SqlWebhookRepository(dataSource, sealer);
    this.deliveries = new SqlDeliveryRepository(dataSource, sealer);
    this.eventLog = new SqlEventLog(dataSource);
    const scheduler: DeliveryScheduler = {
      schedule: (job: DeliveryJob, delayMs?: number) => {
        // One job per attempt: BullMQ keeps finished job ids, so a retry needs its own.
        const options: EnqueueOptions = { jobId: `${job.deliveryId}.${job.attempt}`, delayMs, attempts: 3 };
        return queue.enqueue(QUEUES.notification, job, options);
      },
    };
    this.publisher = new StoredEventPublisher(this.webhooks, this.eventLog, scheduler, (error, event) =>
      logger.warn(
        { err: String(error), eventType: event.type, subjectId: event.subjectId },
        'event not queued for delivery',
      ),
    );
    this.deliverer = new WebhookDeliverer(this.deliveries, new FetchWebhookTransport(), scheduler, {
      maxAttempts: config.webhookAttempts,
      backoffMs: config.webhookBackoff,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
    });
    queue.register<DeliveryJob>(QUEUES.notification, async (job) => {
      const outcome = await this.deliverer.deliver(job);
      if (outcome !== 'skipped' && outcome !== 'delivered') {
        logger.info({ deliveryId: job.deliveryId, attempt: job.attempt, outcome }, 'webhook delivery attempt failed');
      }
    });
    this.alerts = new Alerts(
      new SqlAlertFactSource(dataSource),
      {
        warningMs: config.expiryWarning,
        criticalMs: config.expiryCritical,
        renewalGraceMs: 2 * config.renewalSweepInterval,
      },
      this.alertState,
      this.publisher,
    );
    const certificates = new SqlCertificateMetricsSource(dataSource, config.metricsMaxCertificates);
    metrics.setCertificateSource(() => certificates.snapshot());
    metrics.setAlertSource(() => this.alerts.current(), ALERT_KINDS, ALERT_SEVERITIES);
    metrics.setQueueSource(async () => {
      const stats = await Promise.all(
        Object.values(QUEUES).map(async (name) => {
          const s = await queue.stats(name).catch(() => undefined);
          return s && { queue: name, depth: s.waiting + s.delayed + s.active, oldestWaitingMs: s.oldestWaitingMs };
        }),
      );
      return stats.filter((s) => s !== undefined);
    });
  }

  /** Starts the periodic sweep: soon after start-up, then every alertSweepInterval. */
  start(): void {
    this.stopped = false;
    this.schedule(Math.min(1000, this.deps.config.alertSweepInterval));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One sweep: record alert transitions (notifying once), re-queue lost deliveries, prune old history. */
  async sweep(now = Date.now()): Promise<void> {
    const { logger } = this.deps;
    try {
      const result = await this.alerts.sweep(now);
      if (result.opened.length || result.escalated.length || result.resolved.length) {
        logger.info(
          { opened: result.opened, escalated: result.escalated, resolved: result.resolved, open: result.open },
          'alerts changed',
        );
      }
    } catch (error) {
      logger.warn({ err: String(error) }, 'alert sweep failed');
    }
    try {
      const resent = await this.deliverer.resendLost(now);
      if (resent) logger.info({ resent }, 're-queued webhook deliveries whose job was lost');
      if (now - this.lastPrune > 3600e3) {
        this.lastPrune = now;
        await this.eventLog.prune(now - EVENT_RETENTION_MS);
      }
    } catch (error) {
      logger.warn({ err: String(error) }, 'delivery sweep failed');
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep().finally(() => this.schedule(this.deps.config.alertSweepInterval));
    }, delayMs);
    this.timer.unref();
  }
}
