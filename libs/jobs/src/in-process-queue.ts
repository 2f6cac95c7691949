import { BackoffPolicy, DEFAULT_BACKOFF, delayAfterFailure } from './backoff';
import { errorText, JobLogger } from './logger';
import { EnqueueOptions, JobProcessor, JobQueue, QueueStats, UnrecoverableJobError } from './queue';

export interface InProcessJobQueueOptions {
  logger: JobLogger;
  /** Runs per job before it fails for good (default 5). */
  attempts?: number;
  backoff?: BackoffPolicy;
  /** Default concurrency per queue (default 16). */
  concurrency?: number;
}

interface Entry {
  id: string;
  payload: unknown;
  /** The run about to happen (1-based). */
  attempt: number;
  maxAttempts: number;
  /** When it became due (ms), for the oldest-waiting age. */
  readyAt: number;
  timer?: NodeJS.Timeout;
}

interface Lane {
  processor: JobProcessor<unknown>;
  concurrency: number;
  /** Due jobs in FIFO order; `head` avoids O(n) shifts on long queues. */
  ready: Entry[];
  head: number;
  delayed: Set<Entry>;
  /** Job ids waiting, delayed or running: a second enqueue with the same id is dropped. */
  pending: Map<string, Entry>;
  running: number;
  failed: number;
}

/**
 * The single-node queue: the same processors the BullMQ workers run, called
 * in this process with bounded concurrency, delays, job-id de-duplication
 * and retries with the same backoff and jitter as the BullMQ path. Nothing is
 * persisted: the database holds every due time and the reconciler re-derives
 * work after a restart, so a job lost with the process is delayed, not lost.
 */
export class InProcessJobQueue implements JobQueue {
  readonly kind = 'in-process' as const;
  private readonly lanes = new Map<string, Lane>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly attempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly concurrency: number;
  private sequence = 0;
  private closed = false;

  constructor(private readonly options: InProcessJobQueueOptions) {
    this.attempts = options.attempts ?? 5;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.concurrency = options.concurrency ?? 16;
  }

  register<T>(queue: string, processor: JobProcessor<T>, options: { concurrency?: number } = {}): void {
    if (this.lanes.has(queue)) throw new Error(`queue "${queue}" already has a processor`);
    this.lanes.set(queue, {
      processor: processor as JobProcessor<unknown>,
      concurrency: Math.max(1, options.concurrency ?? this.concurrency),
      ready: [],
      head: 0,
      delayed: new Set(),
      pending: new Map(),
      running: 0,
      failed: 0,
    });
  }

  /** Accepted at once; a job id already waiting, delayed or running is ignored. */
  async enqueue<T>(queue: string, payload: T, options: EnqueueOptions = {}): Promise<void> {
    const lane = this.lane(queue);
    if (this.closed) return;
    const id = options.jobId ?? `job-${++this.sequence}`;
    if (lane.pending.has(id)) return;
    const entry: Entry = { id, payload, attempt: 1, maxAttempts: options.attempts ?? this.attempts, readyAt: 0 };
    lane.pending.set(id, entry);
    this.schedule(lane, entry, options.delayMs ?? 0);
  }

  async stats(queue: string): Promise<QueueStats> {
    const lane = this.lane(queue);
    const oldest = lane.ready[lane.head];
    return {
      waiting: lane.ready.length - lane.head,
      delayed: lane.delayed.size,
      active: lane.running,
      failed: lane.failed,
      oldestWaitingMs: oldest ? Math.max(0, Date.now() - oldest.readyAt) : 0,
    };
  }

  /** Stops taking work, drops what has not started (the database re-derives it) and waits for running jobs. */
  async close(): Promise<void> {
    this.closed = true;
    for (const lane of this.lanes.values()) {
      for (const entry of lane.delayed) clearTimeout(entry.timer);
      lane.delayed.clear();
      lane.ready = [];
      lane.head = 0;
      lane.pending.clear();
    }
    await Promise.allSettled([...this.inFlight]);
  }

  private lane(queue: string): Lane {
    const lane = this.lanes.get(queue);
    // No worker elsewhere would ever run it: refuse instead of silently keeping it.
    if (!lane) throw new Error(`no processor registered for queue "${queue}"`);
    return lane;
  }

  private schedule(lane: Lane, entry: Entry, delayMs: number): void {
    if (delayMs <= 0) return this.makeReady(lane, entry);
    entry.timer = setTimeout(() => {
      lane.delayed.delete(entry);
      this.makeReady(lane, entry);
    }, delayMs);
    // Pending jobs must not keep a CLI or a test process alive; the database keeps the due time.
    entry.timer.unref();
    lane.delayed.add(entry);
  }

  private makeReady(lane: Lane, entry: Entry): void {
    if (this.closed) return;
    entry.readyAt = Date.now();
    lane.ready.push(entry);
    this.pump(lane);
  }

  private pump(lane: Lane): void {
    while (!this.closed && lane.running < lane.concurrency && lane.head < lane.ready.length) {
      const entry = lane.ready[lane.head++];
      if (lane.head > 1024 && lane.head * 2 > lane.ready.length) {
        lane.ready = lane.ready.slice(lane.head);
        lane.head = 0;
      }
      const run = this.run(lane, entry);
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    }
  }

  private async run(lane: Lane, entry: Entry): Promise<void> {
    lane.running++;
    try {
      await lane.processor(entry.payload, { id: entry.id, attempt: entry.attempt, maxAttempts: entry.maxAttempts });
      lane.pending.delete(entry.id);
    } catch (error) {
      const final = error instanceof UnrecoverableJobError || entry.attempt >= entry.maxAttempts;
      if (final || this.closed) {
        lane.pending.delete(entry.id);
        lane.failed++;
        this.options.logger.warn(
          { job: entry.id, attempt: entry.attempt, err: errorText(error) },
          final ? 'job failed for good' : 'job failed while closing',
        );
      } else {
        const delay = delayAfterFailure(entry.attempt, error, this.backoff);
        entry.attempt++;
        this.schedule(lane, entry, delay);
      }
    } finally {
      lane.running--;
      this.pump(lane);
    }
  }
}
