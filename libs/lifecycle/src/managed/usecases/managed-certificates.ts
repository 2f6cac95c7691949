import { randomUUID } from 'node:crypto';
import { ManagedError } from '../errors';
import type { ManagedCertificate, ManagedDeclaration, RenewalRecord } from '../model';
import type { ManagedCertificateRepository, ManagedPage, RenewalTrigger } from '../ports';
import { ManagedPolicy, parseManagedDeclaration, sameDeclaration, specText } from '../spec';

/** Rotor's own HTTPS certificate: created and updated by the server only. */
export const SERVER_CERTIFICATE_NAME = 'rotor-server';

export const DEFAULT_MANAGED_PAGE = 100;
export const MAX_MANAGED_PAGE = 500;

export interface ManagedCertificatesOptions {
  now?: () => number;
  /** Names only the server may change (default: rotor-server). */
  reservedNames?: string[];
}

export type UpdateResult = { record: ManagedCertificate; changed: boolean };

/**
 * Create, read, update, delete and force-renew managed certificates. Every
 * change to what a certificate says (names, profile, key, lifetime…) makes it
 * due at once; changing only the schedule or subscribers does not re-issue.
 * The renewal itself is the engine's (RenewalProcessor); these use cases only
 * move the due time and nudge the queue.
 */
export class ManagedCertificates {
  private readonly now: () => number;
  private readonly reserved: Set<string>;

  constructor(
    private readonly repository: ManagedCertificateRepository,
    private readonly policy: ManagedPolicy,
    private readonly trigger: RenewalTrigger,
    options: ManagedCertificatesOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.reserved = new Set(options.reservedNames ?? [SERVER_CERTIFICATE_NAME]);
  }

  /** Validates the whole input first: nothing is stored when any field is wrong. */
  parse(input: unknown, pathPrefix = ''): ManagedDeclaration {
    return parseManagedDeclaration(input, this.policy, pathPrefix);
  }

  isReserved(name: string): boolean {
    return this.reserved.has(name);
  }

  async create(input: unknown): Promise<ManagedCertificate> {
    const declaration = this.parse(input);
    this.refuseReserved(declaration.name);
    return this.createDeclared(declaration);
  }

  /** Stores an already validated declaration (manifests, the server's own certificate). */
  async createDeclared(declaration: ManagedDeclaration): Promise<ManagedCertificate> {
    const now = this.now();
    const record: ManagedCertificate = {
      ...declaration,
      id: randomUUID(),
      generation: 0,
      status: 'pending',
      nextRenewalAt: now,
      consecutiveFailures: 0,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.repository.insert(record))) {
      throw new ManagedError('conflict', `a managed certificate named "${declaration.name}" already exists`);
    }
    await this.nudge(record.id, 0, now);
    return record;
  }

  async get(name: string): Promise<ManagedCertificate> {
    const record = await this.repository.byName(name);
    if (!record) throw new ManagedError('not-found', `no managed certificate named "${name}"`);
    return record;
  }

  async list(options: { after?: string; limit?: number } = {}): Promise<ManagedPage> {
    const limit = options.limit ?? DEFAULT_MANAGED_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_MANAGED_PAGE) {
      throw new ManagedError('malformed', `limit must be an integer from 1 to ${MAX_MANAGED_PAGE}`);
    }
    return this.repository.list({ after: options.after, limit });
  }

  /** Replaces the declaration of `name` (the body's name, if any, must match). */
  async update(name: string, input: unknown): Promise<UpdateResult> {
    const body =
      input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : input;
    if (body && typeof body === 'object' && 'name' in body && body.name !== name) {
      throw new ManagedError('malformed', 'the name in the body differs from the one in the path', [
        { path: 'name', message: `must be "${name}" or absent` },
      ]);
    }
    const declaration = this.parse(body && typeof body === 'object' ? { ...body, name } : body);
    this.refuseReserved(name);
    return this.updateDeclared(await this.get(name), declaration);
  }

  async updateDeclared(existing: ManagedCertificate, declaration: ManagedDeclaration): Promise<UpdateResult> {
    if (sameDeclaration(existing, declaration)) return { record: existing, changed: false };
    const now = this.now();
    // A new certificate is needed only when what it says changes.
    const reissue =
      specText({ ...existing.spec, renewAt: 0, jitter: 0 }) !==
      specText({ ...declaration.spec, renewAt: 0, jitter: 0 });
    const nextRenewalAt = reissue ? now : undefined;
    if (!(await this.repository.updateDeclaration(existing.id, declaration, nextRenewalAt, now))) {
      throw new ManagedError('not-found', `no managed certificate named "${existing.name}"`);
    }
    if (reissue) await this.nudge(existing.id, existing.generation, now);
    const record = {
      ...existing,
      ...declaration,
      nextRenewalAt: nextRenewalAt ?? existing.nextRenewalAt,
      updatedAt: now,
    };
    return { record, changed: true };
  }

  async delete(name: string): Promise<ManagedCertificate> {
    this.refuseReserved(name);
    const existing = await this.get(name);
    if (!(await this.repository.delete(existing.id))) {
      throw new ManagedError('not-found', `no managed certificate named "${name}"`);
    }
    return existing;
  }

  /** Makes the certificate due now; the engine renews it within moments. */
  async renew(name: string): Promise<ManagedCertificate> {
    const existing = await this.get(name);
    if (existing.status === 'disabled') throw new ManagedError('conflict', `"${name}" is disabled`);
    const now = this.now();
    if (!(await this.repository.reschedule(existing.id, existing.generation, now, now))) {
      // The generation moved on in between: that renewal already happened.
      return (await this.repository.byId(existing.id)) ?? existing;
    }
    await this.nudge(existing.id, existing.generation, now);
    return { ...existing, nextRenewalAt: now, updatedAt: now };
  }

  async history(name: string, limit = 20): Promise<RenewalRecord[]> {
    const existing = await this.get(name);
    return this.repository.renewals(existing.id, limit);
  }

  private refuseReserved(name: string): void {
    if (this.reserved.has(name)) {
      throw new ManagedError('conflict', `"${name}" is Rotor's own HTTPS certificate; the server manages it`);
    }
  }

  /** The sweep finds due rows anyway; the nudge only saves up to one sweep interval. */
  private async nudge(id: string, generation: number, dueAt: number): Promise<void> {
    await this.trigger.trigger({ id, generation, nextRenewalAt: dueAt }).catch(() => undefined);
  }
}
