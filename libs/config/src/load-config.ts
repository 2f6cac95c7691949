import { configSchema, RotorConfig, RotorConfigInput } from './config.schema';

/** Raised for any invalid setting; the CLI prints it and exits with code 2. */
export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Environment variable for each setting (flags win over the environment). */
export const ENV_NAMES: Record<keyof RotorConfigInput, string> = {
  dataDir: 'ROTOR_DATA_DIR',
  listen: 'ROTOR_LISTEN',
  externalUrl: 'ROTOR_EXTERNAL_URL',
  databaseUrl: 'ROTOR_DATABASE_URL',
  redisUrl: 'ROTOR_REDIS_URL',
  http01Port: 'ROTOR_HTTP01_PORT',
  tlsAlpn01Port: 'ROTOR_TLSALPN01_PORT',
  dnsResolver: 'ROTOR_DNS_RESOLVER',
  validationTimeout: 'ROTOR_VALIDATION_TIMEOUT',
  masterKey: 'ROTOR_MASTER_KEY',
  caKeyAlgorithm: 'ROTOR_CA_KEY_ALGORITHM',
  certLifetime: 'ROTOR_CERT_LIFETIME',
  maxCertLifetime: 'ROTOR_MAX_CERT_LIFETIME',
  orderLifetime: 'ROTOR_ORDER_LIFETIME',
  authzLifetime: 'ROTOR_AUTHZ_LIFETIME',
  termsOfService: 'ROTOR_TERMS_OF_SERVICE',
  eabRequired: 'ROTOR_EAB_REQUIRED',
  rateLimitPerAccount: 'ROTOR_RATE_LIMIT_PER_ACCOUNT',
  rateLimitPerIp: 'ROTOR_RATE_LIMIT_PER_IP',
  rateLimitBurst: 'ROTOR_RATE_LIMIT_BURST',
  expiryWarning: 'ROTOR_EXPIRY_WARNING',
  expiryCritical: 'ROTOR_EXPIRY_CRITICAL',
  alertSweepInterval: 'ROTOR_ALERT_SWEEP_INTERVAL',
  metricsMaxCertificates: 'ROTOR_METRICS_MAX_CERTIFICATES',
  webhookBackoff: 'ROTOR_WEBHOOK_BACKOFF',
  webhookAttempts: 'ROTOR_WEBHOOK_ATTEMPTS',
  renewalSweepInterval: 'ROTOR_RENEWAL_SWEEP_INTERVAL',
  renewalLease: 'ROTOR_RENEWAL_LEASE',
  queuePrefix: 'ROTOR_QUEUE_PREFIX',
  logLevel: 'ROTOR_LOG_LEVEL',
};

const BOOLEAN_KEYS = new Set<keyof RotorConfigInput>(['eabRequired']);

function parseBoolean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  return value; // left for the schema to reject
}

/**
 * The one place that reads the environment. Flags (already parsed by the CLI)
 * take precedence over ROTOR_* variables; defaults come from the schema.
 * Secrets (masterKey) are never echoed in error messages.
 */
export function loadConfig(
  flags: Partial<Record<keyof RotorConfigInput, unknown>> = {},
  env: NodeJS.ProcessEnv = process.env,
): RotorConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, envName] of Object.entries(ENV_NAMES) as [keyof RotorConfigInput, string][]) {
    const value = flags[key] ?? env[envName];
    if (value === undefined || value === '') continue;
    raw[key] = BOOLEAN_KEYS.has(key) ? parseBoolean(value) : value;
  }
  for (const key of Object.keys(flags)) {
    if (!(key in ENV_NAMES)) raw[key] = flags[key as keyof typeof flags];
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const key = issue.path.join('.') as keyof RotorConfigInput;
        const name = ENV_NAMES[key] ? `${key} (${ENV_NAMES[key]})` : key || 'config';
        const message = key === 'masterKey' ? 'invalid value (not shown)' : issue.message;
        return `${name}: ${message}`;
      }),
    );
  }
  return result.data;
}

/** The URL clients reach Rotor at, without a trailing slash. */
export function externalBaseUrl(config: RotorConfig): string {
  if (config.externalUrl) return config.externalUrl.replace(/\/+$/, '');
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  return `https://${host}:${config.listen.port}`;
}
