import { randomBytes } from 'node:crypto';
import type { NonceRepository } from '@rotor/acme';

const BATCH = 64;

/**
 * Hands out Replay-Nonces (RFC 8555 §6.5) that are already stored in the
 * database, so any replica can redeem them. Nonces are written in batches
 * (one INSERT per 64) instead of one INSERT per response; a batch is dropped
 * once half its lifetime has passed, so every nonce handed out stays valid
 * for at least half the nonce lifetime.
 */
export class NoncePool {
  private available: string[] = [];
  private batchExpires = 0;
  private refill?: Promise<void>;

  constructor(
    private readonly nonces: NonceRepository,
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async take(): Promise<string> {
    for (;;) {
      if (this.now() > this.batchExpires - this.lifetimeMs / 2) this.available = [];
      const nonce = this.available.pop();
      if (nonce) return nonce;
      this.refill ??= this.fill().finally(() => (this.refill = undefined));
      await this.refill;
    }
  }

  private async fill(): Promise<void> {
    const expires = this.now() + this.lifetimeMs;
    // 128 bits of CSPRNG output per nonce, drawn in one call for the whole batch.
    const random = randomBytes(16 * BATCH);
    const batch = Array.from({ length: BATCH }, (_, i) => random.toString('base64url', i * 16, i * 16 + 16));
    await this.nonces.insertMany(batch, expires);
    this.available = [...batch]; // popped locally; never mutate what the store was given
    this.batchExpires = expires;
  }
}
