import { parseManagedDeclaration, sameDeclaration, validateManagedDeclaration } from './spec';
import { ManagedError } from './errors';
import { formatDurationText, parseDurationText } from '../duration';

const policy = { maxLifetimeMs: 90 * 86400e3, defaultLifetimeMs: 86400e3 };
const errorsOf = (input: unknown) => {
  const result = validateManagedDeclaration(input, policy);
  if (result.ok) throw new Error('expected errors');
  return result;
};

describe('managed certificate declarations', () => {
  it('fills defaults and canonicalises names', () => {
    const d = parseManagedDeclaration(
      {
        name: 'web',
        dnsNames: ['Web.Internal', 'web.internal'],
        ips: ['2001:DB8:0:0::1'],
        uris: ['spiffe://prod/web'],
      },
      policy,
    );
    expect(d).toEqual({
      name: 'web',
      subscribers: [],
      spec: {
        dnsNames: ['web.internal'],
        ips: ['2001:db8::1'],
        uris: ['spiffe://prod/web'],
        profile: 'server',
        keyType: 'ecdsa-p256',
        lifetime: '1d',
        lifetimeMs: 86400e3,
        renewAt: 2 / 3,
        jitter: 0.05,
        reuseKey: false,
      },
    });
  });

  it('canonical lifetimes make equal specs compare equal', () => {
    const a = parseManagedDeclaration({ name: 'a', dnsNames: ['a.internal'], lifetime: '60m' }, policy);
    const b = parseManagedDeclaration({ name: 'a', dnsNames: ['a.internal'], lifetime: '1h' }, policy);
    expect(a.spec.lifetime).toBe('1h');
    expect(sameDeclaration(a, b)).toBe(true);
    expect(sameDeclaration(a, { ...b, subscribers: ['proxy'] })).toBe(false);
  });

  it.each([
    ['name', { name: '-web', dnsNames: ['a.internal'] }],
    ['dnsNames[0]', { name: 'w', dnsNames: ['a_b.internal'] }],
    ['dnsNames[0]', { name: 'w', dnsNames: ['*.internal.example'] }],
    ['dnsNames[0]', { name: 'w', dnsNames: ['a.internal.'] }],
    ['dnsNames[0]', { name: 'w', dnsNames: ['10.0.0.1'] }],
    ['dnsNames[0]', { name: 'w', dnsNames: [`${'a'.repeat(64)}.internal`] }],
    ['ips[0]', { name: 'w', ips: ['1.2.3'] }],
    ['ips[0]', { name: 'w', ips: ['0.1.2.3'] }],
    ['ips[0]', { name: 'w', ips: ['255.255.255.255'] }],
    ['ips[0]', { name: 'w', ips: ['239.1.1.1'] }],
    ['ips[0]', { name: 'w', ips: ['::'] }],
    ['ips[0]', { name: 'w', ips: ['::ffff:10.0.0.1'] }],
    ['ips[0]', { name: 'w', ips: ['fe80::1%eth0'] }],
    ['uris[0]', { name: 'w', uris: ['urn:uuid:1234'] }],
    ['uris[0]', { name: 'w', uris: ['spiffe://Prod/x'] }],
    ['uris[0]', { name: 'w', uris: ['spiffe://prod/a//b'] }],
    ['uris[0]', { name: 'w', uris: ['spiffe://prod/a?x=1'] }],
    ['uris[0]', { name: 'w', uris: ['https://user:pw@a.internal/'] }],
    ['dnsNames', { name: 'w' }],
    ['lifetime', { name: 'w', dnsNames: ['a.internal'], lifetime: '59s' }],
    ['lifetime', { name: 'w', dnsNames: ['a.internal'], lifetime: '91d' }],
    ['renewAt', { name: 'w', dnsNames: ['a.internal'], renewAt: 1 }],
    ['jitter', { name: 'w', dnsNames: ['a.internal'], jitter: 0.5 }],
    ['jitter', { name: 'w', dnsNames: ['a.internal'], renewAt: 0.95, jitter: 0.05 }],
    ['subscribers[0]', { name: 'w', dnsNames: ['a.internal'], subscribers: ['bad id'] }],
  ])('rejects %s out of policy (%j)', (path, input) => {
    const result = errorsOf(input);
    expect(result.code).toBe('rejected');
    expect(result.errors.map((e) => e.path)).toContain(path);
  });

  it.each([
    ['', 'not an object'],
    ['', { name: 'w', dnsName: ['a.internal'] }],
    ['name', { dnsNames: ['a.internal'] }],
    ['dnsNames', { name: 'w', dnsNames: 'a.internal' }],
    ['profile', { name: 'w', dnsNames: ['a.internal'], profile: 'ca' }],
    ['lifetime', { name: 'w', dnsNames: ['a.internal'], lifetime: '1 hour' }],
  ])('reports %s as malformed', (path, input) => {
    const result = errorsOf(input);
    expect(result.code).toBe('malformed');
    expect(result.errors.map((e) => e.path)).toContain(path);
  });

  it('accepts allowed wildcards, loopback, private and IPv6 addresses, SPIFFE and https URIs', () => {
    const d = parseManagedDeclaration(
      {
        name: 'mixed',
        dnsNames: ['*.apps.internal', 'localhost', 'xn--bcher-kva.example'],
        ips: ['127.0.0.1', '::1', '192.168.1.10', 'fd00::7'],
        uris: ['spiffe://prod.example/ns/payments/sa/api', 'https://payments.internal/id'],
      },
      { ...policy, allowWildcards: true },
    );
    expect(d.spec.dnsNames).toHaveLength(3);
    expect(d.spec.ips).toEqual(['127.0.0.1', '::1', '192.168.1.10', 'fd00::7']);
  });

  it('lists every problem at once, with paths under a prefix', () => {
    try {
      parseManagedDeclaration(
        { name: 'w', dnsNames: ['bad_1', 'ok.internal', 'bad_2'], lifetime: '10s' },
        policy,
        'documents[3].spec',
      );
      throw new Error('expected a ManagedError');
    } catch (error) {
      expect(error).toBeInstanceOf(ManagedError);
      expect((error as ManagedError).errors.map((e) => e.path)).toEqual([
        'documents[3].spec.dnsNames[0]',
        'documents[3].spec.dnsNames[2]',
        'documents[3].spec.lifetime',
      ]);
    }
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90e3, '90s'],
    ['60m', 3600e3, '1h'],
    ['36h', 36 * 3600e3, '36h'],
    ['7d', 7 * 86400e3, '7d'],
    ['1500', 1500, '1500ms'],
  ])('%s', (text, ms, canonical) => {
    expect(parseDurationText(text)).toBe(ms);
    expect(formatDurationText(ms)).toBe(canonical);
  });

  it.each(['', '1 h', '-5m', '1w', '1.5h', '9'.repeat(20)])('refuses %j', (text) => {
    expect(parseDurationText(text)).toBeUndefined();
  });
});
