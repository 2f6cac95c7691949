import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { BullMqJobQueue, JobContext, RetryLaterJobError, UnrecoverableJobError } from '@rotor/jobs';

/** The real Redis; each test uses its own key prefix and deletes it afterwards. */
const REDIS_URL = 'redis://127.0.0.1:6379';
const silent = { warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('BullMqJobQueue on the real Redis', () => {
  let prefix: string;
  const open: BullMqJobQueue[] = [];
  const make = (options: Partial<ConstructorParameters<typeof BullMqJobQueue>[0]> = {}) => {
    const queue = new BullMqJobQueue({ url: REDIS_URL, prefix, logger: silent, ...options });
    open.push(queue);
    return queue;
  };

  beforeEach(() => {
    prefix = `rotor-test-${randomBytes(4).toString('hex')}`;
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((q) => q.close()));
    const redis = new IORedis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('runs a job with its payload and context', async () => {
    const queue = make();
    const seen: [unknown, JobContext][] = [];
    queue.register('q', async (payload, context) => void seen.push([payload, context]));
    await queue.enqueue('q', { managedId: 'm1' }, { jobId: 'renew:m1:3:1700000000000', attempts: 2 });
    await until(() => seen.length === 1);
    // ":" is BullMQ's key separator: ids are mapped, not refused.
    expect(seen[0]).toEqual([{ managedId: 'm1' }, { id: 'renew.m1.3.1700000000000', attempt: 1, maxAttempts: 2 }]);
  });

  it('de-duplicates by job id', async () => {
    const queue = make();
    let runs = 0;
    queue.register('q', async () => void runs++);
    // The delay outlasts the stats read even on a loaded machine (300 ms once did not).
    await Promise.all([1, 2, 3].map(() => queue.enqueue('q', {}, { jobId: 'same:1', delayMs: 2_000 })));
    expect((await queue.stats('q')).delayed).toBe(1);
    await until(() => runs === 1);
    await sleep(500);
    expect(runs).toBe(1);
  });

  it('delays jobs and reports them as delayed, then waiting with their age', async () => {
    const queue = make();
    await queue.enqueue('q', {}, { delayMs: 60_000 });
    // Produced but no worker yet: it waits, and its age grows.
    await queue.enqueue('q', {});
    await sleep(120);
    const stats = await queue.stats('q');
    expect(stats).toMatchObject({ waiting: 1, delayed: 1, active: 0, failed: 0 });
    expect(stats.oldestWaitingMs).toBeGreaterThanOrEqual(100);
    expect(stats.oldestWaitingMs).toBeLessThan(5_000);
  });

  it('retries with jittered exponential backoff, then fails for good', async () => {
    const queue = make({ backoff: { baseMs: 100, maxMs: 1000 } });
    const at: number[] = [];
    queue.register('q', async () => {
      at.push(Date.now());
      throw new Error('boom');
    });
    await queue.enqueue('q', {}, { attempts: 3 });
    await until(async () => (await queue.stats('q')).failed === 1);
    expect(at).toHaveLength(3);
    // 1st retry after 50-100 ms, 2nd after 100-200 ms (plus worker pick-up).
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(45);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(95);
  });

  it('fails at once on UnrecoverableJobError', async () => {
    const queue = make({ backoff: { baseMs: 50, maxMs: 100 } });
    let runs = 0;
    queue.register('q', async () => {
      runs++;
      throw new UnrecoverableJobError('no such row');
    });
    await queue.enqueue('q', {}, { attempts: 5 });
    await until(async () => (await queue.stats('q')).failed === 1);
    await sleep(300);
    expect(runs).toBe(1);
  });

  it('retries after the delay a processor asks for', async () => {
    const queue = make({ backoff: { baseMs: 1, maxMs: 10_000 } });
    const at: number[] = [];
    queue.register('q', async () => {
      at.push(Date.now());
      if (at.length === 1) throw new RetryLaterJobError('lease held', 400);
    });
    await queue.enqueue('q', {});
    await until(() => at.length === 2);
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(380);
  });

  it('spreads jobs over two workers sharing the prefix', async () => {
    const [a, b] = [make(), make()];
    const ranOn = { a: 0, b: 0 };
    const work = (name: 'a' | 'b') => async () => {
      await sleep(20);
      ranOn[name]++;
    };
    a.register('q', work('a'), { concurrency: 2 });
    b.register('q', work('b'), { concurrency: 2 });
    await sleep(200); // both workers connected
    for (let i = 0; i < 40; i++) await a.enqueue('q', { i }, { jobId: `job:${i}` });
    await until(() => ranOn.a + ranOn.b === 40);
    expect(ranOn.a).toBeGreaterThan(0);
    expect(ranOn.b).toBeGreaterThan(0);
  });

  it('survives Redis being unreachable: enqueue fails fast, nothing crashes', async () => {
    const queue = new BullMqJobQueue({ url: 'redis://127.0.0.1:1', prefix, logger: silent, enqueueTimeoutMs: 1000 });
    queue.register('q', async () => undefined);
    const started = Date.now();
    await expect(queue.enqueue('q', {})).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3_000);
    await expect(queue.close()).resolves.toBeUndefined();
  });
});
