/**
 * Hostile and malformed ACME requests against a real Rotor over HTTPS.
 *
 * Every case asserts what RFC 8555 (and RFC 9773, RFC 7515) require: the exact
 * problem type and HTTP status, an application/problem+json body, a fresh
 * Replay-Nonce on every POST error (§6.5), never a 5xx, and — read through a
 * second, read-only SQLite connection — no change to any table but nonces,
 * rate limits and CRLs.
 */
import { randomBytes } from 'node:crypto';
import {
  AcmeResponse,
  AcmeTestClient,
  b64u,
  b64uJson,
  certIdOf,
  ChallTestSrv,
  createCsr,
  Directory,
  flattenedJws,
  generateKey,
  Http01Responder,
  selfSignedCertificate,
  startChallTestSrv,
  startRotor,
  TestRotor,
} from '@rotor/testing';
import { DbSnapshotter, openDbSnapshotter } from './db-snapshot';
import { EabRotor, startEabRotor } from './eab-fixture';

jest.setTimeout(30_000);

const PREFIX = 'urn:ietf:params:acme:error:';
const NAMES = ['pending.bad.test', 'ready-a.bad.test', 'ready-b.bad.test', 'issued.bad.test', 'revoked.bad.test'];
/** A valid newOrder payload: if a broken JWS were accepted, an order would appear in the database. */
const JWS_ORDER = { identifiers: [{ type: 'dns', value: 'jws.bad.test' }] };

let dns: ChallTestSrv;
let http01: Http01Responder;
let rotor: TestRotor;
let eab: EabRotor;
let db: DbSnapshotter;
let eabDb: DbSnapshotter;
let dir: Directory;
/** Account A owns every fixture; B is a second, unrelated account; D is deactivated. */
let a: AcmeTestClient;
let b: AcmeTestClient;
let d: AcmeTestClient;
let eabClient: AcmeTestClient;
const f = {} as {
  pendingOrder: string;
  pendingAuthz: string;
  pendingChallenge: string;
  pendingFinalize: string;
  readyOrder: string;
  readyFinalize: string;
  issued: { certUrl: string; certDer: Buffer; orderUrl: string };
  revoked: { certDer: Buffer };
};

beforeAll(async () => {
  dns = await startChallTestSrv();
  for (const name of NAMES) await dns.addA(name, ['127.0.0.1']);
  http01 = await new Http01Responder().start();
  [rotor, eab] = await Promise.all([
    // Generous per-IP limits: the catalogue sends a few hundred requests in a few seconds.
    startRotor({ http01Port: http01.port, dnsResolver: dns.dnsResolver, rateLimitPerIp: 1000, rateLimitBurst: 2000 }),
    startEabRotor([{ kid: 'eab-kid-1' }]),
  ]);
  db = openDbSnapshotter(rotor.config.dataDir);
  eabDb = openDbSnapshotter(eab.rotor.config.dataDir);

  a = await AcmeTestClient.create({ directoryUrl: rotor.directoryUrl, agent: rotor.agent });
  dir = await a.directory();
  [b, d] = [await a.sibling(), await a.sibling()];
  for (const client of [a, b, d]) expect((await client.createAccount()).status).toBe(201);
  expect((await d.post(d.accountUrl as string, { status: 'deactivated' })).body.status).toBe('deactivated');

  const pending = await a.newOrder(['pending.bad.test']);
  f.pendingOrder = pending.location as string;
  f.pendingFinalize = pending.body.finalize;
  f.pendingAuthz = pending.body.authorizations[0];
  f.pendingChallenge = (await a.postAsGet(f.pendingAuthz)).body.challenges.find(
    (c: { type: string }) => c.type === 'http-01',
  ).url;

  const ready = await a.newOrder(['ready-a.bad.test', 'ready-b.bad.test']);
  for (const authz of ready.body.authorizations) await a.completeHttp01(authz, http01);
  f.readyOrder = ready.location as string;
  f.readyFinalize = ready.body.finalize;
  expect((await a.postAsGet(f.readyOrder)).body.status).toBe('ready');

  f.issued = await a.issue(['issued.bad.test'], http01);
  f.revoked = await a.issue(['revoked.bad.test'], http01);
  expect((await a.post(dir.revokeCert, { certificate: b64u(f.revoked.certDer) })).status).toBe(200);

  eabClient = await AcmeTestClient.create({ directoryUrl: eab.rotor.directoryUrl, agent: eab.rotor.agent });
});

afterAll(async () => {
  db?.close();
  eabDb?.close();
  await rotor?.stop();
  await eab?.rotor.stop();
  await http01?.stop();
  await dns?.stop();
});

interface BadCase {
  name: string;
  type: string;
  status: number;
  send: () => Promise<AcmeResponse>;
  /** GET requests need no Replay-Nonce. */
  get?: boolean;
  /** The EAB-required server instead of the main one. */
  eab?: boolean;
  also?: (res: AcmeResponse) => void;
}

/** id-ecPublicKey (1.2.840.10045.2.1) and an unregistered OID of the same encoded length. */
const EC_PUBLIC_KEY_OID = Buffer.from('06072a8648ce3d0201', 'hex');
const UNKNOWN_OID = Buffer.from('06072a030405060708', 'hex');
/** Swaps the SubjectPublicKeyInfo algorithm for one nobody implements; the DER stays well formed. */
function replaceEcKeyOid(der: Buffer): Buffer {
  const at = der.indexOf(EC_PUBLIC_KEY_OID);
  if (at < 0) throw new Error('no id-ecPublicKey in DER');
  const out = Buffer.from(der);
  UNKNOWN_OID.copy(out, at);
  return out;
}
const withUnknownKeyAlgorithm = async (): Promise<Buffer> =>
  replaceEcKeyOid(Buffer.from((await selfSignedCertificate('odd-key.bad.test')).der));

const flip = (signature: string): string => {
  const bytes = Buffer.from(signature, 'base64url');
  bytes[0] ^= 0xff;
  return b64u(bytes);
};
const unknownId = 'doesNotExist0123456789';
const base = (): string => rotor.baseUrl;
const order = (identifiers: unknown, extra: Record<string, unknown> = {}) =>
  a.post(dir.newOrder, { identifiers, ...extra });
const dnsOrder = (...values: string[]) => order(values.map((value) => ({ type: 'dns', value })));
const finalizeWith = async (names: string[], options: Parameters<typeof createCsr>[1] = {}) =>
  a.post(f.readyFinalize, { csr: b64u((await createCsr(names, options)).der) });
const revoke = (client: AcmeTestClient, payload: object, keyRef?: 'jwk') =>
  client.post(dir.revokeCert, payload, keyRef ? { keyRef } : {});
const keyChange = (payload: object) => a.post(dir.keyChange, payload);
const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();

const jwsCases: BadCase[] = [
  {
    name: 'fail/jws-signature-invalid',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { signature: flip }),
  },
  {
    name: 'fail/jws-signature-empty',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { signature: '' }),
  },
  {
    name: 'fail/jws-alg-none (§6.2)',
    type: 'badSignatureAlgorithm',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { header: { alg: 'none' }, signature: '' }),
    also: (res) => expect(res.body.algorithms).toEqual(expect.arrayContaining(['ES256', 'EdDSA'])),
  },
  {
    name: 'fail/jws-alg-hs256-outside-eab (§6.2: no MAC)',
    type: 'badSignatureAlgorithm',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { header: { alg: 'HS256' }, signingKey: randomBytes(32) }),
    also: (res) => expect(res.body.algorithms).not.toContain('HS256'),
  },
  {
    name: 'fail/jws-alg-unknown',
    type: 'badSignatureAlgorithm',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { header: { alg: 'ES257' } }),
  },
  {
    name: 'fail/jws-alg-does-not-fit-the-key (RS256 with an EC key)',
    type: 'badSignatureAlgorithm',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { header: { alg: 'RS256' } }),
  },
  {
    name: 'fail/jws-unencoded-payload-b64-false (§6.2: RFC 7797 MUST NOT be used)',
    type: 'malformed',
    status: 400,
    // With b64=false the signing input of a base64url-looking payload is byte-identical, so the signature verifies.
    send: () => a.post(dir.newOrder, JWS_ORDER, { header: { b64: false, crit: ['b64'] } }),
  },
  {
    name: 'fail/jws-crit-unknown-extension (RFC 7515 §4.1.11)',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { header: { crit: ['rotor-x'], 'rotor-x': 1 } }),
  },
  {
    name: 'fail/nonce-replayed',
    type: 'badNonce',
    status: 400,
    send: async () => {
      const nonce = await a.nonce();
      expect((await a.postAsGet(a.accountUrl as string, { header: { nonce } })).status).toBe(200);
      return a.post(dir.newOrder, JWS_ORDER, { header: { nonce } });
    },
  },
  {
    name: 'fail/nonce-never-issued',
    type: 'badNonce',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { header: { nonce: b64u(randomBytes(16)) } }),
  },
  {
    name: 'fail/nonce-missing',
    type: 'badNonce',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { header: { nonce: undefined } }),
  },
  {
    name: 'fail/nonce-not-base64url (§6.5.2: malformed)',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { header: { nonce: 'not a nonce: +/= !!' } }),
  },
  {
    name: 'fail/url-header-mismatch (§6.4)',
    type: 'unauthorized',
    status: 403,
    send: () => a.post(dir.newOrder, JWS_ORDER, { header: { url: dir.newAccount } }),
  },
  {
    name: 'fail/url-header-other-host (§6.4)',
    type: 'unauthorized',
    status: 403,
    send: () => a.post(dir.newOrder, JWS_ORDER, { header: { url: dir.newOrder.replace('127.0.0.1', 'localhost') } }),
  },
  {
    name: 'fail/url-header-missing',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { header: { url: undefined } }),
  },
  {
    name: 'fail/jwk-and-kid-both (§6.2)',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { keyRef: 'both' }),
  },
  {
    name: 'fail/neither-jwk-nor-kid',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { keyRef: 'none' }),
  },
  {
    name: 'fail/kid-on-new-account (§6.2: jwk required)',
    type: 'malformed',
    status: 400,
    send: async () =>
      (await a.sibling()).post(dir.newAccount, { termsOfServiceAgreed: true }, { keyRef: 'kid', kid: a.accountUrl }),
  },
  {
    name: 'fail/jwk-on-new-order (§6.2: kid required)',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { keyRef: 'jwk' }),
  },
  {
    name: 'fail/kid-unknown-account',
    type: 'accountDoesNotExist',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { kid: `${base()}/acme/account/${unknownId}` }),
  },
  {
    name: 'fail/kid-of-another-host',
    type: 'accountDoesNotExist',
    status: 400,
    send: () =>
      a.post(dir.newOrder, JWS_ORDER, { kid: (a.accountUrl as string).replace(base(), 'https://acme.example.com') }),
  },
  {
    name: 'fail/deactivated-account-post-as-get (§7.3.6: 401)',
    type: 'unauthorized',
    status: 401,
    send: () => d.postAsGet(d.accountUrl as string),
  },
  {
    name: 'fail/deactivated-account-new-order (§7.3.6: 401)',
    type: 'unauthorized',
    status: 401,
    send: () => d.post(dir.newOrder, JWS_ORDER),
  },
  {
    name: 'fail/deactivated-account-key-new-account (§7.3.6: 401)',
    type: 'unauthorized',
    status: 401,
    send: () => d.post(dir.newAccount, { termsOfServiceAgreed: true }, { keyRef: 'jwk' }),
  },
  {
    name: 'fail/jwk-with-private-d',
    type: 'malformed',
    status: 400,
    send: async () => {
      const key = await generateKey();
      const privateJwk = key.privateKey.export({ format: 'jwk' });
      return a.post(
        dir.newAccount,
        { termsOfServiceAgreed: true },
        { key, keyRef: 'jwk', header: { jwk: privateJwk } },
      );
    },
  },
  {
    name: 'fail/jwk-rsa-1024 (§6.2 badPublicKey)',
    type: 'badPublicKey',
    status: 400,
    send: async () =>
      a.post(dir.newAccount, { termsOfServiceAgreed: true }, { key: await generateKey('rsa-1024'), keyRef: 'jwk' }),
  },
  {
    name: 'fail/jwk-unsupported-curve-ed448 (§6.2 badPublicKey)',
    type: 'badPublicKey',
    status: 400,
    send: async () => {
      const key = await generateKey('ed25519');
      const jwk = { kty: 'OKP', crv: 'Ed448', x: b64u(randomBytes(57)) };
      return a.post(dir.newAccount, { termsOfServiceAgreed: true }, { key, keyRef: 'jwk', header: { jwk } });
    },
  },
  {
    name: 'fail/jwk-unsupported-curve-secp256k1',
    type: 'badPublicKey',
    status: 400,
    send: async () => {
      const key = await generateKey();
      const jwk = { ...key.jwk, crv: 'secp256k1' };
      return a.post(dir.newAccount, { termsOfServiceAgreed: true }, { key, keyRef: 'jwk', header: { jwk } });
    },
  },
  {
    name: 'fail/jwk-ec-point-not-on-curve (§6.2 badPublicKey)',
    type: 'badPublicKey',
    status: 400,
    send: async () => {
      const key = await generateKey();
      const jwk = { kty: 'EC', crv: 'P-256', x: b64u(Buffer.alloc(32, 1)), y: b64u(Buffer.alloc(32, 2)) };
      return a.post(dir.newAccount, { termsOfServiceAgreed: true }, { key, keyRef: 'jwk', header: { jwk } });
    },
  },
  {
    name: 'fail/jwk-symmetric-oct',
    type: 'badPublicKey',
    status: 400,
    send: async () =>
      a.post(
        dir.newAccount,
        { termsOfServiceAgreed: true },
        { keyRef: 'jwk', header: { jwk: { kty: 'oct', k: b64u(randomBytes(32)) } } },
      ),
  },
];

const bodyCases: BadCase[] = [
  {
    name: 'fail/body-larger-than-64KiB',
    type: 'malformed',
    status: 413,
    send: () => a.post(dir.newOrder, { ...JWS_ORDER, padding: 'x'.repeat(70 * 1024) }),
  },
  {
    name: 'fail/body-not-json',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, '', { rawBody: '{"protected": "eyJ' }),
  },
  {
    name: 'fail/body-json-array',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, '', { rawBody: '[]' }),
  },
  {
    name: 'fail/body-json-number',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, '', { rawBody: '42' }),
  },
  {
    name: 'fail/body-empty',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, '', { rawBody: '' }),
  },
  {
    name: 'fail/jws-general-serialization (signatures array)',
    type: 'malformed',
    status: 400,
    send: () =>
      a.post(dir.newOrder, JWS_ORDER, {
        transform: (jws) => ({
          payload: jws.payload,
          signatures: [{ protected: jws.protected, signature: jws.signature }],
        }),
      }),
  },
  {
    name: 'fail/jws-flattened-with-extra-signatures-array',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { signatures: [] }),
  },
  {
    name: 'fail/jws-unprotected-header (§6.2)',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { unprotected: { kid: 'x' } }),
  },
  {
    name: 'fail/jws-payload-missing (detached)',
    type: 'malformed',
    status: 400,
    send: () =>
      a.post(dir.newOrder, JWS_ORDER, {
        transform: (jws) => ({ protected: jws.protected, signature: jws.signature }),
      }),
  },
  {
    name: 'fail/payload-not-base64url',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { payloadB64: 'e30***' }),
  },
  {
    name: 'fail/payload-base64-with-padding (§6.1: trailing "=" rejected)',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { payloadB64: `${Buffer.from('{}').toString('base64')}` }),
  },
  {
    name: 'fail/payload-not-json',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, 'identifiers: pending.bad.test'),
  },
  {
    name: 'fail/protected-header-not-json',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { protectedB64: b64u('{"alg":') }),
  },
  {
    name: 'fail/protected-header-json-array',
    type: 'malformed',
    status: 400,
    send: () => a.post(dir.newOrder, JWS_ORDER, { protectedB64: b64uJson(['ES256']) }),
  },
  {
    name: 'fail/content-type-application-json (§6.2: 415)',
    type: 'malformed',
    status: 415,
    send: () => a.post(dir.newOrder, JWS_ORDER, { contentType: 'application/json' }),
  },
  {
    name: 'fail/content-type-missing (§6.2: 415)',
    type: 'malformed',
    status: 415,
    send: () => a.post(dir.newOrder, JWS_ORDER, { contentType: null }),
  },
  {
    name: 'fail/post-to-unknown-acme-resource',
    type: 'malformed',
    status: 404,
    send: () => a.post(`${base()}/acme/no-such-resource`, {}),
  },
];

const accountCases: BadCase[] = [
  {
    name: 'fail/new-account-contact-not-mailto',
    type: 'unsupportedContact',
    status: 400,
    send: async () => (await a.sibling()).createAccount({ termsOfServiceAgreed: true, contact: ['tel:+15555550100'] }),
  },
  {
    name: 'fail/new-account-contact-malformed-mailto',
    type: 'invalidContact',
    status: 400,
    send: async () =>
      (await a.sibling()).createAccount({ termsOfServiceAgreed: true, contact: ['mailto:not-an-address'] }),
  },
  {
    name: 'fail/new-account-contact-mailto-with-hfields',
    type: 'invalidContact',
    status: 400,
    send: async () =>
      (await a.sibling()).createAccount({
        termsOfServiceAgreed: true,
        contact: ['mailto:ops@example.test?subject=hi'],
      }),
  },
  {
    name: 'fail/new-account-contact-not-an-array',
    type: 'malformed',
    status: 400,
    send: async () =>
      (await a.sibling()).createAccount({ termsOfServiceAgreed: true, contact: 'mailto:ops@example.test' }),
  },
  {
    name: 'fail/new-account-only-return-existing-unknown-key (§7.3.1)',
    type: 'accountDoesNotExist',
    status: 400,
    send: async () => (await a.sibling()).createAccount({ onlyReturnExisting: true }),
  },
  {
    name: 'fail/new-account-payload-array',
    type: 'malformed',
    status: 400,
    send: async () => (await a.sibling()).post(dir.newAccount, [{ termsOfServiceAgreed: true }], { keyRef: 'jwk' }),
  },
  {
    name: 'fail/new-account-post-as-get',
    type: 'malformed',
    status: 400,
    send: async () => (await a.sibling()).post(dir.newAccount, '', { keyRef: 'jwk' }),
  },
  {
    name: 'fail/new-account-terms-not-boolean',
    type: 'malformed',
    status: 400,
    send: async () => (await a.sibling()).createAccount({ termsOfServiceAgreed: 'yes' }),
  },
  {
    name: 'fail/new-account-eab-garbage-on-a-non-eab-server',
    type: 'malformed',
    status: 400,
    send: async () => (await a.sibling()).createAccount({ termsOfServiceAgreed: true, externalAccountBinding: 'x' }),
  },
  {
    name: 'fail/account-update-status-valid (§7.3.6: only "deactivated")',
    type: 'malformed',
    status: 400,
    send: () => a.post(a.accountUrl as string, { status: 'valid' }),
  },
  {
    name: 'fail/account-update-contact-not-mailto',
    type: 'unsupportedContact',
    status: 400,
    send: () => a.post(a.accountUrl as string, { contact: ['https://example.test/me'] }),
  },
  {
    name: 'fail/account-update-of-another-account',
    type: 'unauthorized',
    status: 403,
    send: () => b.post(a.accountUrl as string, { contact: ['mailto:attacker@example.test'] }),
  },
  {
    name: 'fail/orders-list-bad-cursor',
    type: 'malformed',
    status: 400,
    send: () => a.postAsGet(`${a.accountUrl}/orders?after=${encodeURIComponent('../../x')}`),
  },
  {
    name: 'fail/orders-list-of-another-account',
    type: 'unauthorized',
    status: 403,
    send: () => b.postAsGet(`${a.accountUrl}/orders`),
  },
];

const orderCases: BadCase[] = [
  { name: 'fail/new-order-identifiers-empty', type: 'malformed', status: 400, send: () => order([]) },
  { name: 'fail/new-order-identifiers-not-an-array', type: 'malformed', status: 400, send: () => order('a.bad.test') },
  { name: 'fail/new-order-identifiers-missing', type: 'malformed', status: 400, send: () => a.post(dir.newOrder, {}) },
  {
    name: 'fail/new-order-identifier-not-an-object',
    type: 'malformed',
    status: 400,
    send: () => order(['a.bad.test']),
  },
  { name: 'fail/new-order-post-as-get', type: 'malformed', status: 400, send: () => a.postAsGet(dir.newOrder) },
  {
    name: 'fail/new-order-identifier-value-not-a-string',
    type: 'malformed',
    status: 400,
    send: () => order([{ type: 'dns', value: ['a.bad.test'] }]),
  },
  {
    name: 'fail/new-order-identifier-type-unknown',
    type: 'unsupportedIdentifier',
    status: 400,
    send: () => order([{ type: 'email', value: 'ops@example.test' }]),
  },
  {
    name: 'fail/new-order-dns-label-longer-than-63',
    type: 'rejectedIdentifier',
    status: 400,
    send: () => dnsOrder(`${'a'.repeat(64)}.bad.test`),
  },
  {
    name: 'fail/new-order-dns-underscore',
    type: 'rejectedIdentifier',
    status: 400,
    send: () => dnsOrder('_acme.bad.test'),
  },
  {
    name: 'fail/new-order-dns-double-dot',
    type: 'rejectedIdentifier',
    status: 400,
    send: () => dnsOrder('a..bad.test'),
  },
  {
    name: 'fail/new-order-dns-trailing-hyphen',
    type: 'rejectedIdentifier',
    status: 400,
    send: () => dnsOrder('host-.bad.test'),
  },
  {
    name: 'fail/new-order-dns-numeric-tld',
    type: 'rejectedIdentifier',
    status: 400,
    send: () => dnsOrder('host.bad.123'),
  },
  {
    name: 'fail/new-order-dns-wildcard-not-leftmost',
    type: 'rejectedIdentifier',
    status: 400,
    send: () => dnsOrder('a.*.bad.test'),
  },
  {
    name: 'fail/new-order-dns-name-is-an-ip',
    type: 'rejectedIdentifier',
    status: 400,
    send: () => dnsOrder('127.0.0.1'),
  },
  {
    name: 'fail/new-order-ip-out-of-range',
    type: 'rejectedIdentifier',
    status: 400,
    send: () => order([{ type: 'ip', value: '300.1.1.1' }]),
  },
  {
    name: 'fail/new-order-ipv6-with-zone-id',
    type: 'rejectedIdentifier',
    status: 400,
    send: () => order([{ type: 'ip', value: 'fe80::1%eth0' }]),
  },
  {
    name: 'fail/new-order-101-identifiers',
    type: 'rejectedIdentifier',
    status: 400,
    send: () => dnsOrder(...Array.from({ length: 101 }, (_, i) => `h${i}.bad.test`)),
  },
  {
    name: 'fail/new-order-two-bad-identifiers-give-subproblems (§6.7.1)',
    type: 'rejectedIdentifier',
    status: 400,
    send: () => dnsOrder('ok.bad.test', 'a..bad.test', '_b.bad.test'),
    also: (res) => {
      expect(res.body.identifier).toBeUndefined();
      expect(res.body.subproblems.map((p: { identifier: { value: string } }) => p.identifier.value).sort()).toEqual([
        '_b.bad.test',
        'a..bad.test',
      ]);
    },
  },
  {
    name: 'fail/problem-identifier-only-in-subproblems (§6.7.1)',
    type: 'rejectedIdentifier',
    status: 400,
    send: () => dnsOrder('a..bad.test'),
    // RFC 8555 §6.7.1: "The 'identifier' field MUST NOT be present at the top level in ACME problem documents."
    also: (res) => expect(res.body).not.toHaveProperty('identifier'),
  },
  {
    name: 'fail/new-order-not-after-before-not-before',
    type: 'malformed',
    status: 400,
    send: () => order(JWS_ORDER.identifiers, { notBefore: inFuture(7200e3), notAfter: inFuture(3600e3) }),
  },
  {
    name: 'fail/new-order-date-not-rfc3339',
    type: 'malformed',
    status: 400,
    send: () => order(JWS_ORDER.identifiers, { notAfter: 'tomorrow' }),
  },
  {
    name: 'fail/new-order-date-february-30th (RFC 3339 §5.7)',
    type: 'malformed',
    status: 400,
    send: () => order(JWS_ORDER.identifiers, { notBefore: '2025-02-30T00:00:00Z' }),
  },
  {
    name: 'fail/new-order-date-hour-24 (RFC 3339 §5.6)',
    type: 'malformed',
    status: 400,
    send: () => order(JWS_ORDER.identifiers, { notAfter: `${inFuture(86400e3).slice(0, 10)}T24:00:00Z` }),
  },
  {
    name: 'fail/new-order-validity-entirely-in-the-past',
    type: 'malformed',
    status: 400,
    // A certificate valid for one day in 2020: notAfter is after notBefore but not in the future.
    send: () => order(JWS_ORDER.identifiers, { notBefore: '2020-01-01T00:00:00Z', notAfter: '2020-01-02T00:00:00Z' }),
  },
  {
    name: 'fail/new-order-profile-unknown',
    type: 'invalidProfile',
    status: 400,
    send: () => order(JWS_ORDER.identifiers, { profile: 'no-such-profile' }),
  },
  {
    name: 'fail/new-order-profile-named-like-an-object-property',
    type: 'invalidProfile',
    status: 400,
    send: () => order(JWS_ORDER.identifiers, { profile: 'constructor' }),
  },
  {
    name: 'fail/new-order-replaces-garbage (RFC 9773)',
    type: 'malformed',
    status: 400,
    send: () => order([{ type: 'dns', value: 'issued.bad.test' }], { replaces: 'not a cert id' }),
  },
  {
    name: 'fail/new-order-replaces-unknown-certificate (RFC 9773)',
    type: 'malformed',
    status: 400,
    send: () =>
      order([{ type: 'dns', value: 'issued.bad.test' }], {
        replaces: `${certIdOf(f.issued.certDer).split('.')[0]}.${b64u(Buffer.from([1, 2, 3, 4]))}`,
      }),
  },
  {
    name: 'fail/new-order-replaces-another-accounts-certificate (RFC 9773)',
    type: 'unauthorized',
    status: 403,
    send: () => b.newOrder(['issued.bad.test'], { replaces: certIdOf(f.issued.certDer) }),
  },
];

const finalizeCases: BadCase[] = [
  {
    name: 'fail/finalize-csr-names-an-extra-name',
    type: 'badCSR',
    status: 400,
    send: () => finalizeWith(['ready-a.bad.test', 'ready-b.bad.test', 'extra.bad.test']),
  },
  {
    name: 'fail/finalize-csr-misses-a-name',
    type: 'badCSR',
    status: 400,
    send: () => finalizeWith(['ready-a.bad.test']),
  },
  {
    name: 'fail/finalize-csr-common-name-not-in-order',
    type: 'badCSR',
    status: 400,
    send: () => finalizeWith(['ready-a.bad.test', 'ready-b.bad.test'], { commonName: 'cn.bad.test' }),
  },
  {
    name: 'fail/finalize-csr-uri-san',
    type: 'badCSR',
    status: 400,
    send: () =>
      finalizeWith(['ready-a.bad.test', 'ready-b.bad.test'], {
        extraSans: [{ type: 'url', value: 'spiffe://bad.test/x' }],
      }),
  },
  {
    // RFC 8555 §6.7: badCSR is "The CSR is unacceptable (e.g., due to a short key)"; badPublicKey is for JWS keys.
    name: 'fail/finalize-csr-weak-rsa-1024-key',
    type: 'badCSR',
    status: 400,
    send: async () => finalizeWith(['ready-a.bad.test', 'ready-b.bad.test'], { key: await generateKey('rsa-1024') }),
  },
  {
    name: 'fail/finalize-csr-key-is-the-account-key (§11.1)',
    type: 'badCSR',
    status: 400,
    send: () => finalizeWith(['ready-a.bad.test', 'ready-b.bad.test'], { key: a.key }),
  },
  {
    name: 'fail/finalize-csr-signature-tampered',
    type: 'badCSR',
    status: 400,
    send: async () => {
      const der = Buffer.from((await createCsr(['ready-a.bad.test', 'ready-b.bad.test'])).der);
      der[der.length - 5] ^= 0x55;
      return a.post(f.readyFinalize, { csr: b64u(der) });
    },
  },
  {
    name: 'fail/finalize-csr-garbage-der',
    type: 'badCSR',
    status: 400,
    send: () => a.post(f.readyFinalize, { csr: b64u(randomBytes(200)) }),
  },
  {
    name: 'fail/finalize-csr-not-base64url',
    type: 'malformed',
    status: 400,
    send: () => a.post(f.readyFinalize, { csr: 'MIIB+/==' }),
  },
  {
    name: 'fail/finalize-csr-with-an-unparseable-public-key',
    type: 'badCSR',
    status: 400,
    send: async () =>
      a.post(f.readyFinalize, {
        csr: b64u(replaceEcKeyOid(Buffer.from((await createCsr(['ready-a.bad.test', 'ready-b.bad.test'])).der))),
      }),
  },
  { name: 'fail/finalize-csr-missing', type: 'malformed', status: 400, send: () => a.post(f.readyFinalize, {}) },
  { name: 'fail/finalize-post-as-get', type: 'malformed', status: 400, send: () => a.postAsGet(f.readyFinalize) },
  {
    name: 'fail/finalize-pending-order (§7.4 orderNotReady)',
    type: 'orderNotReady',
    status: 403,
    send: async () => a.post(f.pendingFinalize, { csr: b64u((await createCsr(['pending.bad.test'])).der) }),
  },
];

const ownershipCases: BadCase[] = [
  { name: 'fail/order-of-another-account', type: 'unauthorized', status: 403, send: () => b.postAsGet(f.pendingOrder) },
  { name: 'fail/authz-of-another-account', type: 'unauthorized', status: 403, send: () => b.postAsGet(f.pendingAuthz) },
  {
    name: 'fail/authz-deactivation-by-another-account',
    type: 'unauthorized',
    status: 403,
    send: () => b.post(f.pendingAuthz, { status: 'deactivated' }),
  },
  {
    name: 'fail/challenge-of-another-account',
    type: 'unauthorized',
    status: 403,
    send: () => b.post(f.pendingChallenge, {}),
  },
  {
    name: 'fail/certificate-of-another-account',
    type: 'unauthorized',
    status: 403,
    send: () => b.postAsGet(f.issued.certUrl),
  },
  {
    name: 'fail/finalize-another-accounts-order',
    type: 'unauthorized',
    status: 403,
    send: async () =>
      b.post(f.readyFinalize, { csr: b64u((await createCsr(['ready-a.bad.test', 'ready-b.bad.test'])).der) }),
  },
  {
    name: 'fail/order-unknown-id',
    type: 'malformed',
    status: 404,
    send: () => a.postAsGet(`${base()}/acme/order/${unknownId}`),
  },
  {
    name: 'fail/authz-unknown-id',
    type: 'malformed',
    status: 404,
    send: () => a.postAsGet(`${base()}/acme/authz/${unknownId}`),
  },
  {
    name: 'fail/challenge-unknown-id',
    type: 'malformed',
    status: 404,
    send: () => a.post(`${base()}/acme/chall/${unknownId}`, {}),
  },
  {
    name: 'fail/certificate-unknown-id',
    type: 'malformed',
    status: 404,
    send: () => a.postAsGet(`${base()}/acme/cert/abcdef0123`),
  },
  {
    name: 'fail/challenge-payload-array',
    type: 'malformed',
    status: 400,
    send: () => a.post(f.pendingChallenge, []),
  },
  {
    name: 'fail/challenge-payload-json-string',
    type: 'malformed',
    status: 400,
    send: () => a.post(f.pendingChallenge, '"go"'),
  },
  {
    name: 'fail/authz-update-status-valid',
    type: 'malformed',
    status: 400,
    send: () => a.post(f.pendingAuthz, { status: 'valid' }),
  },
  {
    name: 'fail/renewal-info-garbage-cert-id (RFC 9773)',
    type: 'malformed',
    status: 400,
    get: true,
    send: () => a.get(`${dir.renewalInfo}/not-a-cert-id`),
  },
  {
    name: 'fail/renewal-info-unknown-certificate (RFC 9773)',
    type: 'malformed',
    status: 404,
    get: true,
    send: () => a.get(`${dir.renewalInfo}/${certIdOf(f.issued.certDer).split('.')[0]}.${b64u(Buffer.from([1, 2, 3]))}`),
  },
  ...(['newOrder', 'order', 'finalize', 'account', 'certificate', 'keyChange'] as const).map((what): BadCase => ({
    name: `fail/get-on-post-only-resource-${what} (§6.3: 405)`,
    type: 'malformed',
    status: 405,
    get: true,
    send: () => {
      const url = {
        newOrder: dir.newOrder,
        order: f.pendingOrder,
        finalize: f.readyFinalize,
        account: a.accountUrl as string,
        certificate: f.issued.certUrl,
        keyChange: dir.keyChange,
      }[what];
      return a.get(url);
    },
    also: (res) => expect(res.headers.allow).toMatch(/POST/),
  })),
];

const revokeCases: BadCase[] = [
  {
    name: 'fail/revoke-certificate-not-issued-here',
    type: 'malformed',
    status: 404,
    send: async () => revoke(a, { certificate: b64u((await selfSignedCertificate()).der) }),
  },
  {
    name: 'fail/revoke-certificate-with-an-unparseable-public-key',
    type: 'malformed',
    status: 404,
    send: async () => revoke(await a.sibling(), { certificate: b64u(await withUnknownKeyAlgorithm()) }, 'jwk'),
  },
  {
    name: 'fail/revoke-reason-7-unassigned (§7.6)',
    type: 'badRevocationReason',
    status: 400,
    send: () => revoke(a, { certificate: b64u(f.issued.certDer), reason: 7 }),
  },
  {
    name: 'fail/revoke-reason-not-an-integer',
    type: 'badRevocationReason',
    status: 400,
    send: () => revoke(a, { certificate: b64u(f.issued.certDer), reason: 'keyCompromise' }),
  },
  {
    name: 'fail/revoke-already-revoked (§7.6)',
    type: 'alreadyRevoked',
    status: 400,
    send: () => revoke(a, { certificate: b64u(f.revoked.certDer) }),
  },
  {
    name: 'fail/revoke-signed-by-an-unrelated-jwk (§7.6)',
    type: 'unauthorized',
    status: 403,
    send: async () => revoke(await a.sibling(), { certificate: b64u(f.issued.certDer) }, 'jwk'),
  },
  {
    name: 'fail/revoke-by-another-account (§7.6)',
    type: 'unauthorized',
    status: 403,
    send: () => revoke(b, { certificate: b64u(f.issued.certDer) }),
  },
  {
    name: 'fail/revoke-certificate-not-base64url',
    type: 'malformed',
    status: 400,
    send: () => revoke(a, { certificate: 'MIIB+/==' }),
  },
  {
    name: 'fail/revoke-certificate-garbage-der',
    type: 'malformed',
    status: 400,
    send: () => revoke(a, { certificate: b64u(randomBytes(300)) }),
  },
];

const keyChangeCases: BadCase[] = [
  {
    name: 'fail/key-change-payload-not-a-jws',
    type: 'malformed',
    status: 400,
    send: () => keyChange({ account: a.accountUrl, oldKey: a.key.jwk }),
  },
  {
    name: 'fail/key-change-inner-url-mismatch (§7.3.5 step 6)',
    type: 'malformed',
    status: 400,
    send: async () => keyChange(await a.keyChangeInner(await generateKey(), { header: { url: dir.newAccount } })),
  },
  {
    name: 'fail/key-change-inner-old-key-mismatch (§7.3.5 step 8)',
    type: 'unauthorized',
    status: 403,
    send: async () => keyChange(await a.keyChangeInner(await generateKey(), { oldKey: b.key.jwk })),
  },
  {
    name: 'fail/key-change-inner-account-mismatch (§7.3.5 step 7)',
    type: 'unauthorized',
    status: 403,
    send: async () => keyChange(await a.keyChangeInner(await generateKey(), { account: b.accountUrl })),
  },
  {
    name: 'fail/key-change-to-the-same-key',
    type: 'malformed',
    status: 400,
    send: async () => keyChange(await a.keyChangeInner(a.key)),
  },
  {
    name: 'fail/key-change-inner-signed-with-another-key (§7.3.5 step 4)',
    type: 'malformed',
    status: 400,
    send: async () =>
      keyChange(await a.keyChangeInner(await generateKey(), { signingKey: (await generateKey()).privateKey })),
  },
  {
    name: 'fail/key-change-inner-has-a-nonce',
    type: 'malformed',
    status: 400,
    send: async () => keyChange(await a.keyChangeInner(await generateKey(), { header: { nonce: await a.nonce() } })),
  },
  {
    name: 'fail/key-change-inner-uses-kid',
    type: 'malformed',
    status: 400,
    send: async () =>
      keyChange(await a.keyChangeInner(await generateKey(), { header: { jwk: undefined, kid: a.accountUrl } })),
  },
  {
    name: 'fail/key-change-inner-alg-none',
    type: 'badSignatureAlgorithm',
    status: 400,
    send: async () => keyChange(await a.keyChangeInner(await generateKey(), { header: { alg: 'none' } })),
  },
  {
    name: 'fail/key-change-new-key-rsa-1024',
    type: 'badPublicKey',
    status: 400,
    send: async () => keyChange(await a.keyChangeInner(await generateKey('rsa-1024'))),
  },
  {
    name: 'fail/key-change-new-key-held-by-another-account (§7.3.5: 409 + Location)',
    type: 'malformed',
    status: 409,
    send: async () => keyChange(await a.keyChangeInner(b.key)),
    also: (res) => expect(res.headers.location).toBe(b.accountUrl),
  },
];

const newEabAccount = async (binding?: (client: AcmeTestClient) => Promise<unknown>) => {
  const client = await eabClient.sibling();
  const payload: Record<string, unknown> = { termsOfServiceAgreed: true };
  if (binding) payload.externalAccountBinding = await binding(client);
  return client.createAccount(payload);
};
const hmac = () => eab.keys.get('eab-kid-1') as Uint8Array;

const eabCases: BadCase[] = [
  {
    name: 'fail/eab-required-but-missing (§7.3.4)',
    type: 'externalAccountRequired',
    status: 403,
    eab: true,
    send: () => newEabAccount(),
  },
  {
    name: 'fail/eab-unknown-kid',
    type: 'unauthorized',
    status: 403,
    eab: true,
    send: () => newEabAccount((c) => c.externalAccountBinding('no-such-kid', hmac())),
  },
  {
    name: 'fail/eab-wrong-mac',
    type: 'unauthorized',
    status: 403,
    eab: true,
    send: () => newEabAccount((c) => c.externalAccountBinding('eab-kid-1', randomBytes(32))),
  },
  {
    name: 'fail/eab-url-is-not-new-account',
    type: 'unauthorized',
    status: 403,
    eab: true,
    send: () =>
      newEabAccount(async (c) =>
        c.externalAccountBinding('eab-kid-1', hmac(), { url: (await c.directory()).newOrder }),
      ),
  },
  {
    name: 'fail/eab-payload-is-another-key',
    type: 'unauthorized',
    status: 403,
    eab: true,
    send: () =>
      newEabAccount(async (c) => c.externalAccountBinding('eab-kid-1', hmac(), { jwk: (await generateKey()).jwk })),
  },
  {
    name: 'fail/eab-signed-with-an-asymmetric-alg',
    type: 'malformed',
    status: 400,
    eab: true,
    send: () =>
      newEabAccount(async (c) => {
        const url = (await c.directory()).newAccount;
        return flattenedJws({ alg: 'ES256', kid: 'eab-kid-1', url }, JSON.stringify(c.key.jwk), c.key.privateKey);
      }),
  },
  {
    name: 'fail/eab-with-a-nonce',
    type: 'malformed',
    status: 400,
    eab: true,
    send: () =>
      newEabAccount((c) => c.externalAccountBinding('eab-kid-1', hmac(), { header: { nonce: b64u(randomBytes(16)) } })),
  },
  {
    name: 'fail/eab-not-a-jws',
    type: 'malformed',
    status: 400,
    eab: true,
    send: () => newEabAccount(async () => 'eab-kid-1'),
  },
];

const cases: BadCase[] = [
  ...jwsCases,
  ...bodyCases,
  ...accountCases,
  ...orderCases,
  ...finalizeCases,
  ...ownershipCases,
  ...revokeCases,
  ...keyChangeCases,
  ...eabCases,
];

describe('hostile and malformed ACME requests', () => {
  it('has a catalogue of distinct cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it('reads the live database (the unchanged-state checks are not vacuous)', () => {
    const snapshot = db.snapshot();
    expect(Object.keys(snapshot)).toEqual(
      expect.arrayContaining(['accounts', 'orders', 'authorizations', 'challenges', 'certificates', 'eab_keys']),
    );
    expect(Object.keys(snapshot)).not.toContain('nonces');
    expect(snapshot.accounts.length).toBeGreaterThanOrEqual(3);
    expect(snapshot.certificates.length).toBeGreaterThanOrEqual(2);
    expect(eabDb.snapshot().eab_keys).toHaveLength(1);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const snapshotter = c.eab ? eabDb : db;
    const before = snapshotter.snapshot();
    const res = await c.send();
    const after = snapshotter.snapshot();

    // The detail is part of the comparison so that a failure shows what the server said.
    const got = { status: res.status, type: res.body?.type, detail: res.body?.detail ?? res.body };
    expect(got).toEqual({ status: c.status, type: PREFIX + c.type, detail: expect.any(String) });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.status).toBe(c.status);
    // §6.5: error responses to POSTs carry a fresh nonce too.
    if (!c.get) expect(res.headers['replay-nonce']).toMatch(/^[A-Za-z0-9_-]+$/);
    c.also?.(res);
    expect(after).toEqual(before);
  });
});

describe('rate limiting (§6.6)', () => {
  it('fail/fourth-quick-request-from-one-ip-is-rate-limited', async () => {
    const limited = await startRotor({ rateLimitPerIp: 1, rateLimitBurst: 3 });
    try {
      const client = await AcmeTestClient.create({ directoryUrl: limited.directoryUrl, agent: limited.agent });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await client.get(limited.directoryUrl)).status);
      expect(statuses).toEqual([200, 200, 200]);
      const res = await client.request(limited.directoryUrl.replace(/directory$/, 'new-account'), {
        method: 'POST',
        headers: { 'content-type': 'application/jose+json' },
        body: '{}',
      });
      expect(res.status).toBe(429);
      expect(res.body.type).toBe(`${PREFIX}rateLimited`);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(res.headers['replay-nonce']).toMatch(/^[A-Za-z0-9_-]+$/);
    } finally {
      await limited.stop();
    }
  });
});
