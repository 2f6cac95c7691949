/**
 * A raw ACME client for tests and benchmarks (RFC 8555 over node:https).
 *
 * Unlike a real client it lets a caller override every part of a request:
 * protected header fields (alg, nonce, url, jwk and kid together, extra
 * members), the payload and signature segments, the Content-Type, the
 * unprotected "header", a "signatures" array, or the whole body. Signing goes
 * through node:crypto directly (not jose's signers) so that keys jose refuses
 * to sign with (RSA-1024, HMAC outside EAB, "none") can still be sent.
 */
import 'reflect-metadata';
import {
  constants as cryptoConstants,
  createHash,
  createHmac,
  KeyObject,
  sign as nodeSign,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import * as x509 from '@peculiar/x509';
import { calculateJwkThumbprint, type JWK } from 'jose';

// The x509 crypto provider is process-wide and the server under test may pick
// another one; every call here passes Node's WebCrypto explicitly instead.
type X509Crypto = Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[1];
type X509Keys = Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'];
const webCrypto = webcrypto as unknown as X509Crypto;

// ---------------------------------------------------------------- encoding

export const b64u = (data: Uint8Array | string): string => Buffer.from(data).toString('base64url');
export const b64uJson = (value: unknown): string => b64u(JSON.stringify(value));

// ---------------------------------------------------------------- keys

export type KeyKind = 'ec-p256' | 'ec-p384' | 'ec-p521' | 'rsa-2048' | 'rsa-1024' | 'ed25519';

/** An asymmetric key usable both for JWS (KeyObject) and for CSRs (WebCrypto). */
export interface TestKey {
  kind: KeyKind;
  /** The JWS "alg" this key signs with by default. */
  alg: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  cryptoKeys: webcrypto.CryptoKeyPair;
  /** Public JWK: only the public members RFC 7638 thumbprints use. */
  jwk: JWK;
}

const KEY_PARAMS: Record<
  KeyKind,
  { gen: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | { name: string }; alg: string }
> = {
  'ec-p256': { gen: { name: 'ECDSA', namedCurve: 'P-256' }, alg: 'ES256' },
  'ec-p384': { gen: { name: 'ECDSA', namedCurve: 'P-384' }, alg: 'ES384' },
  'ec-p521': { gen: { name: 'ECDSA', namedCurve: 'P-521' }, alg: 'ES512' },
  'rsa-2048': {
    gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    alg: 'RS256',
  },
  'rsa-1024': {
    gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    alg: 'RS256',
  },
  ed25519: { gen: { name: 'Ed25519' }, alg: 'EdDSA' },
};

const PUBLIC_MEMBERS: Record<string, string[]> = { EC: ['crv', 'x', 'y'], RSA: ['n', 'e'], OKP: ['crv', 'x'] };

export async function generateKey(kind: KeyKind = 'ec-p256'): Promise<TestKey> {
  const { gen, alg } = KEY_PARAMS[kind];
  const cryptoKeys = (await webcrypto.subtle.generateKey(gen as webcrypto.EcKeyGenParams, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const privateKey = KeyObject.from(cryptoKeys.privateKey);
  const publicKey = KeyObject.from(cryptoKeys.publicKey);
  const full = publicKey.export({ format: 'jwk' }) as JWK;
  const jwk: JWK = { kty: full.kty };
  for (const name of PUBLIC_MEMBERS[full.kty as string])
    (jwk as Record<string, unknown>)[name] = (full as Record<string, unknown>)[name];
  return { kind, alg, privateKey, publicKey, cryptoKeys, jwk };
}

/** RFC 7638 thumbprint of a public JWK. */
export const thumbprint = (jwk: JWK): Promise<string> => calculateJwkThumbprint(jwk, 'sha256');

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/**
 * Produces the raw signature bytes for a JWS "alg" (RFC 7518). Unknown
 * algorithms (and "none") give an empty signature.
 */
export function signBytes(alg: string, key: KeyObject | Uint8Array, input: string): Buffer {
  const data = Buffer.from(input, 'ascii');
  const hash = HASH[alg.slice(2)];
  if (alg.startsWith('HS') && hash)
    return createHmac(hash, key as Uint8Array)
      .update(data)
      .digest();
  if (key instanceof Uint8Array) throw new Error(`${alg} needs an asymmetric key`);
  if (alg.startsWith('ES') && hash) return nodeSign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
  if (alg.startsWith('RS') && hash) return nodeSign(hash, data, key);
  if (alg.startsWith('PS') && hash) {
    return nodeSign(hash, data, {
      key,
      padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(alg.slice(2)) / 8,
    });
  }
  if (alg === 'EdDSA' || alg === 'Ed25519') return nodeSign(null, data, key);
  return Buffer.alloc(0);
}

/** A flattened JWS (RFC 7515 §7.2.2) over already-chosen header and payload bytes. */
export function flattenedJws(
  header: Record<string, unknown>,
  payload: Uint8Array | string | undefined,
  key: KeyObject | Uint8Array,
  alg = String(header.alg),
): { protected: string; payload: string; signature: string } {
  const protectedB64 = b64uJson(header);
  const payloadB64 = payload === undefined ? '' : b64u(payload);
  const signature = b64u(signBytes(alg, key, `${protectedB64}.${payloadB64}`));
  return { protected: protectedB64, payload: payloadB64, signature };
}

// ---------------------------------------------------------------- CSRs and certificates

export interface CsrOptions {
  /** Key the CSR carries; a fresh P-256 key by default. */
  key?: TestKey;
  commonName?: string;
  /** Extra SAN entries (e.g. { type: 'url', value: 'https://x' }). */
  extraSans?: x509.JsonGeneralName[];
}

/** A PKCS#10 CSR for DNS names and IP addresses (IPs are recognised by shape). */
export async function createCsr(names: string[], options: CsrOptions = {}): Promise<{ der: Uint8Array; key: TestKey }> {
  const key = options.key ?? (await generateKey('ec-p256'));
  const isIp = (n: string): boolean => /^[\d.]+$/.test(n) || n.includes(':');
  const sans: x509.JsonGeneralName[] = [
    ...names.map((n) => ({ type: (isIp(n) ? 'ip' : 'dns') as 'ip' | 'dns', value: n })),
    ...(options.extraSans ?? []),
  ];
  const algorithm =
    key.cryptoKeys.privateKey.algorithm.name === 'ECDSA'
      ? { name: 'ECDSA', hash: key.kind === 'ec-p384' ? 'SHA-384' : key.kind === 'ec-p521' ? 'SHA-512' : 'SHA-256' }
      : key.cryptoKeys.privateKey.algorithm.name === 'Ed25519'
        ? { name: 'Ed25519' }
        : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: options.commonName ? `CN=${options.commonName}` : undefined,
      keys: key.cryptoKeys as unknown as X509Keys,
      signingAlgorithm: algorithm,
      extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
    },
    webCrypto,
  );
  return { der: new Uint8Array(csr.rawData), key };
}

/** A self-signed certificate no ACME server issued (for revokeCert tests). */
export async function selfSignedCertificate(name = 'not-issued.test'): Promise<{ der: Uint8Array; key: TestKey }> {
  const key = await generateKey('ec-p256');
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: `CN=${name}`,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3600_000),
      keys: key.cryptoKeys as unknown as X509Keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }])],
    },
    webCrypto,
  );
  return { der: new Uint8Array(cert.rawData), key };
}

/** The certificates of a PEM chain, as DER. */
export function pemChainToDer(pem: string): Buffer[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) =>
    Buffer.from(block.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'),
  );
}

/** RFC 9773 §4.1 CertID: base64url(AKI keyIdentifier) "." base64url(serial DER integer content). */
export function certIdOf(certDer: Uint8Array): string {
  const cert = new x509.X509Certificate(certDer);
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  if (!aki) throw new Error('certificate has no authority key identifier');
  let serial = new X509Certificate(Buffer.from(certDer)).serialNumber.toLowerCase();
  if (serial.length % 2) serial = `0${serial}`;
  if (parseInt(serial.slice(0, 2), 16) >= 0x80) serial = `00${serial}`;
  return `${b64u(Buffer.from(aki, 'hex'))}.${b64u(Buffer.from(serial, 'hex'))}`;
}

// ---------------------------------------------------------------- HTTP

// Bodies are whatever the server sent; tests index into them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface AcmeResponse<T = any> {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON for JSON and problem+json responses, else the text. */
  body: T;
  raw: Buffer;
  location?: string;
  nonce?: string;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** How a request is signed and what of it is replaced (see AcmeTestClient.post). */
export interface PostOptions {
  /** Key that signs and whose jwk/kid is referenced; default the client's key. */
  key?: TestKey;
  /** "kid" (default once the client has an account), "jwk", "both" or "none". */
  keyRef?: 'kid' | 'jwk' | 'both' | 'none';
  /** The "kid" value; default the client's account URL. */
  kid?: string;
  /** Merged over the computed protected header; a member set to undefined is removed. */
  header?: Record<string, unknown>;
  /** Raw protected segment (replaces the encoded header; the signature covers it). */
  protectedB64?: string;
  /** Raw payload segment, exactly as sent (the signature covers it). */
  payloadB64?: string;
  /** Sign with this key/secret instead of `key` (the header still names `key`). */
  signingKey?: KeyObject | Uint8Array;
  /** Raw signature segment, or a function rewriting the computed one. */
  signature?: string | ((signature: string) => string);
  /** Adds an unprotected "header" member (RFC 8555 §6.2 forbids it). */
  unprotected?: Record<string, unknown>;
  /** Adds a general-serialization "signatures" array (RFC 8555 §6.2 forbids it). */
  signatures?: unknown[];
  /** Last rewrite of the JWS object before it is serialised. */
  transform?: (jws: Record<string, unknown>) => unknown;
  /** The body, sent as is; no JWS is built and no nonce is taken. */
  rawBody?: string | Buffer;
  /** Content-Type; null sends none. Default application/jose+json. */
  contentType?: string | null;
}

/** A payload: an object (JSON), "" (POST-as-GET), another string or bytes (sent as the payload bytes). */
export type Payload = object | string | Uint8Array;

export interface Directory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
  revokeCert: string;
  keyChange: string;
  renewalInfo?: string;
  meta?: { externalAccountRequired?: boolean; profiles?: Record<string, string>; termsOfService?: string };
}

export interface AcmeTestClientOptions {
  directoryUrl: string;
  /** An https.Agent trusting the server's root (TestRotor.agent). */
  agent: Agent;
  key?: TestKey;
  accountUrl?: string;
}

export interface Identifier {
  type: string;
  value: string;
}

/** Something that serves http-01 key authorizations (Http01Responder). */
export interface Http01Tokens {
  tokens: Map<string, string>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class AcmeTestClient {
  readonly directoryUrl: string;
  readonly agent: Agent;
  key!: TestKey;
  /** The account URL ("kid") once an account exists. */
  accountUrl?: string;
  private dir?: Directory;
  private readonly nonces: string[] = [];

  private constructor(options: AcmeTestClientOptions) {
    this.directoryUrl = options.directoryUrl;
    this.agent = options.agent;
    this.accountUrl = options.accountUrl;
  }

  static async create(options: AcmeTestClientOptions & { keyKind?: KeyKind }): Promise<AcmeTestClient> {
    const client = new AcmeTestClient(options);
    client.key = options.key ?? (await generateKey(options.keyKind ?? 'ec-p256'));
    return client;
  }

  /** A second client on the same server (its own key and nonce pool). */
  async sibling(key?: TestKey): Promise<AcmeTestClient> {
    const client = await AcmeTestClient.create({ directoryUrl: this.directoryUrl, agent: this.agent, key });
    client.dir = this.dir;
    return client;
  }

  // ---- transport

  async request(url: string, options: RawRequest = {}): Promise<AcmeResponse> {
    const target = new URL(url);
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers: Record<string, string> = { 'user-agent': 'rotor-acme-test-client', ...options.headers };
    if (body) headers['content-length'] = String(body.length);
    const res = await new Promise<{ status: number; headers: IncomingHttpHeaders; raw: Buffer }>((resolve, reject) => {
      const req = httpsRequest(target, { method: options.method ?? 'GET', headers, agent: this.agent }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (c: Buffer) => chunks.push(c));
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, raw: Buffer.concat(chunks) }),
        );
        incoming.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
    const nonce = res.headers['replay-nonce'] as string | undefined;
    if (nonce) this.nonces.push(nonce);
    const type = String(res.headers['content-type'] ?? '');
    let parsed: unknown = res.raw.toString('utf8');
    if (/json/.test(type) && res.raw.length) {
      try {
        parsed = JSON.parse(parsed as string);
      } catch {
        // keep the text: a test asserting on the body will show it
      }
    }
    return {
      status: res.status,
      headers: res.headers,
      body: parsed,
      raw: res.raw,
      location: res.headers.location,
      nonce,
    };
  }

  get(url: string): Promise<AcmeResponse> {
    return this.request(url);
  }

  async directory(): Promise<Directory> {
    if (!this.dir) {
      const res = await this.get(this.directoryUrl);
      if (res.status !== 200) throw new Error(`directory: HTTP ${res.status}`);
      this.dir = res.body as Directory;
    }
    return this.dir;
  }

  /** A nonce from the pool (every response's Replay-Nonce), else HEAD newNonce (RFC 8555 §7.2). */
  async nonce(): Promise<string> {
    const pooled = this.nonces.shift();
    if (pooled) return pooled;
    const res = await this.request((await this.directory()).newNonce, { method: 'HEAD' });
    this.nonces.length = 0;
    if (!res.nonce) throw new Error(`newNonce gave no Replay-Nonce (HTTP ${res.status})`);
    return res.nonce;
  }

  /** Builds the JWS body post() would send, without sending it. */
  async sign(url: string, payload: Payload, options: PostOptions = {}): Promise<Record<string, unknown>> {
    const key = options.key ?? this.key;
    const keyRef = options.keyRef ?? (this.accountUrl || options.kid ? 'kid' : 'jwk');
    const header: Record<string, unknown> = { alg: key.alg };
    if (keyRef === 'jwk' || keyRef === 'both') header.jwk = key.jwk;
    if (keyRef === 'kid' || keyRef === 'both') header.kid = options.kid ?? this.accountUrl;
    // Only take a nonce when the test does not supply (or remove) one.
    if (!options.header || !('nonce' in options.header)) header.nonce = await this.nonce();
    header.url = url;
    for (const [name, value] of Object.entries(options.header ?? {})) {
      if (value === undefined) delete header[name];
      else header[name] = value;
    }
    const protectedB64 = options.protectedB64 ?? b64uJson(header);
    const payloadB64 =
      options.payloadB64 ??
      (typeof payload === 'string' ? b64u(payload) : payload instanceof Uint8Array ? b64u(payload) : b64uJson(payload));
    let signature = b64u(
      signBytes(String(header.alg), options.signingKey ?? key.privateKey, `${protectedB64}.${payloadB64}`),
    );
    if (typeof options.signature === 'string') signature = options.signature;
    else if (options.signature) signature = options.signature(signature);
    const jws: Record<string, unknown> = { protected: protectedB64, payload: payloadB64, signature };
    if (options.unprotected) jws.header = options.unprotected;
    if (options.signatures) jws.signatures = options.signatures;
    return (options.transform ? options.transform(jws) : jws) as Record<string, unknown>;
  }

  /**
   * POSTs a signed request. payload: an object (JSON), '' (POST-as-GET,
   * RFC 8555 §6.3), another string or bytes (sent verbatim as the payload).
   */
  async post(url: string, payload: Payload, options: PostOptions = {}): Promise<AcmeResponse> {
    const body = options.rawBody ?? JSON.stringify(await this.sign(url, payload, options));
    const headers: Record<string, string> = {};
    if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/jose+json';
    return this.request(url, { method: 'POST', headers, body });
  }

  postAsGet(url: string, options: PostOptions = {}): Promise<AcmeResponse> {
    return this.post(url, '', options);
  }

  // ---- flows

  /** newAccount (RFC 8555 §7.3); remembers the account URL on 200/201. */
  async createAccount(payload: Record<string, unknown> = { termsOfServiceAgreed: true }, options: PostOptions = {}) {
    const res = await this.post((await this.directory()).newAccount, payload, { keyRef: 'jwk', ...options });
    if ((res.status === 201 || res.status === 200) && res.location && !options.key) this.accountUrl = res.location;
    return res;
  }

  /** newOrder; plain strings are DNS names (or IPs when they look like one). */
  async newOrder(
    identifiers: Array<string | Identifier>,
    extra: Record<string, unknown> = {},
    options: PostOptions = {},
  ) {
    const list = identifiers.map((i) =>
      typeof i === 'string' ? { type: /^[\d.]+$/.test(i) || i.includes(':') ? 'ip' : 'dns', value: i } : i,
    );
    return this.post((await this.directory()).newOrder, { identifiers: list, ...extra }, options);
  }

  async keyAuthorization(token: string, key: TestKey = this.key): Promise<string> {
    return `${token}.${await thumbprint(key.jwk)}`;
  }

  /** Answers the http-01 challenge of an authorization and waits until it settles (RFC 8555 §8.3). */
  async completeHttp01(authzUrl: string, responder: Http01Tokens, timeoutMs = 10_000): Promise<AcmeResponse> {
    const authz = await this.postAsGet(authzUrl);
    if (authz.status !== 200) throw new Error(`authz ${authzUrl}: HTTP ${authz.status} ${JSON.stringify(authz.body)}`);
    if (authz.body.status !== 'pending') return authz;
    const challenge = (authz.body.challenges as Array<{ type: string; url: string; token: string }>).find(
      (c) => c.type === 'http-01',
    );
    if (!challenge) throw new Error('no http-01 challenge');
    responder.tokens.set(challenge.token, await this.keyAuthorization(challenge.token));
    const answered = await this.post(challenge.url, {});
    if (answered.status !== 200) throw new Error(`challenge: HTTP ${answered.status} ${JSON.stringify(answered.body)}`);
    return this.poll(authzUrl, (s) => s !== 'pending', timeoutMs);
  }

  /** finalize (RFC 8555 §7.4) and wait for the order to leave "processing". */
  async finalize(orderUrl: string, csrDer: Uint8Array, timeoutMs = 10_000): Promise<AcmeResponse> {
    const order = await this.postAsGet(orderUrl);
    const res = await this.post(order.body.finalize, { csr: b64u(csrDer) });
    if (res.status !== 200 || res.body.status !== 'processing') return res;
    return this.poll(orderUrl, (s) => s !== 'processing', timeoutMs);
  }

  /** Certificate download by POST-as-GET (RFC 8555 §7.4.2): the PEM chain. */
  async downloadCert(certUrl: string): Promise<string> {
    const res = await this.postAsGet(certUrl);
    if (res.status !== 200) throw new Error(`certificate: HTTP ${res.status} ${res.body}`);
    return res.body as string;
  }

  /** Order → http-01 for every authorization → finalize → download. */
  async issue(names: string[], responder: Http01Tokens, extra: Record<string, unknown> = {}) {
    const order = await this.newOrder(names, extra);
    if (order.status !== 201) throw new Error(`newOrder: HTTP ${order.status} ${JSON.stringify(order.body)}`);
    const orderUrl = order.location as string;
    for (const authzUrl of order.body.authorizations as string[]) {
      const done = await this.completeHttp01(authzUrl, responder);
      if (done.body.status !== 'valid') throw new Error(`authorization ended ${JSON.stringify(done.body)}`);
    }
    const csr = await createCsr(names);
    const finalized = await this.finalize(orderUrl, csr.der);
    if (finalized.body.status !== 'valid') throw new Error(`finalize: ${JSON.stringify(finalized.body)}`);
    const certUrl = finalized.body.certificate as string;
    const chainPem = await this.downloadCert(certUrl);
    return { orderUrl, certUrl, chainPem, certDer: pemChainToDer(chainPem)[0], certKey: csr.key };
  }

  /** An externalAccountBinding (RFC 8555 §7.3.4) for this client's key. */
  async externalAccountBinding(
    kid: string,
    hmacKey: Uint8Array,
    overrides: { alg?: string; url?: string; jwk?: unknown; header?: Record<string, unknown> } = {},
  ) {
    const header: Record<string, unknown> = {
      alg: overrides.alg ?? 'HS256',
      kid,
      url: overrides.url ?? (await this.directory()).newAccount,
      ...overrides.header,
    };
    return flattenedJws(header, JSON.stringify(overrides.jwk ?? this.key.jwk), hmacKey);
  }

  /**
   * The inner JWS of a keyChange (RFC 8555 §7.3.5), signed by newKey unless
   * signingKey says otherwise.
   */
  async keyChangeInner(
    newKey: TestKey,
    overrides: {
      header?: Record<string, unknown>;
      account?: string;
      oldKey?: unknown;
      signingKey?: KeyObject;
    } = {},
  ) {
    const header: Record<string, unknown> = {
      alg: newKey.alg,
      jwk: newKey.jwk,
      url: (await this.directory()).keyChange,
    };
    for (const [name, value] of Object.entries(overrides.header ?? {})) {
      if (value === undefined) delete header[name];
      else header[name] = value;
    }
    const payload = {
      account: 'account' in overrides ? overrides.account : this.accountUrl,
      oldKey: 'oldKey' in overrides ? overrides.oldKey : this.key.jwk,
    };
    return flattenedJws(header, JSON.stringify(payload), overrides.signingKey ?? newKey.privateKey, newKey.alg);
  }

  private async poll(url: string, done: (status: string) => boolean, timeoutMs: number): Promise<AcmeResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.postAsGet(url);
      if (res.status !== 200 || done(res.body.status)) return res;
      if (Date.now() > deadline) throw new Error(`${url} still ${res.body.status} after ${timeoutMs} ms`);
      await sleep(25);
    }
  }
}

/** SHA-256 of DER, hex (handy to compare certificates). */
export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
