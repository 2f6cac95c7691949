/**
 * The one job-queue interface the rest of Rotor uses. Two implementations:
 * BullMQ on Redis for replicas (ROTOR_REDIS_URL) and the in-process runner
 * for a single node. Processors are the same code on both paths.
 *
 * The database holds every due time; a queue only carries work derived from
 * it. A job may therefore run twice (retry after a crash, a reconciler
 * re-enqueue) and every processor must be idempotent.
 */
export interface JobContext {
  /** The job id (deduplication key). */
  id: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
}

export type JobProcessor<T> = (payload: T, context: JobContext) => Promise<void>;

export interface EnqueueOptions {
  /** Jobs with the same id are not enqueued twice while one is waiting, delayed or running. */
  jobId?: string;
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
  /** Total runs before the job fails for good (default from the queue). */
  attempts?: number;
}

export interface QueueStats {
  waiting: number;
  delayed: number;
  active: number;
  failed: number;
  /** Age of the oldest job that is due but not yet started, in ms (0 when none). */
  oldestWaitingMs: number;
}

export interface JobQueue {
  /** Which implementation runs the jobs ("bullmq" or "in-process"). */
  readonly kind: 'bullmq' | 'in-process';
  register<T>(queue: string, processor: JobProcessor<T>, options?: { concurrency?: number }): void;
  /** Resolves once the job is accepted (stored in Redis, or scheduled in process). */
  enqueue<T>(queue: string, payload: T, options?: EnqueueOptions): Promise<void>;
  stats(queue: string): Promise<QueueStats>;
  /** Stops taking jobs and waits for the ones running. */
  close(): Promise<void>;
}

/**
 * Thrown by a processor when retrying cannot help (bad input, missing row):
 * the job fails at once, without the remaining attempts. BullMQ's
 * UnrecoverableError on that path.
 */
export class UnrecoverableJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnrecoverableJobError';
  }
}
