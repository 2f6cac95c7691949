import type { EventPublisher } from '../../events';
import type { InventoryRecord, SubjectAltNames } from '../../inventory/model';
import { sanKey } from '../../inventory/names';
import type { InventoryRepository } from '../../inventory/ports';
import { issuedEvent } from '../../inventory/usecases/record-issued';
import type { ManagedCertificate } from '../model';
import { GeneratedKey, KeySealerPort, LeafSigner, LeafSigningError, ManagedCertificateRepository } from '../ports';
import { failureRetryDelayMs, renewalPoint } from '../schedule';
import { specText } from '../spec';

/** One renewal job: renew `generation` of the managed certificate, due at `dueAt`. */
export interface RenewalRequest {
  managedId: string;
  generation: number;
  /** The row's next_renewal_at when the job was made; a row rescheduled since is left to its own job. */
  dueAt: number;
}

export interface RenewalAttempt {
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
}

export type RenewalOutcome =
  | {
      kind: 'renewed';
      managedId: string;
      name: string;
      /** The generation now in force. */
      generation: number;
      inventoryId: string;
      previousId?: string;
      notBefore: number;
      notAfter: number;
      nextRenewalAt: number;
      /** When the work started, for queue-lag figures (started - dueAt). */
      startedAt: number;
      durationMs: number;
      /** Follow-up steps that failed after the commit (logged by the caller; the next renewal repairs them). */
      warnings: string[];
    }
  | { kind: 'skipped'; reason: 'gone' | 'disabled' | 'stale' | 'rescheduled' | 'lost-race' }
  /** Another worker holds the lease: try again after it expires. */
  | { kind: 'busy'; retryAfterMs: number };

/**
 * A renewal attempt that failed. `permanent`: retrying the same spec cannot
 * help; `final`: no attempt of this job is left (the next try is scheduled in
 * the database). The message carries no key material.
 */
export class RenewalFailedError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly final: boolean,
  ) {
    super(message);
    this.name = 'RenewalFailedError';
  }
}

export interface RenewalDependencies {
  repository: ManagedCertificateRepository;
  inventory: InventoryRepository;
  signer: LeafSigner;
  sealer: KeySealerPort;
  events: EventPublisher;
}

export interface RenewalSettings {
  /** This worker's name in lease_owner. */
  owner: string;
  /** How long a claimed row stays this worker's (config renewalLease). */
  leaseMs: number;
  now?: () => number;
}

const MAX_ERROR_TEXT = 500;

/**
 * Renews one managed certificate: the same code on the BullMQ and the
 * in-process path, safe to run twice for the same job.
 *
 * 1. Claim a lease on the row for this generation (a conditional UPDATE):
 *    a second worker backs off until it expires; a crashed worker's lease
 *    simply runs out.
 * 2. Generate a key (or reuse the sealed one), sign, record the certificate
 *    in the inventory.
 * 3. Commit in one transaction: the renewals row for (id, generation) — its
 *    key is the guard against two successors — and the row moved to
 *    generation + 1 with the new certificate, key and renewal point.
 * 4. Supersede the predecessor and publish certificate.issued/renewed.
 *
 * The inventory row is written before the commit so a certificate the row
 * points to is always tracked; if the commit then loses (another worker got
 * there first), the orphan is marked superseded by the winner, and one left by
 * a crash is superseded by the next renewal of the same names.
 */
export class RenewalProcessor {
  private readonly now: () => number;

  constructor(
    private readonly deps: RenewalDependencies,
    private readonly settings: RenewalSettings,
  ) {
    this.now = settings.now ?? Date.now;
  }

  async renew(request: RenewalRequest, attempt: RenewalAttempt): Promise<RenewalOutcome> {
    const { repository } = this.deps;
    const startedAt = this.now();
    const row = await repository.claim(
      request.managedId,
      request.generation,
      this.settings.owner,
      startedAt,
      startedAt + this.settings.leaseMs,
    );
    if (!row) return this.whyNotClaimed(request, startedAt);
    if (row.nextRenewalAt !== request.dueAt) {
      // Rescheduled (spec change, force renew, failure backoff): that schedule has its own job.
      return this.release(row, 'rescheduled');
    }
    try {
      return await this.issue(row, startedAt);
    } catch (error) {
      throw await this.fail(row, error, attempt);
    }
  }

  private async whyNotClaimed(request: RenewalRequest, now: number): Promise<RenewalOutcome> {
    const current = await this.deps.repository.byId(request.managedId);
    if (!current) return { kind: 'skipped', reason: 'gone' };
    if (current.generation !== request.generation) return { kind: 'skipped', reason: 'stale' };
    if (current.status === 'disabled') return { kind: 'skipped', reason: 'disabled' };
    return { kind: 'busy', retryAfterMs: Math.max(250, (current.leaseUntil ?? now) - now + 250) };
  }

  private async issue(row: ManagedCertificate, startedAt: number): Promise<RenewalOutcome> {
    const { repository, inventory, signer, events } = this.deps;
    const spec = row.spec;
    const { key, keySealed } = await this.key(row);
    const notBefore = Math.floor(startedAt / 1000) * 1000;
    const names: SubjectAltNames = { dns: spec.dnsNames, ip: spec.ips, uri: spec.uris };
    const leaf = await signer.issue({
      spkiDer: key.spkiDer,
      names,
      profile: spec.profile,
      notBefore,
      notAfter: notBefore + spec.lifetimeMs,
    });
    const recordedAt = this.now();
    const record: InventoryRecord = {
      id: leaf.fingerprint,
      serial: leaf.serial,
      subject: leaf.subject,
      issuer: leaf.issuer,
      sans: names,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      keyType: leaf.keyType,
      profile: spec.profile,
      source: 'managed',
      owner: { kind: 'managed', id: row.id },
      state: 'active',
      replaces: row.currentId,
      endpoints: [],
      pem: leaf.chainPem,
      createdAt: recordedAt,
      updatedAt: recordedAt,
    };
    await inventory.upsert(record);
    const nextRenewalAt = renewalPoint(spec, leaf, row.id, row.generation + 1);
    const committed = await repository.commitRenewal({
      id: row.id,
      generation: row.generation,
      leaseOwner: this.settings.owner,
      specText: specText(spec),
      inventoryId: record.id,
      previousId: row.currentId,
      keySealed,
      nextRenewalAt,
      now: recordedAt,
      durationMs: recordedAt - startedAt,
    });
    if (!committed) {
      const winner = await repository.byId(row.id);
      if (winner?.currentId && winner.currentId !== record.id)
        await inventory.supersede(record.id, winner.currentId, recordedAt);
      return { kind: 'skipped', reason: 'lost-race' };
    }

    // Committed: what follows must not fail the job (a retry would find the generation moved on).
    const warnings: string[] = [];
    const superseded: string[] = [];
    try {
      if (row.currentId && (await inventory.supersede(row.currentId, record.id, recordedAt)))
        superseded.push(row.currentId);
      for (const id of await inventory.supersedeSameNames(
        record.owner!,
        sanKey(names),
        record.id,
        record.notAfter,
        recordedAt,
      )) {
        if (!superseded.includes(id)) superseded.push(id);
      }
    } catch (error) {
      warnings.push(`superseding the predecessor failed: ${errorText(error)}`);
    }
    try {
      const event = issuedEvent(
        row.currentId ? 'certificate.renewed' : 'certificate.issued',
        record,
        recordedAt,
        superseded,
      );
      event.data = { ...event.data, managed: { id: row.id, name: row.name, generation: row.generation + 1 } };
      await events.publish(event);
    } catch (error) {
      warnings.push(`publishing the event failed: ${errorText(error)}`);
    }
    return {
      kind: 'renewed',
      managedId: row.id,
      name: row.name,
      generation: row.generation + 1,
      inventoryId: record.id,
      previousId: row.currentId,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      nextRenewalAt,
      startedAt,
      durationMs: recordedAt - startedAt,
      warnings,
    };
  }

  /** A new key per renewal unless the spec says reuseKey and the stored key still has the requested type. */
  private async key(row: ManagedCertificate): Promise<{ key: GeneratedKey; keySealed: string }> {
    const { signer, sealer } = this.deps;
    if (row.spec.reuseKey && row.keySealed) {
      let pem: string;
      try {
        pem = Buffer.from(sealer.unseal(row.keySealed)).toString('utf8');
      } catch {
        throw new LeafSigningError('the stored key cannot be unsealed (wrong master key?)', true);
      }
      const existing = signer.publicKeyOf(pem);
      if (existing.keyType === row.spec.keyType) {
        return { key: { privateKeyPkcs8Pem: pem, spkiDer: existing.spkiDer }, keySealed: row.keySealed };
      }
    }
    const key = await signer.generateKey(row.spec.keyType);
    return { key, keySealed: sealer.seal(Buffer.from(key.privateKeyPkcs8Pem, 'utf8')) };
  }

  private async fail(row: ManagedCertificate, error: unknown, attempt: RenewalAttempt): Promise<RenewalFailedError> {
    const permanent = error instanceof LeafSigningError && error.permanent;
    const final = permanent || attempt.attempt >= attempt.maxAttempts;
    const message = errorText(error).slice(0, MAX_ERROR_TEXT);
    const now = this.now();
    const nextRenewalAt = final
      ? now + failureRetryDelayMs(row.consecutiveFailures + 1, row.spec.lifetimeMs)
      : undefined;
    const failures = await this.deps.repository
      .recordFailure({
        id: row.id,
        generation: row.generation,
        leaseOwner: this.settings.owner,
        error: message,
        now,
        nextRenewalAt,
      })
      .catch(() => null);
    if (final) {
      await this.deps.events
        .publish({
          type: 'renewal.failed',
          subjectId: row.id,
          data: {
            name: row.name,
            generation: row.generation,
            currentId: row.currentId ?? null,
            consecutiveFailures: failures ?? row.consecutiveFailures + 1,
            error: message,
            permanent,
            nextAttemptAt: new Date(nextRenewalAt!).toISOString(),
          },
          at: now,
        })
        .catch(() => undefined);
    }
    return new RenewalFailedError(`renewal of "${row.name}" failed: ${message}`, permanent, final);
  }

  private async release(row: ManagedCertificate, reason: 'rescheduled'): Promise<RenewalOutcome> {
    await this.deps.repository.release(row.id, row.generation, this.settings.owner);
    return { kind: 'skipped', reason };
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
