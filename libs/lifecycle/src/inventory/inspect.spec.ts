import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCursor, encodeCursor } from './cursor';
import { InventoryInputError } from './errors';
import { draftRecord, inspectCertificate, inspectPemBundle } from './inspect';
import { canonicalIp, indexedNames, normalizeSanFilter, sanKey } from './names';
import { certificatesFromPem } from './pem';
import { endpointKey, parseEndpoint } from './scan';
import { makeTestCertificate } from './spec-helpers';

jest.setTimeout(30_000);

describe('inspect', () => {
  it.each([
    ['ec-p256', 'ecdsa-p256'],
    ['ec-p384', 'ecdsa-p384'],
    ['rsa-2048', 'rsa-2048'],
    ['ed25519', 'ed25519'],
  ] as const)('ok/%s certificate → key type %s and every field', async (key, keyType) => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const notAfter = new Date('2030-04-01T00:00:00Z');
    const made = await makeTestCertificate({
      key,
      cn: 'Payments',
      dns: ['API.Example.test', 'api.example.test', '*.svc.example.test'],
      ip: ['10.1.2.3', '2001:DB8:0:0:0:0:0:1'],
      uri: ['spiffe://prod/payments'],
      notBefore,
      notAfter,
      serial: '00a1b2c3',
    });
    const facts = inspectCertificate(made.der);
    expect(facts).toMatchObject({
      fingerprint: made.fingerprint,
      serial: 'a1b2c3',
      subject: 'CN=Payments',
      issuer: 'CN=Payments',
      notBefore: notBefore.getTime(),
      notAfter: notAfter.getTime(),
      keyType,
    });
    // DNS lower-cased and de-duplicated, IPv6 in RFC 5952 form, the SPIFFE id verbatim.
    expect(facts.sans).toEqual({
      dns: ['api.example.test', '*.svc.example.test'],
      ip: ['10.1.2.3', '2001:db8::1'],
      uri: ['spiffe://prod/payments'],
    });
    expect(facts.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // The PEM we keep round-trips to the same DER.
    expect(Buffer.from(certificatesFromPem(facts.pem)[0])).toEqual(Buffer.from(made.der));
  });

  it('ok/fingerprint and serial agree with openssl', async () => {
    if (spawnSync('openssl', ['version']).status !== 0) return;
    const made = await makeTestCertificate({ key: 'rsa-2048', dns: ['x.example.test'] });
    const dir = mkdtempSync(join(tmpdir(), 'rotor-inv-'));
    writeFileSync(join(dir, 'c.pem'), made.pem);
    const out = execFileSync(
      'openssl',
      ['x509', '-in', join(dir, 'c.pem'), '-noout', '-fingerprint', '-sha256', '-serial'],
      {
        encoding: 'utf8',
      },
    );
    const facts = inspectCertificate(made.der);
    expect(out).toContain(facts.fingerprint.toUpperCase().match(/../g)!.join(':'));
    expect(out.toLowerCase()).toContain(`serial=${facts.serial}`);
  });

  it('ok/a bundle with explanatory text yields every certificate in order', async () => {
    const a = await makeTestCertificate({ dns: ['a.example.test'] });
    const b = await makeTestCertificate({ dns: ['b.example.test'], issuer: a });
    const facts = inspectPemBundle(`subject=CN=a\n${a.pem}\n# the issuer\n${b.pem}`);
    expect(facts.map((f) => f.fingerprint)).toEqual([a.fingerprint, b.fingerprint]);
    expect(facts[1].issuer).toBe('CN=a.example.test');
  });

  it('ok/a draft record is active with the chain after the leaf', async () => {
    const leaf = await makeTestCertificate({ dns: ['a.example.test'] });
    const ca = await makeTestCertificate({ cn: 'Test CA', ca: true });
    const record = draftRecord(inspectCertificate(leaf.der), {
      source: 'scan',
      endpoints: ['a.example.test:443'],
      chain: [ca.der],
      now: 5,
    });
    expect(record).toMatchObject({ id: leaf.fingerprint, state: 'active', source: 'scan', createdAt: 5, updatedAt: 5 });
    expect(certificatesFromPem(record.pem).map((d) => Buffer.from(d))).toEqual([
      Buffer.from(leaf.der),
      Buffer.from(ca.der),
    ]);
  });

  describe('refuses', () => {
    const refuse = (text: string, code: 'malformed' | 'rejected', message: RegExp) => {
      let error: unknown;
      try {
        inspectPemBundle(text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InventoryInputError);
      expect((error as InventoryInputError).code).toBe(code);
      expect((error as Error).message).toMatch(message);
      return (error as Error).message;
    };

    it('fail/empty and non-PEM input', () => {
      refuse('', 'malformed', /no PEM certificate/);
      refuse('hello world', 'malformed', /no PEM certificate/);
      refuse('{"pem": 1}', 'malformed', /no PEM certificate/);
    });

    it('fail/bad base64, missing END, garbage DER', () => {
      refuse('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n', 'malformed', /base64/);
      refuse('-----BEGIN CERTIFICATE-----\nAAAA\n', 'malformed', /no END line/);
      refuse(
        '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
        'malformed',
        /certificate 1 is not a parsable X.509/,
      );
    });

    it('fail/a private key is refused and never echoed, even beside a certificate', async () => {
      const made = await makeTestCertificate({ dns: ['a.example.test'] });
      const message = refuse(made.pem + made.keyPem, 'rejected', /block 2 is a private key/);
      const keyBody = made.keyPem.split('\n')[1];
      expect(message).not.toContain(keyBody.slice(0, 20));
      refuse(made.keyPem.replace(/PRIVATE KEY/g, 'EC PRIVATE KEY'), 'rejected', /private key/);
    });

    it('fail/a CSR is refused', () => {
      refuse(
        '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
        'rejected',
        /signing request/,
      );
    });
  });
});

describe('names', () => {
  it('ok/sanKey ignores order, DNS case and duplicates', () => {
    expect(sanKey({ dns: ['B.test', 'a.test'], ip: ['10.0.0.1'], uri: [] })).toBe(
      sanKey({ dns: ['a.test', 'b.test', 'a.test'], ip: ['10.0.0.1'], uri: [] }),
    );
    expect(sanKey({ dns: ['a.test'], ip: [], uri: [] })).not.toBe(
      sanKey({ dns: ['a.test', 'b.test'], ip: [], uri: [] }),
    );
  });

  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['fe80::1%eth0', undefined],
    ['example.test', undefined],
  ])('canonicalIp(%s) = %s', (input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
  });

  it('ok/filters normalise like the index', () => {
    expect(normalizeSanFilter(' API.Example.TEST ')).toBe('api.example.test');
    expect(normalizeSanFilter('2001:db8:0::1')).toBe('2001:db8::1');
    expect(normalizeSanFilter('spiffe://prod/Payments')).toBe('spiffe://prod/Payments');
    expect(
      indexedNames({ dns: ['A.test'], ip: ['10.0.0.1'], uri: ['spiffe://x/y', `https://${'a'.repeat(2000)}`] }),
    ).toEqual(['a.test', '10.0.0.1', 'spiffe://x/y']);
  });
});

describe('cursor', () => {
  it('ok/round trip', () => {
    const c = { notAfter: 1_800_000_000_000, id: 'ab'.repeat(32) };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
  });

  it.each([
    '',
    'abc',
    '!!',
    Buffer.from('1.xyz').toString('base64url'),
    Buffer.from(`1e99.${'a'.repeat(64)}`).toString('base64url'),
    'A'.repeat(300),
  ])('fail/%s', (text) => {
    expect(() => decodeCursor(text)).toThrow(InventoryInputError);
  });
});

describe('endpoints', () => {
  it.each([
    ['example.test:8443', 'example.test:8443'],
    ['Example.TEST', 'example.test:443'],
    ['127.0.0.1:1', '127.0.0.1:1'],
    ['[::1]:443', '[::1]:443'],
  ])('ok/%s → %s', (input, key) => {
    expect(endpointKey(parseEndpoint(input))).toBe(key);
  });

  it.each(['', ':443', 'host:0', 'host:65536', 'host:x', '[nope]:1', 'a b:1', 'http://host:1', '::1:443', 'host:1:2'])(
    'fail/%s',
    (input) => {
      expect(() => parseEndpoint(input)).toThrow(InventoryInputError);
    },
  );
});
