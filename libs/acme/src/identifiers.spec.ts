import { canonicalIp, normaliseIdentifiers } from './identifiers';
import { AcmeProblem } from './problem';

const policy = { allowedDnsSuffixes: [], maxIdentifiers: 100 };

describe('normaliseIdentifiers (RFC 8555 §7.4, RFC 8738)', () => {
  it.each([
    [
      'ok/lower-cases-and-dedupes',
      [
        { type: 'dns', value: 'A.Example.TEST' },
        { type: 'dns', value: 'a.example.test' },
      ],
      ['dns:a.example.test'],
    ],
    ['ok/trailing-dot', [{ type: 'dns', value: 'a.example.test.' }], ['dns:a.example.test']],
    ['ok/wildcard', [{ type: 'dns', value: '*.example.test' }], ['dns:*.example.test']],
    ['ok/ipv4', [{ type: 'ip', value: '10.0.0.1' }], ['ip:10.0.0.1']],
    ['ok/ipv6-canonical', [{ type: 'ip', value: '2001:DB8:0:0:0:0:0:1' }], ['ip:2001:db8::1']],
    [
      'ok/sorted-dns-then-ip',
      [
        { type: 'ip', value: '::1' },
        { type: 'dns', value: 'b.test' },
      ],
      ['dns:b.test', 'ip:::1'],
    ],
  ])('%s', (_name, input, expected) => {
    expect(normaliseIdentifiers(input, policy).map((i) => `${i.type}:${i.value}`)).toEqual(expected);
  });

  it.each([
    ['fail/not-array', 'a.test', 'malformed'],
    ['fail/empty', [], 'malformed'],
    ['fail/not-object', ['a.test'], 'malformed'],
    ['fail/unknown-type', [{ type: 'email', value: 'a@b.test' }], 'unsupportedIdentifier'],
    ['fail/underscore', [{ type: 'dns', value: 'a_b.test' }], 'rejectedIdentifier'],
    ['fail/empty-label', [{ type: 'dns', value: 'a..test' }], 'rejectedIdentifier'],
    ['fail/trailing-hyphen', [{ type: 'dns', value: 'a-.test' }], 'rejectedIdentifier'],
    ['fail/numeric-tld', [{ type: 'dns', value: 'a.123' }], 'rejectedIdentifier'],
    ['fail/ip-as-dns', [{ type: 'dns', value: '10.0.0.1' }], 'rejectedIdentifier'],
    ['fail/inner-wildcard', [{ type: 'dns', value: 'a.*.test' }], 'rejectedIdentifier'],
    ['fail/label-too-long', [{ type: 'dns', value: `${'a'.repeat(64)}.test` }], 'rejectedIdentifier'],
    ['fail/name-too-long', [{ type: 'dns', value: `${'a.'.repeat(127)}test` }], 'rejectedIdentifier'],
    ['fail/bad-ip', [{ type: 'ip', value: '300.1.1.1' }], 'rejectedIdentifier'],
    [
      'fail/too-many',
      Array.from({ length: 101 }, (_, i) => ({ type: 'dns', value: `n${i}.test` })),
      'rejectedIdentifier',
    ],
  ])('%s', (_name, input, type) => {
    try {
      normaliseIdentifiers(input, policy);
      throw new Error('expected a problem');
    } catch (error) {
      expect(error).toBeInstanceOf(AcmeProblem);
      expect((error as AcmeProblem).errorType).toBe(type);
    }
  });

  it('fail/several-bad-identifiers-give-subproblems (§6.7.1)', () => {
    const problem = (() => {
      try {
        normaliseIdentifiers(
          [
            { type: 'dns', value: 'ok.test' },
            { type: 'dns', value: 'bad_.test' },
            { type: 'ip', value: 'nope' },
          ],
          policy,
        );
      } catch (error) {
        return error as AcmeProblem;
      }
    })();
    const doc = problem?.toDocument();
    expect(doc?.type).toBe('urn:ietf:params:acme:error:rejectedIdentifier');
    expect(doc?.subproblems?.map((s) => s.identifier?.value)).toEqual(['bad_.test', 'nope']);
  });

  it('fail/outside-allowed-suffixes', () => {
    expect(() =>
      normaliseIdentifiers([{ type: 'dns', value: 'a.other.test' }], { ...policy, allowedDnsSuffixes: ['corp.test'] }),
    ).toThrow(/outside the names/);
    expect(
      normaliseIdentifiers([{ type: 'dns', value: '*.a.corp.test' }], { ...policy, allowedDnsSuffixes: ['corp.test'] }),
    ).toHaveLength(1);
  });

  it('ok/canonicalIp', () => {
    expect(canonicalIp('::FFFF:1.2.3.4')).toBe('::ffff:102:304');
    expect(canonicalIp('nope')).toBeUndefined();
  });
});
