import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One certificate series: labels plus the timestamp (ms) the gauge reports in seconds. */
export interface CertificateSeries {
  name: string;
  serial: string;
  issuer: string;
  /** ms since the epoch. */
  at: number;
}

/** What the database yields on a scrape; `dropped` = series left out by the cardinality cap. */
export interface CertificateSnapshot {
  expirations: CertificateSeries[];
  renewals: CertificateSeries[];
  dropped: number;
}

export interface QueueSnapshot {
  queue: string;
  /** Jobs not yet finished: waiting + delayed + active. */
  depth: number;
  oldestWaitingMs: number;
}

export type CertificateSource = () => Promise<CertificateSnapshot>;
export type QueueSource = () => Promise<QueueSnapshot[]>;
/** Open alerts (kind, severity), as Rotor's lifetime-aware rules evaluate them. */
export type AlertSource = () => Promise<{ kind: string; severity: string }[]>;

const CERT_LABELS = ['name', 'serial', 'issuer'] as const;
const HTTP_LABELS = ['endpoint', 'method', 'status'] as const;

/**
 * Rotor's Prometheus metrics. Each runtime owns its own Registry (never the
 * prom-client global one), so several runtimes in one test process don't
 * collide. Counters and histograms are updated by the code that does the
 * work; certificate and queue gauges are read from their sources (the
 * database, the job queue) at scrape time, so every replica reports the same
 * database truth and nothing goes stale between scrapes.
 */
export class RotorMetrics {
  readonly registry = new Registry();
  readonly renewals: Counter<'result'>;
  readonly acmeRequests: Counter<(typeof HTTP_LABELS)[number]>;
  readonly acmeRequestDuration: Histogram<(typeof HTTP_LABELS)[number]>;
  readonly queueDepth: Gauge<'queue'>;
  readonly queueOldestJobAge: Gauge<'queue'>;
  readonly certificateExpiration: Gauge<(typeof CERT_LABELS)[number]>;
  readonly certificateRenewal: Gauge<(typeof CERT_LABELS)[number]>;
  readonly certificateSeriesDropped: Gauge;
  readonly alerts: Gauge<'kind' | 'severity'>;
  private certificateSource?: CertificateSource;
  private queueSource?: QueueSource;
  private alertSource?: { source: AlertSource; kinds: readonly string[]; severities: readonly string[] };

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.renewals = new Counter({
      name: 'rotor_renewals_total',
      help: 'Managed certificate renewals by result (success, failure).',
      labelNames: ['result'],
      registers,
    });
    this.acmeRequests = new Counter({
      name: 'rotor_acme_requests_total',
      help: 'ACME requests by route pattern, method and status code.',
      labelNames: HTTP_LABELS,
      registers,
    });
    this.acmeRequestDuration = new Histogram({
      name: 'rotor_acme_request_duration_seconds',
      help: 'ACME request latency by route pattern, method and status code.',
      labelNames: HTTP_LABELS,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'rotor_queue_depth',
      help: 'Jobs waiting, delayed or running per queue.',
      labelNames: ['queue'],
      registers,
    });
    this.queueOldestJobAge = new Gauge({
      name: 'rotor_queue_oldest_job_age_seconds',
      help: 'Age of the oldest job that is due but not started, per queue.',
      labelNames: ['queue'],
      registers,
    });
    this.certificateExpiration = new Gauge({
      name: 'rotor_certificate_expiration_timestamp_seconds',
      help: 'notAfter of every tracked active certificate (Unix seconds).',
      labelNames: CERT_LABELS,
      registers,
    });
    this.certificateRenewal = new Gauge({
      name: 'rotor_certificate_renewal_timestamp_seconds',
      help: 'Next planned renewal of every managed certificate (Unix seconds).',
      labelNames: CERT_LABELS,
      registers,
    });
    this.certificateSeriesDropped = new Gauge({
      name: 'rotor_certificate_series_dropped',
      help: 'Certificates left out of the per-certificate gauges by metricsMaxCertificates.',
      registers,
    });
    this.alerts = new Gauge({
      name: 'rotor_alerts',
      help: 'Open alerts by kind and severity (windows scaled to each certificate lifetime; see GET /api/v1/alerts).',
      labelNames: ['kind', 'severity'],
      registers,
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Where certificate gauges come from (the inventory and managed certificates). */
  setCertificateSource(source: CertificateSource): void {
    this.certificateSource = source;
  }

  /** Where queue gauges come from (the job queue's stats). */
  setQueueSource(source: QueueSource): void {
    this.queueSource = source;
  }

  /** Where the alert gauge comes from; every kind × severity is reported, zeros included. */
  setAlertSource(source: AlertSource, kinds: readonly string[], severities: readonly string[]): void {
    this.alertSource = { source, kinds, severities };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** A scrape: refresh the gauges from their sources, then render the text format. */
  async render(): Promise<string> {
    await Promise.all([this.refreshCertificates(), this.refreshQueues(), this.refreshAlerts()]);
    return this.registry.metrics();
  }

  private async refreshCertificates(): Promise<void> {
    if (!this.certificateSource) return;
    const snapshot = await this.certificateSource();
    // reset() drops series of certificates that are gone since the last scrape.
    this.certificateExpiration.reset();
    this.certificateRenewal.reset();
    for (const s of snapshot.expirations) this.certificateExpiration.set(labels(s), s.at / 1000);
    for (const s of snapshot.renewals) this.certificateRenewal.set(labels(s), s.at / 1000);
    this.certificateSeriesDropped.set(snapshot.dropped);
  }

  private async refreshQueues(): Promise<void> {
    if (!this.queueSource) return;
    const queues = await this.queueSource();
    this.queueDepth.reset();
    this.queueOldestJobAge.reset();
    for (const q of queues) {
      this.queueDepth.set({ queue: q.queue }, q.depth);
      this.queueOldestJobAge.set({ queue: q.queue }, q.oldestWaitingMs / 1000);
    }
  }

  private async refreshAlerts(): Promise<void> {
    if (!this.alertSource) return;
    const { source, kinds, severities } = this.alertSource;
    const open = await source();
    for (const kind of kinds) {
      for (const severity of severities) {
        this.alerts.set({ kind, severity }, open.filter((a) => a.kind === kind && a.severity === severity).length);
      }
    }
  }
}

function labels(s: CertificateSeries): Record<(typeof CERT_LABELS)[number], string> {
  return { name: s.name, serial: s.serial, issuer: s.issuer };
}
