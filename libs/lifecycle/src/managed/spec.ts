import { z } from 'zod';
import { formatDurationText, parseDurationText } from '../duration';
import { FieldError, ManagedError } from './errors';
import {
  MANAGED_KEY_TYPES,
  MANAGED_PROFILES,
  ManagedDeclaration,
  ManagedKeyType,
  ManagedProfile,
  ManagedSpec,
} from './model';
import { canonicalIp } from '../inventory/names';
import { dnsNameProblem, ipProblem, uriProblem } from './names';

/** Limits that come from configuration. */
export interface ManagedPolicy {
  /** config maxCertLifetime. */
  maxLifetimeMs: number;
  /** Lifetime when a declaration names none (config certLifetime). */
  defaultLifetimeMs: number;
  /** Default false: a managed wildcard is rarely what anyone means. */
  allowWildcards?: boolean;
}

export const MIN_LIFETIME_MS = 60_000;
export const MAX_SANS = 100;
export const DEFAULT_RENEW_AT = 2 / 3;
export const DEFAULT_JITTER = 0.05;

const NAME = /^[a-z0-9]([a-z0-9._-]{0,251}[a-z0-9])?$/;
const SUBSCRIBER = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,252}$/;

/**
 * A managed certificate declaration as the API, the CLI and manifests accept
 * it. Unknown fields are refused (a misspelt `dnsName` must not silently
 * produce a certificate without names). Shape errors here are "malformed";
 * the value checks in `declaration()` are "rejected" (out of policy).
 */
export const managedInputSchema = z
  .object({
    name: z.string().max(253),
    dnsNames: z.array(z.string().max(1024)).max(1000).default([]),
    ips: z.array(z.string().max(1024)).max(1000).default([]),
    uris: z.array(z.string().max(4096)).max(1000).default([]),
    profile: z.enum(MANAGED_PROFILES as [ManagedProfile, ...ManagedProfile[]]).default('server'),
    keyType: z.enum(MANAGED_KEY_TYPES as [ManagedKeyType, ...ManagedKeyType[]]).default('ecdsa-p256'),
    lifetime: z
      .union([z.string().max(32), z.number().int().nonnegative()])
      .optional()
      .describe('duration like 90s, 15m, 24h, 7d (minimum 60s, maximum the configured maxCertLifetime)'),
    renewAt: z.number().default(DEFAULT_RENEW_AT).describe('fraction of the lifetime at which renewal is due'),
    jitter: z.number().default(DEFAULT_JITTER).describe('± fraction of the lifetime added to the renewal point'),
    reuseKey: z.boolean().default(false),
    subscribers: z.array(z.string().max(253)).max(100).default([]),
  })
  .strict();

export type ManagedInput = z.input<typeof managedInputSchema>;

/** Validates one declaration; throws ManagedError (malformed or rejected) listing every field at fault. */
export function parseManagedDeclaration(input: unknown, policy: ManagedPolicy, pathPrefix = ''): ManagedDeclaration {
  const errors = validateManagedDeclaration(input, policy, pathPrefix);
  if (errors.ok) return errors.declaration;
  throw new ManagedError(errors.code, 'invalid managed certificate', errors.errors);
}

export type ValidationResult =
  { ok: true; declaration: ManagedDeclaration } | { ok: false; code: 'malformed' | 'rejected'; errors: FieldError[] };

/** Like parseManagedDeclaration, but returns the problems (manifests collect them over every document). */
export function validateManagedDeclaration(input: unknown, policy: ManagedPolicy, pathPrefix = ''): ValidationResult {
  const at = (path: PropertyKey[] | string) => joinPath(pathPrefix, typeof path === 'string' ? path : formatPath(path));
  const parsed = managedInputSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'malformed',
      errors: parsed.error.issues.map((issue) => ({ path: at(issue.path), message: issueMessage(issue) })),
    };
  }
  const raw = parsed.data;
  const errors: FieldError[] = [];
  const problem = (path: string, message: string | undefined) => {
    if (message) errors.push({ path: at(path), message });
  };
  let malformed = false;

  if (!NAME.test(raw.name)) {
    problem(
      'name',
      'must be 1-253 lower-case letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit',
    );
  }
  const dnsNames = unique(raw.dnsNames.map((n) => n.trim().toLowerCase()));
  dnsNames.forEach((n, i) => problem(`dnsNames[${i}]`, dnsNameProblem(n, policy.allowWildcards ?? false)));
  raw.ips.forEach((ip, i) => problem(`ips[${i}]`, ipProblem(ip.trim())));
  const ips = unique(raw.ips.map((ip) => canonicalIp(ip.trim()) ?? ip));
  const uris = unique(raw.uris.map((u) => u.trim()));
  uris.forEach((u, i) => problem(`uris[${i}]`, uriProblem(u)));
  const sanCount = dnsNames.length + ips.length + uris.length;
  if (sanCount === 0) problem('dnsNames', 'a managed certificate needs at least one name (dnsNames, ips or uris)');
  if (sanCount > MAX_SANS) problem('dnsNames', `${sanCount} names; at most ${MAX_SANS} are allowed in one certificate`);

  let lifetimeMs = policy.defaultLifetimeMs;
  if (raw.lifetime !== undefined) {
    const parsedLifetime = typeof raw.lifetime === 'number' ? raw.lifetime : parseDurationText(raw.lifetime);
    if (parsedLifetime === undefined) {
      malformed = true;
      problem('lifetime', `"${raw.lifetime}" is not a duration; write e.g. 90s, 15m, 24h or 7d`);
    } else {
      lifetimeMs = parsedLifetime;
    }
  }
  if (lifetimeMs < MIN_LIFETIME_MS) problem('lifetime', `must be at least ${formatDurationText(MIN_LIFETIME_MS)}`);
  if (lifetimeMs > policy.maxLifetimeMs) {
    problem('lifetime', `must be at most ${formatDurationText(policy.maxLifetimeMs)} (maxCertLifetime)`);
  }
  if (!(raw.renewAt >= 0.05 && raw.renewAt <= 0.95)) problem('renewAt', 'must be a fraction from 0.05 to 0.95');
  if (!(raw.jitter >= 0 && raw.jitter <= 0.25)) problem('jitter', 'must be a fraction from 0 to 0.25');
  else if (raw.renewAt + raw.jitter > 0.98 || raw.renewAt - raw.jitter < 0.02) {
    problem('jitter', 'renewAt ± jitter must stay within 0.02-0.98 of the lifetime');
  }
  const subscribers = unique(raw.subscribers.map((s) => s.trim()));
  subscribers.forEach((s, i) =>
    problem(`subscribers[${i}]`, SUBSCRIBER.test(s) ? undefined : `"${s}" is not a valid subscriber id`),
  );

  if (errors.length) return { ok: false, code: malformed ? 'malformed' : 'rejected', errors };
  const spec: ManagedSpec = {
    dnsNames,
    ips,
    uris,
    profile: raw.profile,
    keyType: raw.keyType,
    lifetime: formatDurationText(lifetimeMs),
    lifetimeMs,
    renewAt: raw.renewAt,
    jitter: raw.jitter,
    reuseKey: raw.reuseKey,
  };
  return { ok: true, declaration: { name: raw.name, spec, subscribers } };
}

/** The stored form of a spec (its canonical JSON; equal specs give equal text). */
export function specText(spec: ManagedSpec): string {
  const { dnsNames, ips, uris, profile, keyType, lifetime, lifetimeMs, renewAt, jitter, reuseKey } = spec;
  return JSON.stringify({ dnsNames, ips, uris, profile, keyType, lifetime, lifetimeMs, renewAt, jitter, reuseKey });
}

export function sameDeclaration(a: ManagedDeclaration, b: ManagedDeclaration): boolean {
  return specText(a.spec) === specText(b.spec) && JSON.stringify(a.subscribers) === JSON.stringify(b.subscribers);
}

/** The declaration in the flat input form (for `show` round-trips and manifests). */
export function declarationInput(d: ManagedDeclaration): ManagedInput {
  const { lifetimeMs: _ms, ...spec } = d.spec;
  return { name: d.name, ...spec, subscribers: d.subscribers };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function joinPath(prefix: string, path: string): string {
  if (!prefix) return path;
  if (!path) return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

function formatPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'required';
  return issue.message;
}
