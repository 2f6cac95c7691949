/**
 * In-process end-to-end suite: a real Rotor server over HTTPS, driven by the
 * unmodified `acme-client` library, with real validators talking to real
 * responders on loopback and pebble-challtestsrv answering DNS.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as acme from 'acme-client';
import type { Challenge } from 'acme-client/types/rfc8555';
import {
  ChallTestSrv,
  Http01Responder,
  startChallTestSrv,
  createTestDatabase,
  startRotor,
  TestDatabase,
  TestRotor,
  TlsAlpnResponder,
  tempDir,
} from '@rotor/testing';

jest.setTimeout(60_000);

let dns: ChallTestSrv;
let http01: Http01Responder;
let tlsAlpn: TlsAlpnResponder;
let rotor: TestRotor;
let client: acme.Client;

const NAMES = ['svc-a.example.test', 'svc-b.example.test', 'alpn.example.test', 'restart.example.test'];

beforeAll(async () => {
  if (process.env.DEBUG_ACME) acme.setLogger((m: string) => process.stderr.write(m + '\n'));
  dns = await startChallTestSrv();
  for (const name of NAMES) await dns.addA(name, ['127.0.0.1']);
  http01 = await new Http01Responder().start();
  tlsAlpn = await new TlsAlpnResponder().start();
});

afterAll(async () => {
  await http01?.stop();
  await tlsAlpn?.stop();
  await dns?.stop();
});

const challengeCreateFn = async (authz: acme.Authorization, challenge: Challenge, keyAuthorization: string) => {
  if (challenge.type === 'http-01') http01.tokens.set(challenge.token, keyAuthorization);
  // acme-client hands dns-01 the record value already digested (RFC 8555 §8.4).
  if (challenge.type === 'dns-01') await dns.setTxt(`_acme-challenge.${authz.identifier.value}`, keyAuthorization);
  // acme-client's types list only http-01 and dns-01, but it passes tls-alpn-01 through.
  if ((challenge.type as string) === 'tls-alpn-01') await tlsAlpn.set(authz.identifier.value, keyAuthorization);
};

function verifyWithOpenssl(chainPem: string): string {
  const dir = tempDir('rotor-verify-');
  const certs = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
  writeFileSync(join(dir, 'root.pem'), rotor.rootPem);
  writeFileSync(join(dir, 'leaf.pem'), certs[0] ?? '');
  writeFileSync(join(dir, 'chain.pem'), certs.slice(1).join(''));
  return execFileSync('openssl', [
    'verify',
    '-CAfile',
    join(dir, 'root.pem'),
    '-untrusted',
    join(dir, 'chain.pem'),
    join(dir, 'leaf.pem'),
  ]).toString();
}

async function issue(names: string[], priority: string[], options: { ec?: boolean } = {}) {
  const [key, csr] =
    options.ec === false
      ? await acme.crypto.createCsr({ altNames: names })
      : await acme.crypto.createCsr({ altNames: names }, await acme.crypto.createPrivateEcdsaKey());
  const cert = await client.auto({
    csr,
    termsOfServiceAgreed: true,
    challengePriority: priority,
    skipChallengeVerification: true, // names resolve only through the mock DNS Rotor uses
    challengeCreateFn,
    challengeRemoveFn: async () => undefined,
  });
  return { key, cert };
}

describe.each(['sqlite', 'postgres'] as const)('on %s', (dialect) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    rotor = await startRotor({
      databaseUrl: db.databaseUrl,
      http01Port: http01.port,
      tlsAlpn01Port: tlsAlpn.port,
      dnsResolver: dns.dnsResolver,
    });
    acme.axios.defaults.httpsAgent = rotor.agent;
    client = new acme.Client({
      directoryUrl: rotor.directoryUrl,
      accountKey: await acme.crypto.createPrivateEcdsaKey(),
      backoffMin: 20,
      backoffMax: 200,
    });
  });

  afterAll(async () => {
    await rotor?.stop();
    await db?.drop();
  });

  describe('ACME issuance with acme-client', () => {
    it('ok/http01-issues-a-chain-that-openssl-verifies', async () => {
      const { cert } = await issue(['svc-a.example.test'], ['http-01']);
      expect(verifyWithOpenssl(cert)).toMatch(/leaf.pem: OK/);
      const leaf = new X509Certificate(cert);
      expect(leaf.subjectAltName).toBe('DNS:svc-a.example.test');
      const lifetimeH = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 3600e3;
      expect(lifetimeH).toBeGreaterThan(23.9);
      expect(lifetimeH).toBeLessThanOrEqual(24.1);
    });

    it('ok/dns01-wildcard-and-base-name', async () => {
      const { cert } = await issue(['svc-b.example.test', '*.svc-b.example.test'], ['dns-01']);
      expect(new X509Certificate(cert).subjectAltName).toBe('DNS:*.svc-b.example.test, DNS:svc-b.example.test');
      expect(verifyWithOpenssl(cert)).toMatch(/OK/);
    });

    it('ok/tls-alpn01', async () => {
      const { cert } = await issue(['alpn.example.test'], ['tls-alpn-01']);
      expect(new X509Certificate(cert).subjectAltName).toBe('DNS:alpn.example.test');
    });

    it('ok/ip-identifier-http01 (RFC 8738)', async () => {
      // acme-client's auto() orders every name as "dns"; IP identifiers need the manual flow.
      const order = await client.createOrder({ identifiers: [{ type: 'ip', value: '127.0.0.1' }] });
      const [authz] = await client.getAuthorizations(order);
      expect(authz.challenges.map((c) => c.type).sort()).toEqual(['http-01', 'tls-alpn-01']);
      const challenge = authz.challenges.find((c) => c.type === 'http-01') as Challenge;
      http01.tokens.set(challenge.token, await client.getChallengeKeyAuthorization(challenge));
      await client.completeChallenge(challenge);
      await client.waitForValidStatus(challenge);
      const [, csr] = await acme.crypto.createCsr(
        { altNames: ['127.0.0.1'] },
        await acme.crypto.createPrivateEcdsaKey(),
      );
      const cert = await client.getCertificate(await client.finalizeOrder(order, csr));
      expect(new X509Certificate(cert).subjectAltName).toBe('IP Address:127.0.0.1');
    });

    it('ok/rsa-2048-leaf-key', async () => {
      const { cert } = await issue(['svc-a.example.test'], ['http-01'], { ec: false });
      expect(new X509Certificate(cert).publicKey.asymmetricKeyType).toBe('rsa');
    });

    it('fail/http01-wrong-key-authorization-makes-order-invalid', async () => {
      const order = await client.createOrder({ identifiers: [{ type: 'dns', value: 'svc-a.example.test' }] });
      const [authz] = await client.getAuthorizations(order);
      const challenge = authz.challenges.find((c) => c.type === 'http-01') as Challenge;
      http01.tokens.set(challenge.token, 'wrong');
      await client.completeChallenge(challenge);
      await expect(client.waitForValidStatus(challenge)).rejects.toThrow(/incorrectResponse|did not match/i);
      const after = await client.getOrder(order);
      expect(after.status).toBe('invalid');
    });

    it('ok/revoke-and-crl-lists-the-serial', async () => {
      const { cert } = await issue(['svc-a.example.test'], ['http-01']);
      const serial = new X509Certificate(cert).serialNumber.toLowerCase();
      await client.revokeCertificate(cert, { reason: 4 });
      const crlDer = Buffer.from(await (await fetchRotor('/ca/crl')).arrayBuffer());
      const dir = tempDir('rotor-crl-');
      writeFileSync(join(dir, 'crl.der'), crlDer);
      const text = execFileSync('openssl', [
        'crl',
        '-inform',
        'DER',
        '-in',
        join(dir, 'crl.der'),
        '-noout',
        '-text',
      ]).toString();
      expect(text.toLowerCase().replace(/:/g, '')).toContain(serial.replace(/^0+/, ''));
      expect(text).toMatch(/Superseded/);
      await expect(client.revokeCertificate(cert)).rejects.toThrow(/alreadyRevoked|already revoked/i);
    });

    it('ok/renewal-info-suggests-the-middle-third (RFC 9773)', async () => {
      const { cert } = await issue(['svc-a.example.test'], ['http-01']);
      const leaf = new X509Certificate(cert);
      const certId = await renewalCertId(leaf);
      const res = await fetchRotor(`/acme/renewal-info/${certId}`);
      expect(res.status).toBe(200);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await res.json()) as { suggestedWindow: { start: string; end: string } };
      const nb = Date.parse(leaf.validFrom);
      const na = Date.parse(leaf.validTo);
      expect(Math.abs(Date.parse(body.suggestedWindow.start) - (nb + (na - nb) / 3))).toBeLessThan(2000);
      expect(Math.abs(Date.parse(body.suggestedWindow.end) - (nb + (2 * (na - nb)) / 3))).toBeLessThan(2000);
    });
  });

  describe('restart safety', () => {
    it('ok/account-order-and-certificate-survive-a-restart-mid-flow', async () => {
      const order = await client.createOrder({ identifiers: [{ type: 'dns', value: 'restart.example.test' }] });
      const [authz] = await client.getAuthorizations(order);
      const challenge = authz.challenges.find((c) => c.type === 'http-01') as Challenge;
      http01.tokens.set(challenge.token, await client.getChallengeKeyAuthorization(challenge));

      rotor = await rotor.restart();
      acme.axios.defaults.httpsAgent = rotor.agent;

      await client.completeChallenge(challenge);
      await client.waitForValidStatus(challenge);
      const [, csr] = await acme.crypto.createCsr(
        { altNames: ['restart.example.test'] },
        await acme.crypto.createPrivateEcdsaKey(),
      );
      const finalized = await client.finalizeOrder(order, csr);
      const cert = await client.getCertificate(finalized);
      expect(new X509Certificate(cert).subjectAltName).toBe('DNS:restart.example.test');

      rotor = await rotor.restart();
      acme.axios.defaults.httpsAgent = rotor.agent;
      const again = await client.getOrder(order);
      expect(again.status).toBe('valid');
      expect(await client.getCertificate(again)).toBe(cert);
    });
  });
});

async function fetchRotor(path: string): Promise<Response> {
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    https
      .get(`${rotor.baseUrl}${path}`, { agent: rotor.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve(
            new Response(Buffer.concat(chunks), {
              status: res.statusCode,
              headers: res.headers as Record<string, string>,
            }),
          ),
        );
      })
      .on('error', reject);
  });
}

async function renewalCertId(leaf: X509Certificate): Promise<string> {
  const x509 = await import('@peculiar/x509');
  const cert = new x509.X509Certificate(leaf.raw);
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId as string;
  let serial = cert.serialNumber.toLowerCase();
  if (serial.length % 2) serial = `0${serial}`;
  if (parseInt(serial.slice(0, 2), 16) >= 0x80) serial = `00${serial}`;
  return `${Buffer.from(aki, 'hex').toString('base64url')}.${Buffer.from(serial, 'hex').toString('base64url')}`;
}
