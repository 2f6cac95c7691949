import { RetryLaterJobError } from './backoff';
import { InProcessJobQueue } from './in-process-queue';
import { JobContext, UnrecoverableJobError } from './queue';

const silent = { warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('InProcessJobQueue', () => {
  let queue: InProcessJobQueue;
  afterEach(() => queue.close());

  it('runs jobs with their payload and context', async () => {
    queue = new InProcessJobQueue({ logger: silent });
    const seen: [unknown, JobContext][] = [];
    queue.register('q', async (payload, context) => void seen.push([payload, context]));
    await queue.enqueue('q', { n: 1 }, { jobId: 'a', attempts: 3 });
    await until(() => seen.length === 1);
    expect(seen[0]).toEqual([{ n: 1 }, { id: 'a', attempt: 1, maxAttempts: 3 }]);
  });

  it('refuses queues without a processor', async () => {
    queue = new InProcessJobQueue({ logger: silent });
    await expect(queue.enqueue('nobody', {})).rejects.toThrow('no processor registered for queue "nobody"');
  });

  it('honours delays', async () => {
    queue = new InProcessJobQueue({ logger: silent });
    let ranAt = 0;
    queue.register('q', async () => void (ranAt = Date.now()));
    const start = Date.now();
    await queue.enqueue('q', {}, { delayMs: 150 });
    expect((await queue.stats('q')).delayed).toBe(1);
    await until(() => ranAt > 0);
    expect(ranAt - start).toBeGreaterThanOrEqual(140);
  });

  it('drops a job id that is still pending, accepts it again once done', async () => {
    queue = new InProcessJobQueue({ logger: silent });
    let runs = 0;
    queue.register('q', async () => void runs++);
    await queue.enqueue('q', {}, { jobId: 'x', delayMs: 50 });
    await queue.enqueue('q', {}, { jobId: 'x', delayMs: 50 });
    await until(() => runs === 1);
    await sleep(80);
    expect(runs).toBe(1);
    await queue.enqueue('q', {}, { jobId: 'x' });
    await until(() => runs === 2);
  });

  it('retries with backoff until the attempts are spent, then counts a failure', async () => {
    queue = new InProcessJobQueue({ logger: silent, backoff: { baseMs: 20, maxMs: 100 } });
    const attempts: number[] = [];
    queue.register('q', async (_p, { attempt }) => {
      attempts.push(attempt);
      throw new Error('boom');
    });
    await queue.enqueue('q', {}, { attempts: 3 });
    await until(() => attempts.length === 3);
    await sleep(150);
    expect(attempts).toEqual([1, 2, 3]);
    expect((await queue.stats('q')).failed).toBe(1);
  });

  it('succeeds on a later attempt', async () => {
    queue = new InProcessJobQueue({ logger: silent, backoff: { baseMs: 10, maxMs: 50 } });
    let done = false;
    queue.register('q', async (_p, { attempt }) => {
      if (attempt < 3) throw new Error('not yet');
      done = true;
    });
    await queue.enqueue('q', {});
    await until(() => done);
    expect((await queue.stats('q')).failed).toBe(0);
  });

  it('stops at once on an unrecoverable error', async () => {
    queue = new InProcessJobQueue({ logger: silent, backoff: { baseMs: 10, maxMs: 50 } });
    let runs = 0;
    queue.register('q', async () => {
      runs++;
      throw new UnrecoverableJobError('bad input');
    });
    await queue.enqueue('q', {}, { attempts: 5 });
    await until(() => runs === 1);
    await sleep(100);
    expect(runs).toBe(1);
    expect((await queue.stats('q')).failed).toBe(1);
  });

  it('waits as long as the processor asks before retrying', async () => {
    queue = new InProcessJobQueue({ logger: silent, backoff: { baseMs: 1, maxMs: 10_000 } });
    const at: number[] = [];
    queue.register('q', async () => {
      at.push(Date.now());
      if (at.length === 1) throw new RetryLaterJobError('lease held', 200);
    });
    await queue.enqueue('q', {});
    await until(() => at.length === 2);
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(190);
  });

  it('bounds concurrency and reports waiting work and its age', async () => {
    queue = new InProcessJobQueue({ logger: silent });
    let running = 0;
    let peak = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    queue.register(
      'q',
      async () => {
        running++;
        peak = Math.max(peak, running);
        await gate;
        running--;
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 6; i++) await queue.enqueue('q', { i });
    await sleep(30);
    const stats = await queue.stats('q');
    expect(stats).toMatchObject({ active: 2, waiting: 4, delayed: 0, failed: 0 });
    expect(stats.oldestWaitingMs).toBeGreaterThanOrEqual(20);
    release();
    await until(() => running === 0);
    expect(peak).toBe(2);
    expect((await queue.stats('q')).waiting).toBe(0);
  });

  it('close waits for running jobs and drops pending ones', async () => {
    queue = new InProcessJobQueue({ logger: silent });
    let finished = 0;
    queue.register('q', async () => {
      await sleep(50);
      finished++;
    });
    await queue.enqueue('q', {});
    await queue.enqueue('q', {}, { delayMs: 10_000 });
    await sleep(5);
    await queue.close();
    expect(finished).toBe(1);
    await queue.enqueue('q', {});
    expect((await queue.stats('q')).delayed).toBe(0);
  });
});
