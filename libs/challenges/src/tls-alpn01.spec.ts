import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ChallengeIdentifier, ChallengeValidator, ValidationRequest } from './contracts';
import { createChallengeValidator } from './challenge-validator';
import { keyAuthorizationSha256 } from './key-authorization';
import { checkCertificate } from './tls-alpn01';
import {
  buildTlsAlpnChallengeCertificate,
  createAcmeIdentifierCertificate,
  encodeAcmeIdentifierValue,
  type ChallengeCertificate,
} from './tls-alpn-cert';
import { startChallTestSrv, type ChallTestSrv } from '@rotor/testing';
import { close, freePort, ipv6Available, listen } from '@rotor/testing';

const TOKEN = 'alpn-token';
const KEY_AUTH = `${TOKEN}.thumbprint-tls`;
const DIGEST = keyAuthorizationSha256(KEY_AUTH);
const dnsId = (value: string): ChallengeIdentifier => ({ type: 'dns', value });
const ipId = (value: string): ChallengeIdentifier => ({ type: 'ip', value });
const good = { critical: true, value: encodeAcmeIdentifierValue(DIGEST) };

/** SNI name → the certificate the test server presents for it. */
const CERTS: Record<string, () => Promise<ChallengeCertificate>> = {
  'svc-a.example.test': () => buildTlsAlpnChallengeCertificate(dnsId('svc-a.example.test'), KEY_AUTH),
  '1.0.0.127.in-addr.arpa': () => buildTlsAlpnChallengeCertificate(ipId('127.0.0.1'), KEY_AUTH),
  [`1.${'0.'.repeat(31)}ip6.arpa`]: () => buildTlsAlpnChallengeCertificate(ipId('::1'), KEY_AUTH),
  'missing-ext.example.test': () =>
    createAcmeIdentifierCertificate({ subjectAltNames: [dnsId('missing-ext.example.test')], acmeIdentifier: null }),
  'noncritical.example.test': () =>
    createAcmeIdentifierCertificate({
      subjectAltNames: [dnsId('noncritical.example.test')],
      acmeIdentifier: { ...good, critical: false },
    }),
  'wrong-digest.example.test': () => buildTlsAlpnChallengeCertificate(dnsId('wrong-digest.example.test'), 'x.y'),
  'raw-digest.example.test': () =>
    createAcmeIdentifierCertificate({
      subjectAltNames: [dnsId('raw-digest.example.test')],
      acmeIdentifier: { critical: true, value: DIGEST },
    }),
  'extra-san.example.test': () =>
    createAcmeIdentifierCertificate({
      subjectAltNames: [dnsId('extra-san.example.test'), dnsId('other.example.test')],
      acmeIdentifier: good,
    }),
  'wrong-san.example.test': () =>
    createAcmeIdentifierCertificate({ subjectAltNames: [dnsId('other.example.test')], acmeIdentifier: good }),
};

describe('tls-alpn-01 (RFC 8737, RFC 8738 §6)', () => {
  let dns: ChallTestSrv;
  const servers: net.Server[] = [];
  const sniSeen: string[] = [];
  const ports = { alpn: 0, noAlpn: 0, h2Only: 0, silent: 0, notTls: 0 };
  let hasIpv6 = false;

  const validatorFor = (port: number, timeoutMs = 2000): ChallengeValidator =>
    createChallengeValidator({ tlsAlpn01Port: port, dnsResolver: dns.dnsResolver, timeoutMs });
  const request = (identifier: ChallengeIdentifier): ValidationRequest => ({
    type: 'tls-alpn-01',
    identifier,
    token: TOKEN,
    keyAuthorization: KEY_AUTH,
  });

  beforeAll(async () => {
    dns = await startChallTestSrv();
    for (const name of Object.keys(CERTS).filter((n) => n.endsWith('.example.test'))) {
      await dns.addA(name, ['127.0.0.1']);
    }
    const contexts = new Map<string, tls.SecureContext>();
    for (const [name, build] of Object.entries(CERTS)) {
      const { certPem, keyPem } = await build();
      contexts.set(name, tls.createSecureContext({ cert: certPem, key: keyPem }));
    }
    const fallback = await buildTlsAlpnChallengeCertificate(dnsId('default.example.test'), KEY_AUTH);
    const tlsOptions = (alpn?: string[]): tls.TlsOptions => ({
      cert: fallback.certPem,
      key: fallback.keyPem,
      ALPNProtocols: alpn,
      SNICallback: (name, cb) => {
        sniSeen.push(name);
        cb(null, contexts.get(name.toLowerCase()));
      },
    });
    const alpnServer = tls.createServer(tlsOptions(['acme-tls/1']), (s) => s.end());
    const noAlpnServer = tls.createServer(tlsOptions(), (s) => s.end());
    const h2Server = tls.createServer(tlsOptions(['h2']), (s) => s.end());
    const silentServer = net.createServer(() => undefined); // accepts, never speaks TLS
    const notTlsServer = net.createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    servers.push(alpnServer, noAlpnServer, h2Server, silentServer, notTlsServer);
    ports.alpn = await listen(alpnServer);
    ports.noAlpn = await listen(noAlpnServer);
    ports.h2Only = await listen(h2Server);
    ports.silent = await listen(silentServer);
    ports.notTls = await listen(notTlsServer);
    hasIpv6 = await ipv6Available();
    if (hasIpv6) {
      const v6 = tls.createServer(tlsOptions(['acme-tls/1']), (s) => s.end());
      servers.push(v6);
      await listen(v6, '::1', ports.alpn).catch(() => (hasIpv6 = false));
    }
  });

  afterAll(async () => {
    try {
      await Promise.all(servers.map((s) => close(s)));
    } finally {
      await dns?.stop();
    }
  });

  it.each([
    ['ok/tls-alpn01-dns-name', dnsId('svc-a.example.test'), 'svc-a.example.test'],
    ['ok/tls-alpn01-ipv4', ipId('127.0.0.1'), '1.0.0.127.in-addr.arpa'],
    ['ok/tls-alpn01-ipv6', ipId('::1'), `1.${'0.'.repeat(31)}ip6.arpa`],
  ])('%s', async (name, identifier, sni) => {
    if (identifier.value === '::1' && !hasIpv6) return; // ::1 not available on this machine
    sniSeen.length = 0;
    const result = await validatorFor(ports.alpn).validate(request(identifier));
    expect(result).toEqual({
      ok: true,
      records: [
        {
          hostname: identifier.value,
          port: ports.alpn,
          addressesResolved: [identifier.type === 'ip' ? identifier.value : '127.0.0.1'],
          addressUsed: identifier.type === 'ip' ? identifier.value : '127.0.0.1',
        },
      ],
    });
    expect(sniSeen).toEqual([sni]);
  });

  it.each([
    [
      'fail/tls-alpn01-missing-extension',
      dnsId('missing-ext.example.test'),
      'acmeIdentifier extension (1.3.6.1.5.5.7.1.31) is missing',
    ],
    [
      'fail/tls-alpn01-non-critical-extension',
      dnsId('noncritical.example.test'),
      'acmeIdentifier extension is not marked critical',
    ],
    ['fail/tls-alpn01-wrong-digest', dnsId('wrong-digest.example.test'), `(expected ${DIGEST.toString('hex')}, got `],
    [
      'fail/tls-alpn01-digest-not-octet-string',
      dnsId('raw-digest.example.test'),
      'not a DER OCTET STRING of 32 bytes (got 32 bytes)',
    ],
    [
      'fail/tls-alpn01-extra-san',
      dnsId('extra-san.example.test'),
      'contains dns:extra-san.example.test, dns:other.example.test',
    ],
    [
      'fail/tls-alpn01-wrong-san',
      dnsId('wrong-san.example.test'),
      'exactly one subjectAltName (dNSName wrong-san.example.test) but contains dns:other.example.test',
    ],
  ])('%s', async (_name, identifier, detail) => {
    const result = await validatorFor(ports.alpn).validate(request(identifier));
    expect(result).toMatchObject({ ok: false, problem: { type: 'unauthorized' } });
    if (!result.ok) expect(result.problem.detail).toContain(detail);
  });

  it.each([
    ['fail/tls-alpn01-no-alpn', () => ports.noAlpn, 'tls', 'Cannot negotiate ALPN protocol "acme-tls/1"'],
    [
      'fail/tls-alpn01-alpn-mismatch',
      () => ports.h2Only,
      'tls',
      '"acme-tls/1" for tls-alpn-01 challenge with 127.0.0.1:',
    ],
    ['fail/tls-alpn01-not-tls', () => ports.notTls, 'tls', 'TLS handshake with 127.0.0.1:'],
    ['fail/tls-alpn01-handshake-timeout', () => ports.silent, 'connection', 'Timeout during TLS handshake'],
  ])('%s', async (_name, port, type, detail) => {
    const result = await validatorFor(port(), 300).validate(request(dnsId('svc-a.example.test')));
    expect(result).toMatchObject({ ok: false, problem: { type } });
    if (result.ok) return;
    expect(result.problem.detail).toContain(detail);
    expect(result.problem.detail).not.toMatch(/deps\/openssl|\n/); // OpenSSL's error-queue dump is trimmed
  });

  it('fail/tls-alpn01-connection-refused', async () => {
    const port = await freePort('tcp');
    const result = await validatorFor(port).validate(request(dnsId('svc-a.example.test')));
    expect(result).toMatchObject({ ok: false, problem: { type: 'connection' } });
    if (!result.ok) expect(result.problem.detail).toContain(`Connection refused connecting to 127.0.0.1:${port}`);
  });

  it.each([
    [
      'fail/tls-alpn01-ip-with-dnsname-san',
      ipId('127.0.0.1'),
      [dnsId('127.0.0.1')],
      '(iPAddress 127.0.0.1) but contains dns:127.0.0.1',
    ],
    ['fail/tls-alpn01-ip-san-other-address', ipId('::1'), [ipId('::2')], '(iPAddress ::1) but contains ip:'],
    ['fail/tls-alpn01-dns-with-ip-san', dnsId('svc-a.example.test'), [ipId('127.0.0.1')], 'but contains ip:127.0.0.1'],
  ])('%s', async (_name, identifier, sans, detail) => {
    const { certPem } = await createAcmeIdentifierCertificate({ subjectAltNames: sans, acmeIdentifier: good });
    const der = Buffer.from(certPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    expect(() => checkCertificate(der, identifier, KEY_AUTH, '127.0.0.1:443')).toThrow(
      expect.objectContaining({ type: 'unauthorized', detail: expect.stringContaining(detail) }),
    );
  });

  it('ok/tls-alpn01-ipv6-san-any-text-form', async () => {
    const { certPem } = await buildTlsAlpnChallengeCertificate(ipId('2001:db8::1'), KEY_AUTH);
    const der = Buffer.from(certPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    expect(() => checkCertificate(der, ipId('2001:0db8:0:0::0001'), KEY_AUTH, 'x')).not.toThrow();
  });

  it('fail/tls-alpn01-no-address', async () => {
    const result = await validatorFor(ports.alpn).validate(request(dnsId('nowhere.example.test')));
    expect(result).toMatchObject({ ok: false, problem: { type: 'dns' } });
  });
});
