/**
 * The single-node job runner: the same handlers the queue workers run, called
 * in this process with bounded concurrency. The database holds the state each
 * job moves forward, so a job lost on a crash is re-derived at start-up
 * (see the server's reconciler), never silently dropped.
 */
export type JobHandler<T> = (payload: T) => Promise<void>;

export interface JobLogger {
  error(details: Record<string, unknown>, message: string): void;
}

export class InProcessJobRunner {
  private readonly handlers = new Map<string, JobHandler<never>>();
  private readonly waiting: (() => void)[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private running = 0;
  private closed = false;

  constructor(
    private readonly concurrency: number,
    private readonly logger: JobLogger,
  ) {}

  register<T>(queue: string, handler: JobHandler<T>): void {
    this.handlers.set(queue, handler as JobHandler<never>);
  }

  /** Starts the job as soon as a slot is free; resolves once it is accepted, not when it finishes. */
  async enqueue<T>(queue: string, payload: T): Promise<void> {
    const handler = this.handlers.get(queue) as JobHandler<T> | undefined;
    if (!handler) throw new Error(`no handler registered for queue "${queue}"`);
    if (this.closed) return;
    const job = this.run(queue, handler, payload);
    this.inFlight.add(job);
    void job.finally(() => this.inFlight.delete(job));
  }

  /** Stops accepting work and waits for jobs under way. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private async run<T>(queue: string, handler: JobHandler<T>, payload: T): Promise<void> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      await handler(payload);
    } catch (error) {
      this.logger.error({ queue, err: error instanceof Error ? error.message : String(error) }, 'job failed');
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
