import { CrlJob, JobQueue, QUEUES, RenewalJob } from '@rotor/jobs';
import type { DueRenewal, ManagedCertificateRepository } from '@rotor/lifecycle';
import type { Logger } from '@rotor/observability';

/** Rows enqueued per sweep at most (soonest first); the rest follow on the next sweeps. */
const SWEEP_BATCH = 10_000;
/** Enqueues in flight at once (each is a Redis round trip on the BullMQ path). */
const ENQUEUE_CONCURRENCY = 64;
/** One CRL freshness check per hour; CrlService regenerates once half the CRL's validity has passed. */
const CRL_PERIOD_MS = 3600e3;

export interface RenewalSchedulerOptions {
  /** config renewalSweepInterval. */
  intervalMs: number;
  /** config renewalLease. */
  leaseMs: number;
  now?: () => number;
}

/** The job id of one renewal: one per (managed certificate, generation, due time). */
export function renewalJobId(due: DueRenewal, retry = 0): string {
  return `renew:${due.id}:${due.generation}:${due.nextRenewalAt}${retry ? `:r${retry}` : ''}`;
}

/**
 * The reconciler of the renewal engine. The database holds every due time;
 * every `intervalMs`, on every replica, this enqueues a renewal job for each
 * managed certificate due within the next interval, delayed until it is due.
 * Replicas make the same job ids, so BullMQ keeps one job; a duplicate that
 * slips through (in-process queue, Redis flushed mid-way) is harmless, the
 * database guard lets one successor through. Redis flushed or down: the
 * next sweeps enqueue again, so due work is delayed, never lost.
 *
 * A row still due long after its due time (its job stalled out or was lost
 * with a crashed worker) gets a fresh job id once per two leases, so a job
 * that BullMQ keeps as failed or completed cannot block it forever.
 *
 * It also enqueues one CRL refresh per hour (job id per period).
 */
export class RenewalScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  /**
   * Job ids this replica enqueued and that are still due: not re-sent on every
   * sweep (10,000 due rows would be 10,000 Redis round trips every few seconds).
   */
  private readonly recent = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly repository: ManagedCertificateRepository,
    private readonly queue: JobQueue,
    private readonly logger: Logger,
    private readonly options: RenewalSchedulerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One sweep; returns how many renewal jobs it sent. Never throws. */
  async sweep(): Promise<number> {
    const now = this.now();
    let sent = 0;
    try {
      const due = await this.repository.due(now + this.options.intervalMs, SWEEP_BATCH);
      this.forgetOld(now);
      const retryWindow = 2 * this.options.leaseMs;
      const all = due.map((d) => ({
        due: d,
        jobId: renewalJobId(d, Math.floor(Math.max(0, now - d.nextRenewalAt) / retryWindow)),
      }));
      await this.forgetIfLost(all.filter((j) => this.recent.has(j.jobId)).length);
      const jobs = all.filter((j) => !this.recent.has(j.jobId));
      let failed = 0;
      let next = 0;
      const worker = async () => {
        while (next < jobs.length && !this.stopped) {
          const { due: d, jobId } = jobs[next++];
          const payload: RenewalJob = { managedId: d.id, generation: d.generation, dueAt: d.nextRenewalAt };
          try {
            await this.queue.enqueue(QUEUES.renewal, payload, { jobId, delayMs: Math.max(0, d.nextRenewalAt - now) });
            this.recent.set(jobId, now);
            sent++;
          } catch {
            failed++;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(ENQUEUE_CONCURRENCY, jobs.length) }, worker));
      if (failed) this.logger.warn({ failed, sent }, 'renewal jobs not enqueued; the next sweep retries');
      await this.enqueueCrlRefresh(now);
    } catch (error) {
      this.logger.warn({ err: String(error) }, 'renewal sweep failed; the next sweep retries');
    }
    return sent;
  }

  private async enqueueCrlRefresh(now: number): Promise<void> {
    const period = Math.floor(now / CRL_PERIOD_MS) * CRL_PERIOD_MS;
    const jobId = `crl:${period}`;
    if (this.recent.has(jobId)) return;
    await this.queue.enqueue<CrlJob>(QUEUES.crl, { period }, { jobId });
    this.recent.set(jobId, now);
  }

  /**
   * Rows this replica already enqueued and that are still due must each have
   * a job waiting, delayed or running. Fewer jobs than that in the queue means
   * it lost some (Redis flushed or restarted empty): send them all again.
   */
  private async forgetIfLost(sentAndStillDue: number): Promise<void> {
    if (sentAndStillDue === 0) return;
    const stats = await this.queue.stats(QUEUES.renewal);
    if (stats.waiting + stats.delayed + stats.active >= sentAndStillDue) return;
    this.logger.warn(
      { expected: sentAndStillDue, queued: stats.waiting + stats.delayed + stats.active },
      'renewal jobs missing from the queue; enqueueing again',
    );
    this.recent.clear();
  }

  /** Forget old entries: bounded memory, and a safety net if a loss went unnoticed. */
  private forgetOld(now: number): void {
    const ttl = Math.max(2 * this.options.leaseMs, 30_000);
    for (const [jobId, at] of this.recent) {
      if (now - at >= ttl) this.recent.delete(jobId);
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep().then(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
