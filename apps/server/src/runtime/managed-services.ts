import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { RotorConfig } from '@rotor/config';
import { CrlJob, JobQueue, QUEUES, RenewalJob, RetryLaterJobError, UnrecoverableJobError } from '@rotor/jobs';
import {
  ApplyManifest,
  DueRenewal,
  EventPublisher,
  InventoryRepository,
  ManagedCertificates,
  ManagedPolicy,
  RenewalFailedError,
  RenewalOutcome,
  RenewalProcessor,
  RenewalTrigger,
} from '@rotor/lifecycle';
import type { Logger, RotorMetrics } from '@rotor/observability';
import type { CertificateAuthority, KeySealer } from '@rotor/pki';
import { SqlManagedCertificateRepository } from '@rotor/store';
import type { DataSource } from 'typeorm';
import type { CrlService } from './crl.service';
import { PkiLeafSigner } from './leaf-signer';
import { RenewalScheduler, renewalJobId } from './renewal-scheduler';

export interface ManagedServicesDeps {
  config: RotorConfig;
  logger: Logger;
  dataSource: DataSource;
  ca: CertificateAuthority;
  sealer: KeySealer;
  inventory: InventoryRepository;
  queue: JobQueue;
  events: EventPublisher;
  metrics: RotorMetrics;
  crl: CrlService;
}

export interface ManagedMaterial {
  generation: number;
  /** PKCS#8 PEM: handle as a secret (never logged, never returned by the API). */
  key: string;
  /** Leaf then intermediate. */
  cert: string;
  serial: string;
  notAfter: number;
}

export type RenewedListener = (outcome: Extract<RenewalOutcome, { kind: 'renewed' }>) => void;

/** Renewal jobs run at once per replica (signing is CPU-bound; the database round trips are not). */
const RENEWAL_CONCURRENCY = 8;

export function managedPolicy(config: RotorConfig): ManagedPolicy {
  return { maxLifetimeMs: config.maxCertLifetime, defaultLifetimeMs: config.certLifetime };
}

/**
 * Managed certificates and the renewal engine, wired to the database, the CA
 * and the job queue: the use cases the API uses, the renewal and CRL
 * processors (registered on the queue here) and the sweep that enqueues
 * due work (started by the server).
 */
export class ManagedServices {
  readonly repository: SqlManagedCertificateRepository;
  readonly certificates: ManagedCertificates;
  readonly apply: ApplyManifest;
  readonly processor: RenewalProcessor;
  readonly scheduler: RenewalScheduler;
  /** This replica's name in lease_owner. */
  readonly owner = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly listeners = new Set<RenewedListener>();

  constructor(private readonly deps: ManagedServicesDeps) {
    const { config, logger, dataSource, ca, sealer, inventory, queue, events } = deps;
    this.repository = new SqlManagedCertificateRepository(dataSource);
    const trigger: RenewalTrigger = {
      trigger: async (due: DueRenewal) => {
        await queue
          .enqueue<RenewalJob>(
            QUEUES.renewal,
            { managedId: due.id, generation: due.generation, dueAt: due.nextRenewalAt },
            { jobId: renewalJobId(due), delayMs: Math.max(0, due.nextRenewalAt - Date.now()) },
          )
          .catch((error) => logger.warn({ err: String(error) }, 'renewal not enqueued; the sweep will find it'));
      },
    };
    this.certificates = new ManagedCertificates(this.repository, managedPolicy(config), trigger);
    this.apply = new ApplyManifest(this.certificates, this.repository);
    this.processor = new RenewalProcessor(
      { repository: this.repository, inventory, signer: new PkiLeafSigner(ca), sealer, events },
      { owner: this.owner, leaseMs: config.renewalLease },
    );
    this.scheduler = new RenewalScheduler(this.repository, queue, logger, {
      intervalMs: config.renewalSweepInterval,
      leaseMs: config.renewalLease,
    });
    queue.register<RenewalJob>(QUEUES.renewal, (job, context) => this.runRenewal(job, context), {
      concurrency: RENEWAL_CONCURRENCY,
    });
    queue.register<CrlJob>(QUEUES.crl, async () => void (await deps.crl.current()), { concurrency: 1 });
  }

  /** Called with every renewal this replica commits (the server swaps its own certificate on it). */
  onRenewed(listener: RenewedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The key and chain in force for a managed certificate, for a server that
   * terminates TLS with it (Rotor's own listener). Null before the first issuance.
   */
  async material(name: string): Promise<ManagedMaterial | null> {
    const row = await this.repository.byName(name);
    if (!row?.currentId || !row.keySealed) return null;
    const certificate = await this.deps.inventory.byId(row.currentId);
    if (!certificate) return null;
    const key = Buffer.from(this.deps.sealer.unseal(row.keySealed)).toString('utf8');
    return {
      generation: row.generation,
      key,
      cert: certificate.pem,
      serial: certificate.serial,
      notAfter: certificate.notAfter,
    };
  }

  start(): void {
    this.scheduler.start();
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }

  private async runRenewal(job: RenewalJob, context: { attempt: number; maxAttempts: number }): Promise<void> {
    const { logger, metrics } = this.deps;
    let outcome: RenewalOutcome;
    try {
      outcome = await this.processor.renew(job, context);
    } catch (error) {
      if (!(error instanceof RenewalFailedError)) throw error;
      if (error.final) {
        metrics.renewals.inc({ result: 'failure' });
        logger.warn({ managedId: job.managedId, generation: job.generation, err: error.message }, 'renewal failed');
      }
      throw error.permanent ? new UnrecoverableJobError(error.message) : error;
    }
    if (outcome.kind === 'busy') {
      throw new RetryLaterJobError('another worker holds the renewal lease', outcome.retryAfterMs);
    }
    if (outcome.kind !== 'renewed') return;
    metrics.renewals.inc({ result: 'success' });
    for (const warning of outcome.warnings) logger.warn({ managedId: outcome.managedId }, warning);
    logger.debug(
      { name: outcome.name, generation: outcome.generation, lagMs: outcome.startedAt - job.dueAt },
      'managed certificate renewed',
    );
    for (const listener of this.listeners) listener(outcome);
  }
}
