import type { NonceRepository } from '@rotor/acme';
import { NoncePool } from './nonce-pool';

function fakeStore() {
  const batches: { values: string[]; expires: number }[] = [];
  const repo: NonceRepository = {
    insertMany: async (values, expires) => void batches.push({ values, expires }),
    consume: async () => true,
    purgeExpired: async () => 0,
  };
  return { repo, batches };
}

describe('NoncePool', () => {
  it('ok/hands-out-only-stored-nonces-one-insert-per-batch', async () => {
    const { repo, batches } = fakeStore();
    const pool = new NoncePool(repo, 60_000, () => 1000);
    const taken = await Promise.all(Array.from({ length: 100 }, () => pool.take()));
    expect(new Set(taken).size).toBe(100);
    const stored = new Set(batches.flatMap((b) => b.values));
    expect(taken.every((n) => stored.has(n))).toBe(true);
    expect(batches).toHaveLength(2);
    expect(batches[0].expires).toBe(61_000);
  });

  it('ok/drops-a-batch-past-half-its-lifetime', async () => {
    const { repo, batches } = fakeStore();
    let now = 0;
    const pool = new NoncePool(repo, 60_000, () => now);
    const first = await pool.take();
    now = 30_001;
    const second = await pool.take();
    expect(batches).toHaveLength(2);
    expect(batches[1].values).toContain(second);
    expect(batches[0].values).toContain(first);
  });

  it('fail/a-store-error-reaches-the-caller-and-the-pool-recovers', async () => {
    const { repo } = fakeStore();
    let fail = true;
    const pool = new NoncePool(
      { ...repo, insertMany: async (v, e) => (fail ? Promise.reject(new Error('db down')) : repo.insertMany(v, e)) },
      60_000,
    );
    await expect(pool.take()).rejects.toThrow('db down');
    fail = false;
    await expect(pool.take()).resolves.toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
