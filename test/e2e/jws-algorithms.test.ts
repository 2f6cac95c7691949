/**
 * Every JWS algorithm the issue lists is accepted for account keys (RFC 8555
 * §6.2): an account is created with it and an order placed with it.
 */
import { AcmeTestClient, generateKey, KeyKind, startRotor, TestRotor } from '@rotor/testing';

jest.setTimeout(30_000);

let rotor: TestRotor;

beforeAll(async () => {
  rotor = await startRotor();
});

afterAll(async () => {
  await rotor?.stop();
});

const CASES: [string, KeyKind, string][] = [
  ['ok/ES256', 'ec-p256', 'ES256'],
  ['ok/ES384', 'ec-p384', 'ES384'],
  ['ok/ES512', 'ec-p521', 'ES512'],
  ['ok/RS256', 'rsa-2048', 'RS256'],
  ['ok/RS384', 'rsa-2048', 'RS384'],
  ['ok/RS512', 'rsa-2048', 'RS512'],
  ['ok/PS256', 'rsa-2048', 'PS256'],
  ['ok/PS384', 'rsa-2048', 'PS384'],
  ['ok/PS512', 'rsa-2048', 'PS512'],
  ['ok/EdDSA', 'ed25519', 'EdDSA'],
  ['ok/Ed25519 (RFC 9864 name)', 'ed25519', 'Ed25519'],
];

describe('accepted JWS algorithms', () => {
  it.each(CASES)('%s', async (_name, kind, alg) => {
    const key = { ...(await generateKey(kind)), alg };
    const client = await AcmeTestClient.create({ directoryUrl: rotor.directoryUrl, agent: rotor.agent, key });
    const account = await client.createAccount();
    expect(account.status).toBe(201);
    const order = await client.newOrder([`${alg.toLowerCase()}.alg.test`]);
    expect(order.status).toBe(201);
    expect(order.body.status).toBe('pending');
  });
});
