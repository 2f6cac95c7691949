import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import type { ValidationRequest } from './contracts';
import { DEFAULT_VALIDATOR_OPTIONS, createChallengeValidator } from './challenge-validator';
import * as lib from './index';
import { keyAuthorizationDigest, keyAuthorizationSha256 } from './key-authorization';
import { ACME_IDENTIFIER_OID, buildTlsAlpnChallengeCertificate } from './tls-alpn-cert';
import { x509 } from './x509';

const base: ValidationRequest = {
  type: 'http-01',
  identifier: { type: 'dns', value: 'svc-a.example.test' },
  token: 'tok',
  keyAuthorization: 'tok.thumb',
};

describe('createChallengeValidator', () => {
  it('ok/defaults', () => {
    expect(DEFAULT_VALIDATOR_OPTIONS).toEqual({ http01Port: 80, tlsAlpn01Port: 443, timeoutMs: 10_000 });
    expect(() => createChallengeValidator()).not.toThrow();
    expect(() => createChallengeValidator({ dnsResolver: undefined, http01Port: undefined })).not.toThrow();
  });

  it.each([
    ['fail/options-dns-resolver-hostname', { dnsResolver: 'dns.example.test:53' }],
    ['fail/options-port-zero', { http01Port: 0 }],
    ['fail/options-port-too-big', { tlsAlpn01Port: 65536 }],
    ['fail/options-timeout', { timeoutMs: 0 }],
  ])('%s', (_name, options) => {
    expect(() => createChallengeValidator(options)).toThrow(TypeError);
  });

  const validator = createChallengeValidator({ dnsResolver: '127.0.0.1:9', timeoutMs: 500 });
  it.each<[string, unknown, string]>([
    ['fail/unsupported-challenge-type', { ...base, type: 'tls-sni-01' }, 'unsupported challenge type "tls-sni-01"'],
    ['fail/token-not-base64url', { ...base, token: '../etc', keyAuthorization: '../etc.x' }, 'not base64url'],
    ['fail/key-authorization-other-token', { ...base, keyAuthorization: 'other.thumb' }, 'token "." thumbprint'],
    ['fail/missing-identifier', { ...base, identifier: undefined }, 'the identifier is missing'],
    [
      'fail/unsupported-identifier-type',
      { ...base, identifier: { type: 'email', value: 'a@b' } },
      'unsupported identifier type',
    ],
    ['fail/ip-identifier-not-ip', { ...base, identifier: { type: 'ip', value: 'svc-a' } }, 'is not an IP address'],
    ['fail/null-request', null, 'the identifier is missing'],
  ])('%s', async (_name, request, detail) => {
    const result = await validator.validate(request as ValidationRequest);
    expect(result).toMatchObject({ ok: false, problem: { type: 'malformed' }, records: [] });
    if (!result.ok) expect(result.problem.detail).toContain(detail);
  });

  it('fail/unexpected-error-never-throws-or-leaks-stack', async () => {
    const hostile = {
      ...base,
      get type(): never {
        throw new Error('boom\n    at secret (/srv/rotor/internal.ts:1:1)');
      },
    } as ValidationRequest;
    const result = await validator.validate(hostile);
    expect(result).toEqual({
      ok: false,
      problem: { type: 'connection', detail: 'Validation failed unexpectedly: boom' },
      records: [],
    });
  });
});

describe('keyAuthorizationDigest (RFC 8555 §8.4)', () => {
  it('ok/known-vector', () => {
    // SHA-256("abc") is the FIPS 180-2 test vector ba7816bf...15ad.
    expect(keyAuthorizationSha256('abc').toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(keyAuthorizationDigest('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });
});

describe('buildTlsAlpnChallengeCertificate (RFC 8737 §3)', () => {
  it.each([
    ['ok/cert-dns', { type: 'dns', value: 'svc-a.example.test' }, 'DNS:svc-a.example.test'],
    ['ok/cert-ipv4', { type: 'ip', value: '192.0.2.1' }, 'IP Address:192.0.2.1'],
    ['ok/cert-ipv6', { type: 'ip', value: '2001:db8::1' }, 'IP Address:2001:DB8:0:0:0:0:0:1'],
  ] as const)('%s', async (_name, identifier, san) => {
    const { certPem, keyPem } = await buildTlsAlpnChallengeCertificate(identifier, 'tok.thumb');
    const cert = new X509Certificate(certPem);
    expect(cert.subjectAltName).toBe(san);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(cert.verify(createPublicKey(certPem))).toBe(true); // self-signed
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const ext = new x509.X509Certificate(certPem).getExtension(ACME_IDENTIFIER_OID);
    expect(ext?.critical).toBe(true);
    expect(Buffer.from(ext!.value).toString('hex')).toBe(`0420${keyAuthorizationSha256('tok.thumb').toString('hex')}`);
  });
});

describe('index', () => {
  it('ok/public-api', () => {
    expect(typeof lib.createChallengeValidator).toBe('function');
    expect(typeof lib.keyAuthorizationDigest).toBe('function');
    expect(typeof lib.buildTlsAlpnChallengeCertificate).toBe('function');
    expect(typeof lib.NameResolver).toBe('function');
    expect(lib.ACME_IDENTIFIER_OID).toBe('1.3.6.1.5.5.7.1.31');
  });
});
