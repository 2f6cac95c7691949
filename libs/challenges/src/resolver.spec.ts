import * as dgram from 'node:dgram';
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

  it('ok/changed-record-seen-by-next-lookup', async () => {
    // One channel serves every lookup, but nothing is cached: a record changed between validations is seen.
    await dns.addA('changing.example.test', ['127.0.0.3']);
    await expect(resolver.resolveAddresses('changing.example.test')).resolves.toEqual(['127.0.0.3']);
    await dns.addA('changing.example.test', ['127.0.0.4']); // challtestsrv adds to the set
    await expect(resolver.resolveAddresses('changing.example.test')).resolves.toContain('127.0.0.4');
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

/**
 * A DNS server for one test: TXT queries for names starting "slow" are never
 * answered, others get one TXT record "late" after delayMs.
 */
async function scriptedDns(delayMs: number): Promise<{ address: string; close: () => Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (query, peer) => {
    let end = 12;
    while (query[end] !== 0) end += query[end] + 1;
    end += 5; // root label, QTYPE, QCLASS
    if (query.toString('latin1', 13, 17) === 'slow') return;
    const header = Buffer.from(query.subarray(0, 12));
    header.writeUInt16BE(0x8180, 2); // response, RD+RA, NOERROR
    header.writeUInt32BE(0x00010001, 4); // QDCOUNT 1, ANCOUNT 1
    header.writeUInt32BE(0, 8);
    const answer = Buffer.from([0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 0, 0, 5, 4, ...Buffer.from('late')]);
    const reply = Buffer.concat([header, query.subarray(12, end), answer]);
    setTimeout(() => socket.send(reply, peer.port, peer.address), delayMs);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

describe('NameResolver shared channel', () => {
  it('ok/timeout-leaves-other-lookups-running', async () => {
    // The slow lookup times out while another caller's lookup is still in flight on the same
    // channel; cancelling the channel then would fail that other validation too.
    const server = await scriptedDns(200);
    try {
      const resolver = new NameResolver({ dnsResolver: server.address, timeoutMs: 300 });
      const slow = resolver.resolveTxt('slow.example.test').catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 200));
      const other = resolver.resolveTxt('fast.example.test');
      expect(((await slow) as DnsLookupError).failure).toBe('TIMEOUT');
      await expect(other).resolves.toEqual([['late']]);
    } finally {
      await server.close();
    }
  });
});
