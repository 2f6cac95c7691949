import * as http from 'node:http';
import * as https from 'node:https';
import type { ChallengeValidator, ValidationProblemType, ValidationRequest } from './contracts';
import { createChallengeValidator } from './challenge-validator';
import { buildTlsAlpnChallengeCertificate } from './tls-alpn-cert';
import { startChallTestSrv, type ChallTestSrv } from '@rotor/testing';
import { close, freePort, ipv6Available, listen } from '@rotor/testing';

const PREFIX = '/.well-known/acme-challenge/';
const keyAuth = (token: string): string => `${token}.thumbprint-abc`;

/** token → how the test server answers it; PORT/HTTPS are substituted at request time. */
type Route = (res: http.ServerResponse, ports: { http: number; https: number }) => void;
const answer =
  (status: number, body = '', headers: http.OutgoingHttpHeaders = {}): Route =>
  (res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
const redirect =
  (status: number, to: (p: { http: number; https: number }) => string): Route =>
  (res, ports) => {
    res.writeHead(status, { Location: to(ports) });
    res.end();
  };

const routes: Record<string, Route> = {
  'tok-ok': answer(200, keyAuth('tok-ok')),
  'tok-trailing-ws': answer(200, `${keyAuth('tok-trailing-ws')}\r\n  `),
  'tok-wrong': answer(200, 'not-the-key-authorization\nsecond line'),
  'tok-big': answer(200, 'x'.repeat(70 * 1024)),
  'tok-long-wrong': answer(200, `\u0000${'y'.repeat(5000)}`),
  'tok-500': answer(500, 'oops'),
  'tok-redirect-1': redirect(302, () => `${PREFIX}tok-redirect-2`),
  'tok-redirect-2': redirect(301, (p) => `http://svc-b.example.test:${p.http}${PREFIX}tok-redirect-3`),
  'tok-redirect-3': redirect(307, () => `${PREFIX}tok-redirect-final`),
  'tok-redirect-final': answer(200, keyAuth('tok-redirect-1')),
  'tok-loop': redirect(302, () => `${PREFIX}tok-loop`),
  'tok-bad-port': redirect(302, () => `http://svc-a.example.test:1${PREFIX}tok-ok`),
  'tok-bad-scheme': redirect(302, () => `ftp://svc-a.example.test${PREFIX}tok-ok`),
  'tok-no-location': answer(302),
  'tok-to-https': redirect(302, (p) => `https://svc-a.example.test:${p.https}${PREFIX}tok-to-https`),
  'tok-slow': () => undefined, // never answers
};

describe('http-01 (RFC 8555 §8.3, RFC 8738 §5)', () => {
  let dns: ChallTestSrv;
  const servers: (http.Server | https.Server)[] = [];
  const hostHeaders = new Map<string, string | undefined>();
  const ports = { http: 0, https: 0 };
  let hasIpv6 = false;
  let validator: ChallengeValidator;

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const token = (req.url ?? '').startsWith(PREFIX) ? (req.url ?? '').slice(PREFIX.length) : '';
    hostHeaders.set(token, req.headers.host);
    const route = routes[token];
    if (route) route(res, ports);
    else answer(404, 'not found')(res, ports);
  };

  beforeAll(async () => {
    dns = await startChallTestSrv();
    for (const name of ['svc-a.example.test', 'svc-b.example.test']) await dns.addA(name, ['127.0.0.1']);
    await dns.addAAAA('svc-v6.example.test', ['::1']);
    // 127.0.0.2 refuses (nothing listens there), so validation must fall back to the AAAA address.
    await dns.addA('svc-fallback.example.test', ['127.0.0.2']);
    await dns.addAAAA('svc-fallback.example.test', ['::1']);
    await dns.setServfail('svc-broken.example.test');

    const plain = http.createServer(handler);
    servers.push(plain);
    ports.http = await listen(plain);
    hasIpv6 = await ipv6Available();
    if (hasIpv6) {
      const v6 = http.createServer(handler);
      servers.push(v6);
      await listen(v6, '::1', ports.http).catch(() => (hasIpv6 = false));
    }
    const { certPem, keyPem } = await buildTlsAlpnChallengeCertificate(
      { type: 'dns', value: 'svc-a.example.test' },
      'unused.unused',
    );
    const secure = https.createServer({ cert: certPem, key: keyPem }, (req, res) => {
      if (req.url === `${PREFIX}tok-to-https`) answer(200, keyAuth('tok-to-https'))(res, ports);
      else answer(404)(res, ports);
    });
    servers.push(secure);
    ports.https = await listen(secure);
    validator = createChallengeValidator({
      http01Port: ports.http,
      tlsAlpn01Port: ports.https,
      dnsResolver: dns.dnsResolver,
      timeoutMs: 2000,
    });
  });

  afterAll(async () => {
    try {
      await Promise.all(servers.map((s) => close(s)));
    } finally {
      await dns?.stop();
    }
  });

  const request = (value: string, token: string, type: 'dns' | 'ip' = 'dns'): ValidationRequest => ({
    type: 'http-01',
    identifier: { type, value },
    token,
    keyAuthorization: keyAuth(token),
  });

  it.each([
    ['ok/http01-dns-name', 'svc-a.example.test', 'tok-ok', 'dns'],
    ['ok/http01-ipv4', '127.0.0.1', 'tok-ok', 'ip'],
    ['ok/http01-trailing-whitespace', 'svc-a.example.test', 'tok-trailing-ws', 'dns'],
    ['ok/http01-redirect-chain', 'svc-a.example.test', 'tok-redirect-1', 'dns'],
    ['ok/http01-redirect-to-https', 'svc-a.example.test', 'tok-to-https', 'dns'],
  ] as const)('%s', async (_name, value, token, type) => {
    const result = await validator.validate(request(value, token, type));
    expect(result).toMatchObject({ ok: true });
  });

  it('ok/http01-records-and-host-header', async () => {
    const result = await validator.validate(request('svc-a.example.test', 'tok-redirect-1'));
    expect(result.ok).toBe(true);
    expect(result.records).toHaveLength(4);
    expect(result.records[0]).toEqual({
      url: `http://svc-a.example.test:${ports.http}${PREFIX}tok-redirect-1`,
      hostname: 'svc-a.example.test',
      port: ports.http,
      addressesResolved: ['127.0.0.1'],
      addressUsed: '127.0.0.1',
    });
    expect(result.records[2].hostname).toBe('svc-b.example.test');
    expect(hostHeaders.get('tok-redirect-1')).toBe('svc-a.example.test');
    expect(hostHeaders.get('tok-redirect-3')).toBe(`svc-b.example.test:${ports.http}`);
  });

  it('ok/http01-ip-host-header', async () => {
    await validator.validate(request('127.0.0.1', 'tok-ok', 'ip'));
    expect(hostHeaders.get('tok-ok')).toBe('127.0.0.1');
  });

  it.each([
    ['ok/http01-ipv6', '::1', 'ip', '[::1]'],
    ['ok/http01-aaaa-only', 'svc-v6.example.test', 'dns', 'svc-v6.example.test'],
    ['ok/http01-fallback-to-aaaa', 'svc-fallback.example.test', 'dns', 'svc-fallback.example.test'],
  ] as const)('%s', async (_name, value, type, host) => {
    if (!hasIpv6) return; // ::1 not available on this machine
    const result = await validator.validate(request(value, 'tok-ok', type));
    expect(result).toMatchObject({ ok: true });
    expect(hostHeaders.get('tok-ok')).toBe(host);
    expect(result.records[0].addressUsed).toBe('::1');
  });

  it.each<[string, string, ValidationProblemType, string]>([
    ['fail/http01-not-found', 'tok-missing', 'unauthorized', `${PREFIX}tok-missing: HTTP 404`],
    ['fail/http01-server-error', 'tok-500', 'unauthorized', 'HTTP 500'],
    [
      'fail/http01-wrong-body',
      'tok-wrong',
      'incorrectResponse',
      'The key authorization file from the server did not match this challenge. ' +
        'Expected "tok-wrong.thumbprint-abc" (got "not-the-key-authorization\\nsecond line")',
    ],
    ['fail/http01-oversized-body', 'tok-big', 'unauthorized', 'larger than 65536 bytes'],
    ['fail/http01-redirect-loop', 'tok-loop', 'connection', 'Too many redirects (more than 10)'],
    ['fail/http01-redirect-bad-port', 'tok-bad-port', 'connection', 'Invalid port in redirect target'],
    ['fail/http01-redirect-bad-scheme', 'tok-bad-scheme', 'connection', 'Invalid protocol scheme'],
    ['fail/http01-redirect-no-location', 'tok-no-location', 'connection', 'has no Location header'],
  ])('%s', async (_name, token, type, detail) => {
    const result = await validator.validate(request('svc-a.example.test', token));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problem.type).toBe(type);
    expect(result.problem.detail).toContain(detail);
  });

  it('fail/http01-wrong-body-detail-truncated', async () => {
    const result = await validator.validate(request('svc-a.example.test', 'tok-long-wrong'));
    expect(result).toMatchObject({ ok: false, problem: { type: 'incorrectResponse' } });
    if (result.ok) return;
    expect(result.problem.detail).toContain('(got "\\u0000yyyy');
    expect(result.problem.detail).toMatch(/y"\.\.\.\)$/);
    expect(result.problem.detail.length).toBeLessThan(400);
  });

  it('fail/http01-dns-servfail', async () => {
    const result = await validator.validate(request('svc-broken.example.test', 'tok-ok'));
    expect(result).toMatchObject({ ok: false, problem: { type: 'dns' } });
    if (!result.ok) expect(result.problem.detail).toContain('SERVFAIL looking up A for svc-broken.example.test');
  });

  it('fail/http01-no-address', async () => {
    const result = await validator.validate(request('svc-none.example.test', 'tok-ok'));
    expect(result).toMatchObject({ ok: false, problem: { type: 'dns' } });
  });

  it('fail/http01-connection-refused', async () => {
    const port = await freePort('tcp');
    const refused = createChallengeValidator({ http01Port: port, dnsResolver: dns.dnsResolver, timeoutMs: 2000 });
    const result = await refused.validate(request('svc-a.example.test', 'tok-ok'));
    expect(result).toMatchObject({ ok: false, problem: { type: 'connection' } });
    if (!result.ok) expect(result.problem.detail).toContain(`Connection refused connecting to 127.0.0.1:${port}`);
    expect(result.records[0].addressUsed).toBe('127.0.0.1');
  });

  it('fail/http01-slow-server-timeout', async () => {
    const quick = createChallengeValidator({ http01Port: ports.http, dnsResolver: dns.dnsResolver, timeoutMs: 300 });
    const started = Date.now();
    const result = await quick.validate(request('svc-a.example.test', 'tok-slow'));
    expect(result).toMatchObject({ ok: false, problem: { type: 'connection' } });
    if (!result.ok) expect(result.problem.detail).toContain('Timeout after connect');
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
