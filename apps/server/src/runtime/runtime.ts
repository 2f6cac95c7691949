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
import { InProcessJobRunner } from '@rotor/jobs';
import type { Logger } from '@rotor/observability';
import type { CertificateAuthority } from '@rotor/pki';
import {
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
import { NoncePool } from './nonce-pool';
import { openCertificateAuthority } from './open-ca';
import { JobValidationScheduler, createValidator } from './validation';

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
  jobs: InProcessJobRunner;
  rootPemPath: string;
  close(): Promise<void>;
}

export async function createRuntime(config: RotorConfig, logger: Logger): Promise<Runtime> {
  const dataSource = await openDataSource(storeOptionsFor(config));
  try {
    const linker = new AcmeLinker(externalBaseUrl(config));
    const sealer = openSealer(config);
    const ca = await openCertificateAuthority(config, new TypeOrmCaMaterialStore(dataSource), sealer, linker);
    const certificates = new TypeOrmCertificateRepository(dataSource);
    const crl = new CrlService(ca, certificates, new TypeOrmCrlStore(dataSource));
    const jobs = new InProcessJobRunner(16, logger);
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
    return {
      config,
      logger,
      dataSource,
      ca,
      crl,
      acme,
      verifier: new JwsVerifier(acme),
      // One process (SQLite) needs no shared buckets; replicas on PostgreSQL share them.
      rateLimits: config.databaseUrl ? new SqlRateLimitRepository(dataSource) : new InMemoryRateLimits(),
      noncePool: new NoncePool(acme.nonces, acme.policy.nonceLifetimeMs),
      useCases,
      jobs,
      rootPemPath: join(config.dataDir, 'ca', 'root.pem'),
      close: async () => {
        await jobs.close();
        await dataSource.destroy();
      },
    };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}
