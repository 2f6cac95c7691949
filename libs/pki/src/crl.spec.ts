import * as x509 from './x509';
import { StoredCaMaterial } from './contracts';
import { createCaMaterial } from './ca-hierarchy';
import { CertificateAuthority } from './certificate-authority';
import { KeySealer } from './key-sealer';
import { makeTestKey, openssl } from './spec-helpers';

const sealer = KeySealer.fromMasterKey('44'.repeat(32));
const HOUR = 3600_000;
const NOW = new Date('2030-01-01T00:00:00Z');
const names = (dns: string[]) => ({ dns, ip: [], uri: [] });

let material: StoredCaMaterial;
let ca: CertificateAuthority;
beforeAll(async () => {
  material = await createCaMaterial('ecdsa-p384', sealer, {
    now: new Date('2029-12-01T00:00:00Z'),
  });
  ca = await CertificateAuthority.open(material, sealer, {
    aiaIssuerUrl: 'http://rotor.test/ca/intermediate.pem',
    crlUrl: 'http://rotor.test/ca/crl',
    now: () => NOW,
  });
});

const p256 = makeTestKey({ kind: 'ec', curve: 'P-256' });

describe('CRL', () => {
  it('ok/crl-lists-serials-with-reasons', async () => {
    const a = await ca.issueForPublicKey(p256.spkiDer, {
      profile: 'server',
      names: names(['r1.example.com']),
    });
    const b = await ca.issueForPublicKey(p256.spkiDer, {
      profile: 'server',
      names: names(['r2.example.com']),
    });
    const at = new Date('2030-01-01T00:00:00Z');
    const crl = await ca.generateCrl({
      revoked: [
        { serialHex: a.serialHex, revokedAt: at, reason: 1 },
        { serialHex: b.serialHex.toUpperCase(), revokedAt: at, reason: 0 },
        { serialHex: '00abcdef', revokedAt: at, reason: 10 },
        { serialHex: a.serialHex, revokedAt: at, reason: 4 }, // duplicate row is dropped
      ],
      thisUpdate: at,
      nextUpdate: new Date(at.getTime() + 24 * HOUR),
      crlNumber: 7n,
    });
    const parsed = new x509.X509Crl(crl.der);
    expect(await parsed.verify({ publicKey: new x509.X509Certificate(material.intermediateCertPem) })).toBe(true);
    expect(parsed.entries.map((e) => [e.serialNumber, e.reason])).toEqual([
      [a.serialHex, 1],
      [b.serialHex, undefined], // RFC 5280 §5.3.1: unspecified is expressed by omission
      ['abcdef', 10],
    ]);
    expect(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(
      Buffer.from(ca.intermediateAkiB64url, 'base64url').toString('hex'),
    );
    expect(crl.pem).toMatch(/^-----BEGIN X509 CRL-----\n/);

    const res = openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-text', '-noout', '-CAfile', 'int.pem'], {
      'crl.der': crl.der,
      'int.pem': material.intermediateCertPem,
    });
    if (res) {
      expect(res.out).toMatch(/verify OK/);
      expect(res.out).toMatch(/X509v3 CRL Number: *\n *7/);
      expect(res.out).toContain(a.serialHex.toUpperCase());
      expect(res.out).toContain('Key Compromise');
      expect(res.out).toContain('AA Compromise');
    }
  });

  it.each<[string, Record<string, unknown>]>([
    ['fail/reason-7', { revoked: [{ serialHex: '01', revokedAt: NOW, reason: 7 }] }],
    ['fail/negative-crl-number', { crlNumber: -1 }],
    ['fail/next-before-this', { nextUpdate: new Date(NOW.getTime() - 1) }],
  ])('%s', async (_n, override) => {
    const req = {
      revoked: [],
      thisUpdate: NOW,
      nextUpdate: new Date(NOW.getTime() + HOUR),
      crlNumber: 1,
      ...override,
    };
    await expect(ca.generateCrl(req as never)).rejects.toThrow();
  });
});
