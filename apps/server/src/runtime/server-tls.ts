import { isIP } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { CertificateAuthority } from '@rotor/pki';
import { generateLeafKeyPair } from '@rotor/pki';

const LIFETIME_MS = 7 * 24 * 3600e3;

export interface ServerCertificate extends SecureContextOptions {
  key: string;
  cert: string;
  notAfter: Date;
  renewAt: Date;
}

/**
 * Rotor's own HTTPS certificate: a fresh key, issued by its own intermediate
 * for localhost, 127.0.0.1, ::1 and the listen/external host. The key lives
 * only in memory; each start (and each renewal, at 2/3 of the lifetime) makes
 * a new one.
 */
export async function issueServerCertificate(ca: CertificateAuthority, hosts: string[]): Promise<ServerCertificate> {
  const names = new Set(['localhost', '127.0.0.1', '::1', ...hosts.filter((h) => h && h !== '0.0.0.0' && h !== '::')]);
  const dns = [...names].filter((n) => !isIP(n)).map((n) => n.toLowerCase());
  const ip = [...names].filter((n) => isIP(n));
  const pair = await generateLeafKeyPair('ecdsa-p256');
  const now = Date.now();
  const issued = await ca.issueForPublicKey(pair.spkiDer, {
    profile: 'server',
    names: { dns, ip, uri: [] },
    notAfter: new Date(now + LIFETIME_MS),
  });
  return {
    key: pair.privateKeyPkcs8Pem,
    cert: issued.chainPem,
    notAfter: issued.notAfter,
    renewAt: new Date(now + (LIFETIME_MS * 2) / 3),
  };
}
