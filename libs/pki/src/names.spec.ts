import { normalizeDnsName, normalizeIp } from './names';
import { normalizeSerialHex, derNonNegativeInteger } from './encoding';

describe('normalizeIp (RFC 5952 §4)', () => {
  it.each([
    ['ok/v4', '192.0.2.1', '192.0.2.1'],
    ['ok/v6-loopback', '::1', '::1'],
    ['ok/v6-upper-and-zeros', '2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['ok/v6-longest-run', '2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'],
    ['ok/v6-first-run-on-tie', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['ok/v6-single-zero-not-compressed', '2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['ok/v6-embedded-v4', '::ffff:192.0.2.1', '::ffff:c000:201'],
    ['ok/v6-all-zero', '0:0:0:0:0:0:0:0', '::'],
    ['fail/zone-id', 'fe80::1%eth0', undefined],
    ['fail/not-ip', 'example.com', undefined],
    ['fail/v4-out-of-range', '256.1.1.1', undefined],
  ])('%s', (_n, input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });
});

describe('normalizeDnsName', () => {
  it.each([
    ['ok/lowercased', 'WWW.Example.COM', 'www.example.com'],
    ['ok/wildcard', '*.example.com', '*.example.com'],
    ['fail/inner-wildcard', 'a.*.example.com', undefined],
    ['fail/underscore', 'a_b.example.com', undefined],
    ['fail/leading-hyphen', '-a.example.com', undefined],
    ['fail/empty-label', 'a..example.com', undefined],
  ])('%s', (_n, input, expected) => {
    expect(normalizeDnsName(input)).toBe(expected);
  });
});

describe('encoding', () => {
  it.each([
    ['00FF01', 'ff01'],
    ['0x', undefined],
    ['ab:cd', 'abcd'],
    ['000', '00'],
    ['f', '0f'],
  ])('normalizeSerialHex(%s)', (input, expected) => {
    if (expected === undefined) expect(() => normalizeSerialHex(input)).toThrow();
    else expect(normalizeSerialHex(input)).toBe(expected);
  });
  it.each([
    [0n, '020100'],
    [127n, '02017f'],
    [128n, '02020080'],
    [65536n, '0203010000'],
  ])('derNonNegativeInteger(%s)', (v, hex) => {
    expect(Buffer.from(derNonNegativeInteger(v)).toString('hex')).toBe(hex);
  });
});
