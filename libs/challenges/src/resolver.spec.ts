import { reverseDnsName, ipToBytes } from './ip';
import { DnsLookupError, NameResolver, parseResolverAddress } from './resolver';
import { startChallTestSrv, type ChallTestSrv } from '@rotor/testing';
import { silentUdpServer } from '@rotor/testing';

describe('parseResolverAddress', () => {
  it.each([
    ['ok/ipv4-with-port', '127.0.0.1:8053', '127.0.0.1:8053'],
    ['ok/ipv4-default-port', '10.0.0.1', '10.0.0.1:53'],
    ['ok/ipv6-bracketed', '[::1]:53', '[::1]:53'],
    ['ok/ipv6-bracketed-no-port', '[2001:db8::1]', '[2001:db8::1]:53'],
    ['ok/ipv6-bare', '::1', '[::1]:53'],
  ])('%s', (_name, input, expected) => {
    expect(parseResolverAddress(input)).toBe(expected);
  });

  it.each([
    ['fail/hostname', 'dns.example.test:53'],
    ['fail/port-range', '127.0.0.1:70000'],
    ['fail/port-not-number', '127.0.0.1:dns'],
    ['fail/extra-colon', '127.0.0.1:53:1'],
    ['fail/empty', ''],
  ])('%s', (_name, input) => {
    expect(() => parseResolverAddress(input)).toThrow(TypeError);
  });
});

describe('reverseDnsName (RFC 8738 §6)', () => {
  it.each([
    ['ok/ipv4', '1.2.3.4', '4.3.2.1.in-addr.arpa'],
    ['ok/ipv4-loopback', '127.0.0.1', '1.0.0.127.in-addr.arpa'],
    ['ok/ipv6-loopback', '::1', `1.${'0.'.repeat(31)}ip6.arpa`],
    [
      'ok/ipv6-rfc3596-example',
      '4321:0:1:2:3:4:567:89ab',
      'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa',
    ],
  ])('%s', (_name, ip, expected) => {
    expect(reverseDnsName(ip)).toBe(expected);
  });

  it('ok/ipv6-embedded-ipv4-bytes', () => {
    expect(ipToBytes('::ffff:1.2.3.4')?.toString('hex')).toBe('00000000000000000000ffff01020304');
    expect(ipToBytes('not-an-ip')).toBeUndefined();
  });
});

describe('NameResolver against pebble-challtestsrv', () => {
  let dns: ChallTestSrv;
  let resolver: NameResolver;

  beforeAll(async () => {
    dns = await startChallTestSrv();
    resolver = new NameResolver({ dnsResolver: dns.dnsResolver, timeoutMs: 2000 });
    await dns.addA('both.example.test', ['127.0.0.1']);
    await dns.addAAAA('both.example.test', ['::1']);
    await dns.addAAAA('v6only.example.test', ['::1']);
    await dns.setServfail('broken.example.test');
    await dns.setTxt('_acme-challenge.txt.example.test', 'value-1');
  });
  afterAll(async () => {
    await dns?.stop();
  });

  it.each([
    ['ok/a-and-aaaa-ipv4-first', 'both.example.test', ['127.0.0.1', '::1']],
    ['ok/aaaa-only', 'v6only.example.test', ['::1']],
    ['ok/ipv4-literal-no-lookup', '192.0.2.7', ['192.0.2.7']],
    ['ok/ipv6-literal-bracketed', '[2001:db8::1]', ['2001:db8::1']],
  ])('%s', async (_name, host, expected) => {
    await expect(resolver.resolveAddresses(host)).resolves.toEqual(expected);
  });

  it('ok/txt', async () => {
    await expect(resolver.resolveTxt('_acme-challenge.txt.example.test')).resolves.toEqual([['value-1']]);
  });

  it.each([
    [
      'fail/no-addresses',
      'missing.example.test',
      'NODATA',
      'no valid A or AAAA records found for missing.example.test',
    ],
    ['fail/servfail', 'broken.example.test', 'SERVFAIL', 'SERVFAIL looking up A for broken.example.test'],
  ])('%s', async (_name, host, failure, detail) => {
    const err = await resolver.resolveAddresses(host).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsLookupError);
    expect((err as DnsLookupError).failure).toBe(failure);
    expect((err as DnsLookupError).type).toBe('dns');
    expect((err as DnsLookupError).detail).toContain(detail);
    expect((err as DnsLookupError).detail).not.toMatch(/\n\s+at /);
  });

  it('fail/txt-nodata', async () => {
    const err = (await resolver
      .resolveTxt('_acme-challenge.none.example.test')
      .catch((e: unknown) => e)) as DnsLookupError;
    expect(err.failure).toBe('NODATA');
    expect(err.detail).toBe('DNS problem: no TXT records found for _acme-challenge.none.example.test');
  });

  it('fail/timeout', async () => {
    const silent = await silentUdpServer();
    try {
      const slow = new NameResolver({ dnsResolver: silent.address, timeoutMs: 300 });
      const started = Date.now();
      const err = (await slow.resolveTxt('_acme-challenge.x.example.test').catch((e: unknown) => e)) as DnsLookupError;
      expect(err.failure).toBe('TIMEOUT');
      expect(err.detail).toBe('DNS problem: query timed out looking up TXT for _acme-challenge.x.example.test');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await silent.close();
    }
  });
});
