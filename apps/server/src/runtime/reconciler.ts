import type { Runtime } from './runtime';

const SWEEP_INTERVAL_MS = 60_000;
/** A finalize that has not completed in this long was interrupted (signing takes milliseconds). */
const STUCK_PROCESSING_MS = 30_000;

/**
 * The database is the source of truth; jobs are derived from it. At start-up
 * and then every minute this re-derives work a crash or restart may have lost:
 * challenges left "processing" are validated again, orders left "processing"
 * are finalized from their stored CSR, and expired nonces are purged.
 */
export class Reconciler {
  private timer?: NodeJS.Timeout;

  constructor(private readonly runtime: Runtime) {}

  async start(): Promise<void> {
    await this.sweep(true);
    this.timer = setInterval(() => void this.sweep(false), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async sweep(atStartup: boolean): Promise<void> {
    const { acme, useCases, logger } = this.runtime;
    try {
      const now = acme.clock.now();
      if (atStartup) {
        for (const challenge of await acme.authorizations.listProcessingChallenges(1000)) {
          await acme.scheduler.schedule(challenge.id);
        }
      }
      const stuckBefore = atStartup ? now : now - STUCK_PROCESSING_MS;
      for (const order of await acme.orders.listProcessing(stuckBefore, 100)) {
        await useCases.finalize.completeProcessing(order).catch((error) => {
          logger.warn({ orderId: order.id, err: String(error) }, 'could not complete an interrupted finalize');
        });
      }
      await acme.nonces.purgeExpired(now);
    } catch (error) {
      logger.error({ err: String(error) }, 'reconciliation sweep failed');
    }
  }
}
