import { join } from 'node:path';
import {
  AcmeContext,
  AcmeLinker,
  AcmePolicy,
  AuthorizationUseCase,
  FinalizeOrderUseCase,
  GetCertificateUseCase,
  GetOrderUseCase,
  JwsVerifier,
  KeyChangeUseCase,
  ListOrdersUseCase,
  NewAccountUseCase,
  NewOrderUseCase,
  RateLimitRepository,
  RenewalInfoUseCase,
  RespondChallengeUseCase,
  RevokeCertificateUseCase,
  UpdateAccountUseCase,
  ValidateChallengeUseCase,
} from '@rotor/acme';
import { RotorConfig, externalBaseUrl } from '@rotor/config';
import type { JobQueue } from '@rotor/jobs';
import { RotorMetrics, type Logger } from '@rotor/observability';
import type { EventPublisher } from '@rotor/lifecycle';
import type { CertificateAuthority } from '@rotor/pki';
import type { ApiTokenRepository } from '@rotor/lifecycle';
import {
  SqlApiTokenRepository,
  SqlRateLimitRepository,
  TypeOrmAccountRepository,
  TypeOrmAuthorizationRepository,
  TypeOrmCaMaterialStore,
  TypeOrmCertificateRepository,
  TypeOrmCrlStore,
  TypeOrmEabKeyRepository,
  TypeOrmNonceRepository,
  TypeOrmOrderRepository,
  openDataSource,
  openSealer,
  storeOptionsFor,
} from '@rotor/store';
import type { DataSource } from 'typeorm';
import { PkiCertificateIssuer } from './certificate-issuer';
import { CrlService } from './crl.service';
import { InMemoryRateLimits } from './in-memory-rate-limits';
import { LeasedRateLimits } from './leased-rate-limits';
import { NoncePool } from './nonce-pool';
import { openCertificateAuthority } from './open-ca';
import { JobValidationScheduler, createValidator } from './validation';
import { createJobQueues } from './job-queue';
import { ManagedServices } from './managed-services';
import { NotificationServices } from '../notifications/notification-services';
import { InventoryRecordingCertificateRepository } from './inventory-recording';
import {
  ImportCertificatesUseCase,
  InventoryQueries,
  InventoryRepository,
  RecordIssuedCertificate,
} from '@rotor/lifecycle';
import { SqlInventoryRepository } from '@rotor/store';

export function acmePolicy(config: RotorConfig): AcmePolicy {
  const lifetimeMs = config.certLifetime;
  return {
    identifiers: { allowedDnsSuffixes: [], maxIdentifiers: 100 },
    orderLifetimeMs: config.orderLifetime,
    authzLifetimeMs: config.authzLifetime,
    maxCertLifetimeMs: config.maxCertLifetime,
    nonceLifetimeMs: 3600e3,
    eabRequired: config.eabRequired,
    termsOfService: config.termsOfService,
    profiles: {
      server: { description: 'TLS server certificate (serverAuth)', usage: 'server', lifetimeMs },
      client: { description: 'TLS client certificate (clientAuth)', usage: 'client', lifetimeMs },
      mtls: { description: 'Mutual TLS: serverAuth and clientAuth', usage: 'mtls', lifetimeMs },
    },
    defaultProfile: 'server',
  };
}

export interface AcmeUseCases {
  newAccount: NewAccountUseCase;
  updateAccount: UpdateAccountUseCase;
  keyChange: KeyChangeUseCase;
  newOrder: NewOrderUseCase;
  getOrder: GetOrderUseCase;
  listOrders: ListOrdersUseCase;
  authorization: AuthorizationUseCase;
  respondChallenge: RespondChallengeUseCase;
  validateChallenge: ValidateChallengeUseCase;
  finalize: FinalizeOrderUseCase;
  getCertificate: GetCertificateUseCase;
  revoke: RevokeCertificateUseCase;
  renewalInfo: RenewalInfoUseCase;
}

/** Everything the server runs on, built once from validated config (the composition root). */
export interface Runtime {
  config: RotorConfig;
  logger: Logger;
  dataSource: DataSource;
  ca: CertificateAuthority;
  crl: CrlService;
  acme: AcmeContext;
  verifier: JwsVerifier;
  rateLimits: RateLimitRepository;
  noncePool: NoncePool;
  useCases: AcmeUseCases;
  /** In-process queue for challenge validation (see job-queue.ts). */
  jobs: JobQueue;
  /** Renewal, notification and CRL work: BullMQ with ROTOR_REDIS_URL, else in-process (the same object as `jobs`). */
  queue: JobQueue;
  /** Managed certificates and the renewal engine. */
  managed: ManagedServices;
  metrics: RotorMetrics;
  /** Lifecycle events (issued, renewed, …): stored and delivered to webhooks. */
  events: EventPublisher;
  /** Alerts, webhooks and the /metrics sources. */
  notifications: NotificationServices;
  rootPemPath: string;
  apiTokens: ApiTokenRepository;
  /** The certificate inventory (every certificate Rotor issued, imported or found by a scan). */
  inventory: InventoryRepository;
  inventoryUseCases: InventoryUseCases;
  close(): Promise<void>;
}

export interface InventoryUseCases {
  queries: InventoryQueries;
  import: ImportCertificatesUseCase;
  /** Managed issuance records its certificates through this (ACME issuance is recorded by the repository decorator). */
  recordIssued: RecordIssuedCertificate;
}

export async function createRuntime(config: RotorConfig, logger: Logger): Promise<Runtime> {
  const dataSource = await openDataSource(storeOptionsFor(config));
  try {
    const linker = new AcmeLinker(externalBaseUrl(config));
    const sealer = openSealer(config);
    const ca = await openCertificateAuthority(config, new TypeOrmCaMaterialStore(dataSource), sealer, linker);
    const inventory = new SqlInventoryRepository(dataSource);
    // Events go through the runtime's publisher (runtime.events, set below).
    const events: EventPublisher = { publish: (event) => runtime.events.publish(event) };
    // Every ACME issuance lands in the inventory too.
    const certificates = new InventoryRecordingCertificateRepository(
      new TypeOrmCertificateRepository(dataSource),
      inventory,
      events,
    );
    const inventoryUseCases: InventoryUseCases = {
      queries: new InventoryQueries(inventory, { warningMs: config.expiryWarning }),
      import: new ImportCertificatesUseCase(inventory),
      recordIssued: new RecordIssuedCertificate(inventory, events),
    };
    const crl = new CrlService(ca, certificates, new TypeOrmCrlStore(dataSource));
    const { queue, jobs } = createJobQueues(config, logger);
    const metrics = new RotorMetrics();
    const notifications = new NotificationServices({ config, logger, dataSource, sealer, queue, metrics });
    const acme: AcmeContext = {
      accounts: new TypeOrmAccountRepository(dataSource),
      orders: new TypeOrmOrderRepository(dataSource),
      authorizations: new TypeOrmAuthorizationRepository(dataSource),
      certificates,
      eabKeys: new TypeOrmEabKeyRepository(dataSource, sealer),
      nonces: new TypeOrmNonceRepository(dataSource),
      issuer: new PkiCertificateIssuer(ca),
      validator: createValidator(config),
      scheduler: { schedule: async () => undefined }, // replaced below once the use case exists
      revocations: crl,
      linker,
      clock: { now: () => Date.now() },
      policy: acmePolicy(config),
    };
    const validateChallenge = new ValidateChallengeUseCase(acme);
    acme.scheduler = JobValidationScheduler.register(jobs, validateChallenge);
    const useCases: AcmeUseCases = {
      newAccount: new NewAccountUseCase(acme),
      updateAccount: new UpdateAccountUseCase(acme),
      keyChange: new KeyChangeUseCase(acme),
      newOrder: new NewOrderUseCase(acme),
      getOrder: new GetOrderUseCase(acme),
      listOrders: new ListOrdersUseCase(acme),
      authorization: new AuthorizationUseCase(acme),
      respondChallenge: new RespondChallengeUseCase(acme),
      validateChallenge,
      finalize: new FinalizeOrderUseCase(acme),
      getCertificate: new GetCertificateUseCase(acme),
      revoke: new RevokeCertificateUseCase(acme),
      renewalInfo: new RenewalInfoUseCase(acme),
    };
    const managed = new ManagedServices({
      config,
      logger,
      dataSource,
      ca,
      sealer,
      inventory,
      queue,
      // Through the runtime, so whichever publisher the runtime ends up with receives the events.
      events: { publish: (event) => runtime.events.publish(event) },
      metrics,
      crl,
    });
    const runtime: Runtime = {
      config,
      logger,
      dataSource,
      ca,
      crl,
      acme,
      verifier: new JwsVerifier(acme),
      // One process (SQLite) needs no shared buckets; replicas on PostgreSQL share them.
      // Shared buckets with replicas (taken in leases, see leased-rate-limits.ts); in-process on a single node.
      rateLimits: config.databaseUrl
        ? new LeasedRateLimits(new SqlRateLimitRepository(dataSource))
        : new InMemoryRateLimits(),
      noncePool: new NoncePool(acme.nonces, acme.policy.nonceLifetimeMs),
      useCases,
      jobs,
      queue,
      managed,
      metrics,
      events: notifications.publisher,
      notifications,
      rootPemPath: join(config.dataDir, 'ca', 'root.pem'),
      apiTokens: new SqlApiTokenRepository(dataSource),
      inventory,
      inventoryUseCases,
      close: async () => {
        await notifications.stop();
        await managed.stop();
        await queue.close();
        if (jobs !== queue) await jobs.close();
        await dataSource.destroy();
      },
    };
    return runtime;
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}
