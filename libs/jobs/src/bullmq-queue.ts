import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { BackoffPolicy, DEFAULT_BACKOFF, delayAfterFailure } from './backoff';
import { errorText, JobLogger } from './logger';
import { EnqueueOptions, JobProcessor, JobQueue, QueueStats, UnrecoverableJobError } from './queue';

export interface BullMqJobQueueOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Namespace of every Redis key (BullMQ `prefix`); replicas sharing work share it. Default "rotor". */
  prefix?: string;
  logger: JobLogger;
  /** Runs per job before it fails for good (default 5). */
  attempts?: number;
  backoff?: BackoffPolicy;
  /** Default worker concurrency per queue (default 16). */
  concurrency?: number;
  /** Finished jobs kept for inspection (bounded so Redis memory stays flat). */
  keepCompleted?: number;
  keepFailed?: number;
  /**
   * How long a worker's lock on a running job lasts (renewed while it runs).
   * A job whose worker died is handed to another worker after about this long.
   * Default 30 s.
   */
  lockDurationMs?: number;
  /** Give up on an enqueue when Redis does not answer within this time (default 5 s). */
  enqueueTimeoutMs?: number;
}

/** The custom backoff strategy's name (BullMQ `settings.backoffStrategy`). */
const BACKOFF_TYPE = 'rotor-jitter';
const ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * JobQueue on BullMQ: one Queue (producer) and one Worker per registered
 * queue name, so replicas sharing Redis and the prefix share the work.
 *
 * Redis is a cache of work, not its record: every due time lives in the
 * database and the reconciler re-enqueues what is missing. So Redis errors
 * are logged (throttled) and never crash the process; enqueues fail fast
 * (bounded retries, a timeout) and the next sweep tries again.
 */
export class BullMqJobQueue implements JobQueue {
  readonly kind = 'bullmq' as const;
  private readonly producer: IORedis;
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  private readonly lastErrorLog = new Map<string, number>();
  private readonly prefix: string;
  private readonly attempts: number;
  private readonly backoff: BackoffPolicy;
  private closed = false;
  /** ioredis reconnect policy; null once closed, so no connection keeps retrying (and the process can exit). */
  private readonly reconnect = (times: number): number | null => (this.closed ? null : reconnectDelay(times));

  constructor(private readonly options: BullMqJobQueueOptions) {
    this.prefix = options.prefix ?? 'rotor';
    this.attempts = options.attempts ?? 5;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    // Shared by every Queue. A bounded maxRetriesPerRequest makes commands fail
    // while Redis is down instead of piling up until it returns.
    this.producer = new IORedis(options.url, {
      maxRetriesPerRequest: 2,
      retryStrategy: this.reconnect,
      connectTimeout: 5_000,
    });
    this.producer.on('error', (error) => this.logError('producer', error));
  }

  register<T>(queue: string, processor: JobProcessor<T>, options: { concurrency?: number } = {}): void {
    if (this.workers.has(queue)) throw new Error(`queue "${queue}" already has a processor`);
    const lockDuration = this.options.lockDurationMs ?? 30_000;
    const worker = new Worker(
      queue,
      async (job: Job) => {
        try {
          await processor(job.data as T, {
            id: job.id ?? '',
            attempt: job.attemptsMade + 1,
            maxAttempts: job.opts.attempts ?? 1,
          });
        } catch (error) {
          // BullMQ skips the remaining attempts only for its own error class.
          if (error instanceof UnrecoverableJobError) throw new UnrecoverableError(error.message);
          throw error;
        }
      },
      {
        // Options, not an instance: BullMQ makes the worker's connections (one blocking) with maxRetriesPerRequest null.
        connection: { url: this.options.url, retryStrategy: this.reconnect },
        prefix: this.prefix,
        concurrency: Math.max(1, options.concurrency ?? this.options.concurrency ?? 16),
        lockDuration,
        stalledInterval: lockDuration,
        maxStalledCount: 2,
        // After a connection error the worker loop pauses this long; short, so shutdown is not held up.
        runRetryDelay: 1_000,
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
            delayAfterFailure(attemptsMade, error, this.backoff),
        },
      },
    );
    worker.on('error', (error) => this.logError(`worker:${queue}`, error));
    worker.on('failed', (job, error) => {
      if (!job) return;
      const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      this.options.logger.warn(
        { queue, job: job.id, attempt: job.attemptsMade, err: errorText(error) },
        final ? 'job failed for good' : 'job failed; will retry',
      );
    });
    this.workers.set(queue, worker);
    this.queueFor(queue);
  }

  async enqueue<T>(queue: string, payload: T, options: EnqueueOptions = {}): Promise<void> {
    if (this.closed) return;
    const add = this.queueFor(queue).add(queue, payload, {
      jobId: options.jobId === undefined ? undefined : bullJobId(options.jobId),
      delay: Math.max(0, Math.round(options.delayMs ?? 0)),
      attempts: options.attempts ?? this.attempts,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: { count: this.options.keepCompleted ?? 1_000 },
      removeOnFail: { count: this.options.keepFailed ?? 5_000 },
    });
    await withTimeout(add, this.options.enqueueTimeoutMs ?? 5_000, `enqueue on "${queue}": Redis did not answer`);
  }

  async stats(queue: string): Promise<QueueStats> {
    const q = this.queueFor(queue);
    const counts = await q.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed');
    // The waiting list is pushed on the left: its oldest job is the last element.
    const [oldest] = await q.getJobs(['waiting'], -1, -1);
    const dueAt = oldest ? oldest.timestamp + (oldest.delay ?? 0) : undefined;
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      delayed: counts.delayed ?? 0,
      active: counts.active ?? 0,
      failed: counts.failed ?? 0,
      oldestWaitingMs: dueAt === undefined ? 0 : Math.max(0, Date.now() - dueAt),
    };
  }

  /**
   * Stops the workers (waiting up to 10 s for running jobs) and closes the
   * connections. With Redis down BullMQ's graceful close never completes, so
   * then the connections are cut instead.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const reachable = this.producer.status === 'ready';
    const shut = async (graceful: () => Promise<void>, cut: () => Promise<void>, ms: number) => {
      const done =
        reachable &&
        (await withTimeout(graceful(), ms, 'close').then(
          () => true,
          () => false,
        ));
      if (!done) await withTimeout(cut(), 1_000, 'disconnect').catch(() => undefined);
    };
    await Promise.allSettled(
      [...this.workers.values()].map((w) =>
        shut(
          () => w.close(),
          // A forced close also stops the worker's own timers (stalled-job checks, lock renewal),
          // which would otherwise keep the process alive; it may never settle with Redis down.
          async () => {
            void w.close(true).catch(() => undefined);
            await w.disconnect();
          },
          10_000,
        ),
      ),
    );
    await Promise.allSettled(
      [...this.queues.values()].map((q) =>
        shut(
          () => q.close(),
          () => q.disconnect(),
          5_000,
        ),
      ),
    );
    this.producer.disconnect();
  }

  private queueFor(queue: string): Queue {
    let q = this.queues.get(queue);
    if (!q) {
      q = new Queue(queue, { connection: this.producer, prefix: this.prefix });
      q.on('error', (error) => this.logError(`queue:${queue}`, error));
      this.queues.set(queue, q);
    }
    return q;
  }

  /** Redis being down produces an error per reconnect attempt: log each source at most every 30 s. */
  private logError(source: string, error: unknown): void {
    if (this.closed) return;
    const now = Date.now();
    if (now - (this.lastErrorLog.get(source) ?? 0) < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLog.set(source, now);
    this.options.logger.warn(
      { source, err: errorText(error) },
      'redis unavailable; due work is re-derived from the database',
    );
  }
}

/** Reconnect quickly at first, then every 2 s at most: the reconciler copes with the gap. */
function reconnectDelay(times: number): number {
  return Math.min(100 * times, 2_000);
}

/**
 * BullMQ refuses custom ids that look like integers or contain ":" (its key
 * separator); Rotor's ids use ":" as a separator, so map it to ".".
 */
export function bullJobId(id: string): string {
  const mapped = id.replace(/:/g, '.');
  return /^\d+$/.test(mapped) ? `id-${mapped}` : mapped;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
