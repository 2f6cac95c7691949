import type { ChallengeValidator, ValidationProblemType, ValidationRequest } from './contracts';
import { createChallengeValidator } from './challenge-validator';
import { keyAuthorizationDigest } from './key-authorization';
import { startChallTestSrv, type ChallTestSrv } from '@rotor/testing';
import { silentUdpServer } from '@rotor/testing';

const TOKEN = 'dns-token_1';
const KEY_AUTH = `${TOKEN}.thumbprint-xyz`;

describe('dns-01 (RFC 8555 §8.4) against pebble-challtestsrv', () => {
  let dns: ChallTestSrv;
  let validator: ChallengeValidator;

  beforeAll(async () => {
    dns = await startChallTestSrv();
    const digest = keyAuthorizationDigest(KEY_AUTH);
    await dns.setTxt('_acme-challenge.svc-a.example.test', digest);
    await dns.setTxt('_acme-challenge.multi.example.test', 'some-other-value');
    await dns.setTxt('_acme-challenge.multi.example.test', digest);
    await dns.setTxt('_acme-challenge.wild.example.test', digest);
    await dns.setTxt('_acme-challenge.wrong.example.test', 'stale-digest-from-last-week');
    await dns.setTxt('_acme-challenge.wrong.example.test', 'another-stale-one');
    await dns.setServfail('_acme-challenge.broken.example.test');
    validator = createChallengeValidator({ dnsResolver: dns.dnsResolver, timeoutMs: 2000 });
  });
  afterAll(async () => {
    await dns?.stop();
  });

  const request = (value: string, type: 'dns' | 'ip' = 'dns'): ValidationRequest => ({
    type: 'dns-01',
    identifier: { type, value },
    token: TOKEN,
    keyAuthorization: KEY_AUTH,
  });

  it.each([
    ['ok/dns01', 'svc-a.example.test'],
    ['ok/dns01-one-of-several-records', 'multi.example.test'],
    ['ok/dns01-wildcard-base-name', 'wild.example.test'],
    ['ok/dns01-stray-wildcard-prefix-dropped', '*.wild.example.test'],
    ['ok/dns01-case-and-trailing-dot', 'SVC-A.Example.Test.'],
  ])('%s', async (_name, value) => {
    const result = await validator.validate(request(value));
    expect(result).toEqual({ ok: true, records: [{ hostname: expect.stringMatching(/^_acme-challenge\./) }] });
  });

  it.each<[string, string, ValidationProblemType, string]>([
    [
      'fail/dns01-no-record',
      'none.example.test',
      'unauthorized',
      'No TXT record found at _acme-challenge.none.example.test',
    ],
    [
      'fail/dns01-wrong-record',
      'wrong.example.test',
      'unauthorized',
      'Incorrect TXT record "stale-digest-from-last-week" (and 1 more) found at _acme-challenge.wrong.example.test',
    ],
    [
      'fail/dns01-servfail',
      'broken.example.test',
      'dns',
      'DNS problem: SERVFAIL looking up TXT for _acme-challenge.broken.example.test',
    ],
  ])('%s', async (_name, value, type, detail) => {
    const result = await validator.validate(request(value));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problem.type).toBe(type);
    expect(result.problem.detail).toContain(detail);
  });

  it('fail/dns01-ip-identifier', async () => {
    const result = await validator.validate(request('127.0.0.1', 'ip'));
    expect(result).toMatchObject({ ok: false, problem: { type: 'malformed' } });
  });

  it('fail/dns01-resolver-timeout', async () => {
    const silent = await silentUdpServer();
    try {
      const quick = createChallengeValidator({ dnsResolver: silent.address, timeoutMs: 300 });
      const result = await quick.validate(request('svc-a.example.test'));
      expect(result).toMatchObject({
        ok: false,
        problem: {
          type: 'dns',
          detail: 'DNS problem: query timed out looking up TXT for _acme-challenge.svc-a.example.test',
        },
      });
    } finally {
      await silent.close();
    }
  });
});
