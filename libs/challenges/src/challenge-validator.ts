import { isIP } from 'node:net';
import type { ChallengeValidator, ValidationRequest, ValidationResult, ValidatorOptions } from './contracts';
import { validateDns01 } from './dns01';
import { validateHttp01 } from './http01';
import { isValidToken } from './key-authorization';
import { ValidationFailure, describeError, failed } from './problem';
import { NameResolver } from './resolver';
import { validateTlsAlpn01 } from './tls-alpn01';

export { keyAuthorizationDigest } from './key-authorization';
export { buildTlsAlpnChallengeCertificate } from './tls-alpn-cert';

export const DEFAULT_VALIDATOR_OPTIONS: Readonly<ValidatorOptions> = Object.freeze({
  http01Port: 80,
  tlsAlpn01Port: 443,
  timeoutMs: 10_000,
});

/** Grace after timeoutMs before the outer guard gives up on a validator that failed to stop itself. */
const GUARD_GRACE_MS = 500;

function checkPort(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new TypeError(`${name} must be a port (1-65535)`);
}

/** Rejects requests the validators must never see; returns a detail or undefined. */
function requestProblem(request: ValidationRequest): string | undefined {
  const identifier = request?.identifier;
  if (!identifier || typeof identifier.value !== 'string' || identifier.value.length === 0) {
    return 'the identifier is missing';
  }
  if (identifier.type !== 'dns' && identifier.type !== 'ip')
    return `unsupported identifier type ${JSON.stringify(identifier.type)}`;
  if (identifier.type === 'ip' && !isIP(identifier.value))
    return `${JSON.stringify(identifier.value)} is not an IP address`;
  if (!isValidToken(request.token)) return 'the challenge token is not base64url (RFC 8555 section 8.1)';
  if (typeof request.keyAuthorization !== 'string' || !request.keyAuthorization.startsWith(`${request.token}.`)) {
    return 'the key authorization must be token "." thumbprint (RFC 8555 section 8.1)';
  }
  return undefined;
}

/**
 * The one entry point other code uses. Options are checked here, at boot (a bad
 * dnsResolver or port throws a TypeError now rather than failing every
 * validation later). validate() itself never throws: any failure, expected or
 * not, becomes { ok: false, problem } with a one-line detail and no stack.
 * Which challenge types an identifier may use (dns-01 only for wildcards,
 * RFC 8555 §7.1.3) is the ACME layer's decision, not this lib's.
 */
export function createChallengeValidator(options: Partial<ValidatorOptions> = {}): ChallengeValidator {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const opts: ValidatorOptions = { ...DEFAULT_VALIDATOR_OPTIONS, ...defined };
  checkPort('http01Port', opts.http01Port);
  checkPort('tlsAlpn01Port', opts.tlsAlpn01Port);
  if (!(opts.timeoutMs > 0)) throw new TypeError('timeoutMs must be a positive number of milliseconds');
  const resolver = new NameResolver({ dnsResolver: opts.dnsResolver, timeoutMs: opts.timeoutMs });

  async function dispatch(request: ValidationRequest): Promise<ValidationResult> {
    const deadline = Date.now() + opts.timeoutMs;
    switch (request.type) {
      case 'http-01':
        return validateHttp01(request, {
          resolver,
          http01Port: opts.http01Port,
          tlsAlpn01Port: opts.tlsAlpn01Port,
          deadline,
        });
      case 'dns-01':
        return validateDns01(request, { resolver });
      case 'tls-alpn-01':
        return validateTlsAlpn01(request, { resolver, tlsAlpn01Port: opts.tlsAlpn01Port, deadline });
      default:
        return failed(
          [],
          'malformed',
          `unsupported challenge type ${JSON.stringify((request as { type: unknown }).type)}`,
        );
    }
  }

  return {
    async validate(request: ValidationRequest): Promise<ValidationResult> {
      let timer: NodeJS.Timeout | undefined;
      try {
        const problem = requestProblem(request);
        if (problem) return failed([], 'malformed', `Invalid validation request: ${problem}`);
        const guard = new Promise<ValidationResult>((resolve) => {
          timer = setTimeout(
            () => resolve(failed([], 'connection', `Validation timed out after ${opts.timeoutMs} ms`)),
            opts.timeoutMs + GUARD_GRACE_MS,
          );
        });
        return await Promise.race([dispatch(request), guard]);
      } catch (err) {
        if (err instanceof ValidationFailure) return failed([], err.type, err.detail);
        return failed([], 'connection', `Validation failed unexpectedly: ${describeError(err)}`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
