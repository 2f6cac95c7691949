import type { ChallengeValidationPort, ValidationScheduler, ValidateChallengeUseCase } from '@rotor/acme';
import type { RotorConfig } from '@rotor/config';
import { createChallengeValidator } from '@rotor/challenges';
import { InProcessJobRunner, QUEUES, ValidateChallengeJob } from '@rotor/jobs';

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

/** Challenge validation through the job runner (in-process on a single node). */
export class JobValidationScheduler implements ValidationScheduler {
  constructor(private readonly runner: InProcessJobRunner) {}

  static register(runner: InProcessJobRunner, useCase: ValidateChallengeUseCase): JobValidationScheduler {
    runner.register<ValidateChallengeJob>(QUEUES.validateChallenge, (job) => useCase.execute(job.challengeId));
    return new JobValidationScheduler(runner);
  }

  schedule(challengeId: string): Promise<void> {
    return this.runner.enqueue<ValidateChallengeJob>(QUEUES.validateChallenge, { challengeId });
  }
}
