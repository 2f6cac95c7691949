import { z } from 'zod';

/** "host:port" with an IPv6 host in brackets, e.g. "127.0.0.1:8443", "[::1]:8443", "localhost:8443". */
const hostPort = z.string().transform((value, ctx) => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `expected host:port (IPv6 as [addr]:port), got "${value}"` });
    return z.NEVER;
  }
  return { host: match[1] ?? match[2], port };
});

const port = z.coerce
  .number({ message: 'expected a port number' })
  .int()
  .min(1, 'ports are 1-65535')
  .max(65535, 'ports are 1-65535');

/** Durations as "90s", "15m", "24h", "7d" (or plain milliseconds). */
export const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 90s, 15m, 24h or 7d, got "${value}"` });
    return z.NEVER;
  }
  const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[match[2] ?? 'ms'] as number;
  return Number(match[1]) * unit;
});

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `expected a ${protocols.join(' or ')} URL`,
  );

export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('./data'),
    listen: hostPort.default({ host: '127.0.0.1', port: 8443 }),
    /** Base URL clients use; default https://<listen host>:<port>. */
    externalUrl: url(['https:', 'http:']).optional(),
    databaseUrl: url(['postgres:', 'postgresql:']).optional(),
    redisUrl: url(['redis:', 'rediss:']).optional(),
    http01Port: port.default(80),
    tlsAlpn01Port: port.default(443),
    dnsResolver: hostPort.optional(),
    validationTimeout: duration.default(10_000),
    /** Base64 or hex 32-byte key-encryption key; without it a 0600 key file in the data dir is used. */
    masterKey: z.string().min(1).optional(),
    caKeyAlgorithm: z.enum(['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096']).default('ecdsa-p256'),
    certLifetime: duration.default(24 * 3600e3),
    maxCertLifetime: duration.default(90 * 86400e3),
    orderLifetime: duration.default(24 * 3600e3),
    authzLifetime: duration.default(24 * 3600e3),
    termsOfService: url(['https:', 'http:']).optional(),
    eabRequired: z.boolean().default(false),
    /** Token bucket per account and per client IP: sustained requests/s and burst. */
    rateLimitPerAccount: z.coerce.number().positive().default(50),
    rateLimitPerIp: z.coerce.number().positive().default(100),
    rateLimitBurst: z.coerce.number().int().positive().default(300),
    /** The "expiring" window of the inventory (also capped at a third of a certificate's lifetime). */
    expiryWarning: duration.default(7 * 86400e3),
    /** Remaining life at or below which an alert is critical (also capped at lifetime/6). */
    expiryCritical: duration.default(86400e3),
    /** How often the alert sweep records opened/resolved alerts (and emits certificate.expiring once). */
    alertSweepInterval: duration.default(30e3),
    /** Cap on per-certificate series in /metrics (soonest-expiring kept; the rest counted as dropped). */
    metricsMaxCertificates: z.coerce.number().int().positive().default(10000),
    /** Webhook delivery: first retry delay (doubling, with jitter, capped at 1h) and total attempts. */
    webhookBackoff: duration.default(30e3),
    webhookAttempts: z.coerce.number().int().min(1).max(20).default(10),
    /** How often each replica looks for managed certificates due for renewal (and enqueues them). */
    renewalSweepInterval: duration.default(5e3),
    /** How long a worker holds a managed certificate while renewing it; a crashed worker's claim expires after this. */
    renewalLease: duration.default(120e3),
    /** BullMQ key prefix in Redis: replicas of one deployment share it; deployments (or tests) sharing a Redis must not. */
    queuePrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, dot, dash or underscore (at most 64)')
      .default('rotor'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export type RotorConfigInput = z.input<typeof configSchema>;
export type RotorConfig = z.output<typeof configSchema>;
