import type { ChallengeValidationPort, ValidationScheduler, ValidateChallengeUseCase } from '@rotor/acme';
import type { RotorConfig } from '@rotor/config';
import { createChallengeValidator } from '@rotor/challenges';
import { JobQueue, QUEUES, ValidateChallengeJob } from '@rotor/jobs';

export function createValidator(config: RotorConfig): ChallengeValidationPort {
  const validator = createChallengeValidator({
    http01Port: config.http01Port,
    tlsAlpn01Port: config.tlsAlpn01Port,
    dnsResolver: config.dnsResolver ? formatHostPort(config.dnsResolver) : undefined,
    timeoutMs: config.validationTimeout,
  });
  return { validate: (request) => validator.validate(request) };
}

function formatHostPort({ host, port }: { host: string; port: number }): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Challenge validation through a job queue (the in-process one; see
 * job-queue.ts for why). One attempt: the use case records the outcome on
 * the challenge itself, and a client may simply respond again.
 */
export class JobValidationScheduler implements ValidationScheduler {
  constructor(private readonly queue: JobQueue) {}

  static register(queue: JobQueue, useCase: ValidateChallengeUseCase): JobValidationScheduler {
    queue.register<ValidateChallengeJob>(QUEUES.validateChallenge, (job) => useCase.execute(job.challengeId));
    return new JobValidationScheduler(queue);
  }

  schedule(challengeId: string): Promise<void> {
    return this.queue.enqueue<ValidateChallengeJob>(
      QUEUES.validateChallenge,
      { challengeId },
      { jobId: `challenge:${challengeId}`, attempts: 1 },
    );
  }
}
