/**
 * Account and order lifecycle over HTTPS with the raw test client: the happy
 * paths acme-client.test.ts does not reach (repeated newAccount, contact
 * updates, key rollover, deactivation, the orders list, authorization
 * deactivation, External Account Binding with a DNS-suffix scope, `replaces`,
 * ARI for a revoked certificate, the directory's meta).
 */
import { X509Certificate } from 'node:crypto';
import {
  AcmeTestClient,
  b64u,
  certIdOf,
  ChallTestSrv,
  Directory,
  generateKey,
  Http01Responder,
  startChallTestSrv,
  startRotor,
  TestRotor,
} from '@rotor/testing';
import { EabRotor, startEabRotor } from './eab-fixture';

jest.setTimeout(30_000);

const PREFIX = 'urn:ietf:params:acme:error:';
const NAMES = ['life-a.test', 'life-b.test', 'life-ari.test', 'life-mtls.test', 'life-replace.test'];
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let dns: ChallTestSrv;
let http01: Http01Responder;
let rotor: TestRotor;
let eab: EabRotor;
let dir: Directory;

/** A client with a fresh key and a new account on the main server. */
async function newAccount(): Promise<AcmeTestClient> {
  const client = await AcmeTestClient.create({ directoryUrl: rotor.directoryUrl, agent: rotor.agent });
  expect((await client.createAccount()).status).toBe(201);
  return client;
}

beforeAll(async () => {
  dns = await startChallTestSrv();
  for (const name of NAMES) await dns.addA(name, ['127.0.0.1']);
  http01 = await new Http01Responder().start();
  [rotor, eab] = await Promise.all([
    startRotor({ http01Port: http01.port, dnsResolver: dns.dnsResolver }),
    startEabRotor([{ kid: 'scoped', allowedDnsSuffixes: ['eab.test'] }]),
  ]);
  dir = await (await AcmeTestClient.create({ directoryUrl: rotor.directoryUrl, agent: rotor.agent })).directory();
});

afterAll(async () => {
  await rotor?.stop();
  await eab?.rotor.stop();
  await http01?.stop();
  await dns?.stop();
});

describe('directory (RFC 8555 §7.1.1)', () => {
  it('ok/directory-lists-every-resource-and-meta', async () => {
    const base = rotor.baseUrl;
    expect(dir).toMatchObject({
      newNonce: `${base}/acme/new-nonce`,
      newAccount: `${base}/acme/new-account`,
      newOrder: `${base}/acme/new-order`,
      revokeCert: `${base}/acme/revoke-cert`,
      keyChange: `${base}/acme/key-change`,
      renewalInfo: `${base}/acme/renewal-info`,
    });
    expect(Object.keys(dir.meta?.profiles ?? {}).sort()).toEqual(['client', 'mtls', 'server']);
    expect(dir.meta?.externalAccountRequired).toBe(false);
    const eabDir = await (
      await AcmeTestClient.create({ directoryUrl: eab.rotor.directoryUrl, agent: eab.rotor.agent })
    ).directory();
    expect(eabDir.meta?.externalAccountRequired).toBe(true);
  });

  it('ok/new-nonce-head-200-get-204 (§7.2)', async () => {
    const client = await AcmeTestClient.create({ directoryUrl: rotor.directoryUrl, agent: rotor.agent });
    const head = await client.request(dir.newNonce, { method: 'HEAD' });
    const get = await client.get(dir.newNonce);
    expect([head.status, get.status]).toEqual([200, 204]);
    for (const res of [head, get]) {
      expect(res.nonce).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(res.headers['cache-control']).toMatch(/no-store/);
    }
    expect(head.nonce).not.toBe(get.nonce);
  });

  it('ok/post-as-get-directory-and-new-nonce (§6.3: MUST be allowed)', async () => {
    const client = await newAccount();
    const directory = await client.postAsGet(rotor.directoryUrl);
    expect(directory.status).toBe(200);
    expect(directory.body).toEqual(dir);
    const nonce = await client.postAsGet(dir.newNonce);
    expect([200, 204]).toContain(nonce.status);
    expect(nonce.nonce).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe('accounts (RFC 8555 §7.3)', () => {
  it('ok/new-account-twice-with-one-key-returns-the-same-account (§7.3.1)', async () => {
    const client = await AcmeTestClient.create({ directoryUrl: rotor.directoryUrl, agent: rotor.agent });
    const first = await client.createAccount({ termsOfServiceAgreed: true, contact: ['mailto:ops@example.test'] });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'valid', contact: ['mailto:ops@example.test'] });
    const second = await client.createAccount({ termsOfServiceAgreed: true });
    expect(second.status).toBe(200);
    expect(second.location).toBe(first.location);
    const existing = await client.createAccount({ onlyReturnExisting: true });
    expect(existing.status).toBe(200);
    expect(existing.location).toBe(first.location);
    expect(existing.body.contact).toEqual(['mailto:ops@example.test']);
  });

  it('ok/contact-update (§7.3.2)', async () => {
    const client = await newAccount();
    const updated = await client.post(client.accountUrl as string, {
      contact: ['mailto:a@example.test', 'mailto:b@example.test'],
    });
    expect(updated.status).toBe(200);
    expect(updated.body.contact).toEqual(['mailto:a@example.test', 'mailto:b@example.test']);
    expect((await client.postAsGet(client.accountUrl as string)).body.contact).toEqual([
      'mailto:a@example.test',
      'mailto:b@example.test',
    ]);
    // An empty object changes nothing (§7.3.2 "fields it wants to update").
    expect((await client.post(client.accountUrl as string, {})).body.contact).toHaveLength(2);
    expect((await client.post(client.accountUrl as string, { contact: [] })).body.contact).toEqual([]);
  });

  it('ok/key-change-rolls-the-key-and-the-old-one-stops-working (§7.3.5)', async () => {
    const client = await newAccount();
    const accountUrl = client.accountUrl as string;
    const oldKey = client.key;
    const newKey = await generateKey('ec-p256');

    const rolled = await client.post(dir.keyChange, await client.keyChangeInner(newKey));
    expect(rolled.status).toBe(200);
    expect(rolled.body.status).toBe('valid');

    // The old key no longer identifies an account…
    const withOldKey = await client.sibling(oldKey);
    const lookup = await withOldKey.createAccount({ onlyReturnExisting: true });
    expect(lookup.status).toBe(400);
    expect(lookup.body.type).toBe(`${PREFIX}accountDoesNotExist`);
    // …and a request signed by it under the account URL does not verify.
    const signedByOld = await withOldKey.postAsGet(accountUrl, { kid: accountUrl });
    expect(signedByOld.status).toBe(400);
    expect(signedByOld.body.type).toBe(`${PREFIX}malformed`);

    // The new key works under the same account URL.
    client.key = newKey;
    expect((await client.postAsGet(accountUrl)).status).toBe(200);
    const found = await (await client.sibling(newKey)).createAccount({ onlyReturnExisting: true });
    expect(found.status).toBe(200);
    expect(found.location).toBe(accountUrl);
    expect((await client.newOrder(['life-a.test'])).status).toBe(201);
  });

  it('ok/deactivation-is-final (§7.3.6)', async () => {
    const client = await newAccount();
    const accountUrl = client.accountUrl as string;
    const order = await client.newOrder(['life-a.test']);
    const deactivated = await client.post(accountUrl, { status: 'deactivated' });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.status).toBe('deactivated');
    // §7.3.6: "If a server receives a POST or POST-as-GET from a deactivated account, it MUST return
    // an error response with status code 401 (Unauthorized) and type ...:unauthorized".
    for (const res of [
      await client.postAsGet(accountUrl),
      await client.postAsGet(order.location as string),
      await client.newOrder(['life-b.test']),
    ]) {
      expect({ status: res.status, type: res.body.type }).toEqual({ status: 401, type: `${PREFIX}unauthorized` });
    }
  });
});

describe('orders and authorizations (RFC 8555 §7.1.2.1, §7.5.2)', () => {
  it('ok/orders-list-contains-the-accounts-orders-only', async () => {
    const client = await newAccount();
    const other = await newAccount();
    const first = await client.newOrder(['life-a.test']);
    const second = await client.newOrder(['life-a.test', 'life-b.test']);
    const foreign = await other.newOrder(['life-a.test']);
    const account = await client.postAsGet(client.accountUrl as string);
    const list = await client.postAsGet(account.body.orders);
    expect(list.status).toBe(200);
    expect(list.body.orders).toEqual(expect.arrayContaining([first.location, second.location]));
    expect(list.body.orders).not.toContain(foreign.location);
    expect(list.body.orders).toHaveLength(2);
  });

  it('ok/authorization-deactivation-invalidates-the-order (§7.5.2, §7.1.6)', async () => {
    const client = await newAccount();
    const order = await client.newOrder(['life-a.test']);
    const [authzUrl] = order.body.authorizations as string[];
    const deactivated = await client.post(authzUrl, { status: 'deactivated' });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.status).toBe('deactivated');
    expect((await client.postAsGet(authzUrl)).body.status).toBe('deactivated');
    expect((await client.postAsGet(order.location as string)).body.status).toBe('invalid');
  });

  it('ok/profile-mtls-issues-server-and-client-auth', async () => {
    const client = await newAccount();
    const issued = await client.issue(['life-mtls.test'], http01, { profile: 'mtls' });
    expect((await client.postAsGet(issued.orderUrl)).body.profile).toBe('mtls');
    expect(new X509Certificate(issued.certDer).keyUsage).toEqual(expect.arrayContaining([SERVER_AUTH, CLIENT_AUTH]));
  });

  it('ok/replaces-links-a-renewal-and-a-second-replacement-is-refused (RFC 9773 §5)', async () => {
    const client = await newAccount();
    const first = await client.issue(['life-replace.test'], http01);
    const certId = certIdOf(first.certDer);
    const renewal = await client.issue(['life-replace.test'], http01, { replaces: certId });
    expect((await client.postAsGet(renewal.orderUrl)).body.replaces).toBe(certId);
    const again = await client.newOrder(['life-replace.test'], { replaces: certId });
    expect({ status: again.status, type: again.body.type }).toEqual({ status: 409, type: `${PREFIX}alreadyReplaced` });
  });
});

describe('renewal information (RFC 9773)', () => {
  it('ok/ari-for-a-revoked-certificate-suggests-a-window-in-the-past', async () => {
    const client = await newAccount();
    const issued = await client.issue(['life-ari.test'], http01);
    const certId = certIdOf(issued.certDer);
    const before = await client.get(`${dir.renewalInfo}/${certId}`);
    expect(before.status).toBe(200);
    expect(Date.parse(before.body.suggestedWindow.start)).toBeGreaterThan(Date.now());

    expect((await client.post(dir.revokeCert, { certificate: b64u(issued.certDer), reason: 1 })).status).toBe(200);
    const after = await client.get(`${dir.renewalInfo}/${certId}`);
    expect(after.status).toBe(200);
    expect(Number(after.headers['retry-after'])).toBeGreaterThan(0);
    const { start, end } = after.body.suggestedWindow;
    expect(Date.parse(start)).toBeLessThan(Date.parse(end));
    expect(Date.parse(end)).toBeLessThan(Date.now());
  });
});

describe('external account binding (RFC 8555 §7.3.4)', () => {
  it('ok/eab-binds-once-and-scopes-orders-to-its-dns-suffix', async () => {
    const hmacKey = eab.keys.get('scoped') as Uint8Array;
    const client = await AcmeTestClient.create({ directoryUrl: eab.rotor.directoryUrl, agent: eab.rotor.agent });
    const created = await client.createAccount({
      termsOfServiceAgreed: true,
      externalAccountBinding: await client.externalAccountBinding('scoped', hmacKey),
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('valid');

    const inside = await client.newOrder(['svc.eab.test', 'eab.test']);
    expect(inside.status).toBe(201);
    const outside = await client.newOrder(['svc.eab.test', 'svc.other.test']);
    expect({ status: outside.status, type: outside.body.type }).toEqual({
      status: 400,
      type: `${PREFIX}rejectedIdentifier`,
    });
    expect(outside.body.detail).toContain('svc.other.test');
    const lookalike = await client.newOrder(['noteab.test']);
    expect(lookalike.body.type).toBe(`${PREFIX}rejectedIdentifier`);

    // The same EAB key cannot bind a second account.
    const second = await client.sibling();
    const reused = await second.createAccount({
      termsOfServiceAgreed: true,
      externalAccountBinding: await second.externalAccountBinding('scoped', hmacKey),
    });
    expect({ status: reused.status, type: reused.body.type }).toEqual({ status: 403, type: `${PREFIX}unauthorized` });
    // The bound account itself is found again without a binding.
    expect((await client.createAccount({ onlyReturnExisting: true })).location).toBe(created.location);
  });
});
