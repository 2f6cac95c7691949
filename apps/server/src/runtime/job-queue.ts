import type { RotorConfig } from '@rotor/config';
import { BullMqJobQueue, InProcessJobQueue, JobQueue } from '@rotor/jobs';
import type { Logger } from '@rotor/observability';

/**
 * The runtime's job queues. Renewal, notification and CRL work goes on
 * `queue`: BullMQ when ROTOR_REDIS_URL is set (replicas share the work),
 * in-process otherwise.
 *
 * Challenge validation always runs on the in-process `jobs` queue, even with
 * Redis: it is short network I/O started by the client's own request, the
 * challenge's "processing" state is in the database (the reconciler re-runs
 * it after a restart), and keeping it off Redis means ACME issuance keeps
 * working while Redis is down — Redis only carries work that can wait.
 */
export function createJobQueues(config: RotorConfig, logger: Logger): { queue: JobQueue; jobs: JobQueue } {
  const jobs = new InProcessJobQueue({ logger, concurrency: 16 });
  if (!config.redisUrl) return { queue: jobs, jobs };
  const queue = new BullMqJobQueue({ url: config.redisUrl, prefix: config.queuePrefix, logger });
  return { queue, jobs };
}
