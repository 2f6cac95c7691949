import { isIP } from 'node:net';
import type { Server } from 'node:https';
import type { CertificateAuthority } from '@rotor/pki';
import { generateLeafKeyPair } from '@rotor/pki';
import { ManagedCertificate, ManagedError, SERVER_CERTIFICATE_NAME, sameDeclaration } from '@rotor/lifecycle';
import type { Logger } from '@rotor/observability';
import type { ManagedMaterial, ManagedServices } from './managed-services';

/** Below this much remaining life at start-up, the certificate is renewed before the listener opens. */
const MIN_REMAINING_AT_START_MS = 30_000;
/** How long start-up waits for another replica that is issuing the certificate right now. */
const WAIT_FOR_PEER_MS = 30_000;

export interface ServerCertificate {
  key: string;
  cert: string;
  serial: string;
  notAfter: number;
  /** The managed generation served; -1 for the in-memory fallback. */
  generation: number;
}

/** The names Rotor's certificate covers: loopback plus the listen and external hosts. */
export function serverTlsNames(hosts: string[]): { dnsNames: string[]; ips: string[] } {
  const names = new Set(['localhost', '127.0.0.1', '::1', ...hosts.filter((h) => h && h !== '0.0.0.0' && h !== '::')]);
  return {
    dnsNames: [...names].filter((n) => !isIP(n)).map((n) => n.toLowerCase()),
    ips: [...names].filter((n) => isIP(n)),
  };
}

/**
 * Rotor's own HTTPS certificate is the managed certificate "rotor-server"
 * (profile server, lifetime = certLifetime): created on first start,
 * renewed by the engine like any other, and swapped into the listener with
 * setSecureContext when a new generation commits — open connections keep
 * the session they have. Every replica serves the same certificate and key
 * (sealed in the database); each picks up a renewal that another replica
 * committed at its next poll (one sweep interval).
 */
export class ServerTls {
  private current?: ServerCertificate;
  private server?: Server;
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private reloading?: Promise<void>;

  constructor(
    private readonly managed: ManagedServices,
    private readonly ca: CertificateAuthority,
    private readonly logger: Logger,
    private readonly options: { hosts: string[]; lifetimeMs: number; pollIntervalMs: number },
  ) {}

  /** The certificate to open the listener with: the managed one, issued now if needed, or an in-memory fallback. */
  async prepare(): Promise<ServerCertificate> {
    try {
      const row = await this.ensureDeclared();
      let material = await this.managed.material(SERVER_CERTIFICATE_NAME);
      if (!material || material.notAfter - Date.now() < MIN_REMAINING_AT_START_MS) material = await this.issueNow(row);
      if (material) return (this.current = fromMaterial(material));
    } catch (error) {
      this.logger.error({ err: String(error) }, 'server certificate not available from the renewal engine');
    }
    // Never refuse to start over it: serve an in-memory certificate until the engine delivers one.
    this.current = await ephemeralCertificate(this.ca, this.options.hosts, this.options.lifetimeMs);
    this.logger.warn('serving a temporary server certificate until the managed one is issued');
    return this.current;
  }

  /** Starts following renewals: swaps the listener's certificate when a new generation is committed. */
  attach(server: Server): void {
    this.server = server;
    this.unsubscribe = this.managed.onRenewed((outcome) => {
      if (outcome.name === SERVER_CERTIFICATE_NAME) void this.reload();
    });
    this.timer = setInterval(() => void this.reload(), this.options.pollIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
  }

  /** Loads the current generation and swaps it in if it is newer than the one served. */
  reload(): Promise<void> {
    this.reloading ??= this.swapIfNewer().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async swapIfNewer(): Promise<void> {
    try {
      const material = await this.managed.material(SERVER_CERTIFICATE_NAME);
      if (!material || !this.server || material.generation <= (this.current?.generation ?? -1)) return;
      const next = fromMaterial(material);
      this.server.setSecureContext({ key: next.key, cert: next.cert });
      this.current = next;
      this.logger.info(
        { serial: next.serial, notAfter: new Date(next.notAfter).toISOString(), generation: next.generation },
        'server certificate renewed',
      );
    } catch (error) {
      this.logger.warn({ err: String(error) }, 'could not load the renewed server certificate; retrying');
    }
  }

  /** Creates "rotor-server", or updates it when the hosts or the lifetime changed (that renews it soon). */
  private async ensureDeclared(): Promise<ManagedCertificate> {
    const { certificates, repository } = this.managed;
    const declaration = certificates.parse({
      name: SERVER_CERTIFICATE_NAME,
      ...serverTlsNames(this.options.hosts),
      profile: 'server',
      keyType: 'ecdsa-p256',
      lifetime: this.options.lifetimeMs,
    });
    const existing = await repository.byName(SERVER_CERTIFICATE_NAME);
    if (!existing) {
      try {
        return await certificates.createDeclared(declaration);
      } catch (error) {
        // Another replica created it at the same moment.
        if (!(error instanceof ManagedError && error.code === 'conflict')) throw error;
        return (await repository.byName(SERVER_CERTIFICATE_NAME))!;
      }
    }
    if (sameDeclaration(existing, declaration)) return existing;
    return (await certificates.updateDeclared(existing, declaration)).record;
  }

  /** Renews in this process before listening; waits instead when another replica holds the lease. */
  private async issueNow(row: ManagedCertificate): Promise<ManagedMaterial | null> {
    const deadline = Date.now() + WAIT_FOR_PEER_MS;
    let current = row;
    while (Date.now() < deadline) {
      const outcome = await this.managed.processor.renew(
        { managedId: current.id, generation: current.generation, dueAt: current.nextRenewalAt },
        { attempt: 1, maxAttempts: 1 },
      );
      if (outcome.kind === 'renewed') return this.managed.material(SERVER_CERTIFICATE_NAME);
      if (outcome.kind === 'busy') await sleep(Math.min(500, outcome.retryAfterMs));
      const latest = await this.managed.repository.byId(current.id);
      if (!latest) return null;
      if (latest.generation > row.generation) return this.managed.material(SERVER_CERTIFICATE_NAME);
      current = latest;
    }
    return null;
  }
}

function fromMaterial(m: ManagedMaterial): ServerCertificate {
  return { key: m.key, cert: m.cert, serial: m.serial, notAfter: m.notAfter, generation: m.generation };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh key and certificate held only in memory: the fallback when the database cannot provide one. */
async function ephemeralCertificate(
  ca: CertificateAuthority,
  hosts: string[],
  lifetimeMs: number,
): Promise<ServerCertificate> {
  const { dnsNames, ips } = serverTlsNames(hosts);
  const pair = await generateLeafKeyPair('ecdsa-p256');
  const issued = await ca.issueForPublicKey(pair.spkiDer, {
    profile: 'server',
    names: { dns: dnsNames, ip: ips, uri: [] },
    notAfter: new Date(Date.now() + lifetimeMs),
  });
  return {
    key: pair.privateKeyPkcs8Pem,
    cert: issued.chainPem,
    serial: issued.serialHex,
    notAfter: issued.notAfter.getTime(),
    generation: -1,
  };
}
