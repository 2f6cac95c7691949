/**
 * Interop support: reads ACME resources (orders, authorizations) with the
 * account key a real client created, by POST-as-GET (RFC 8555 §6.3), so a
 * case can check what the server recorded after the client gave up — e.g.
 * that a failed order really ended "invalid". Reads only; never mutates.
 */
import { createPrivateKey, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

export interface ClientAccount {
  key: KeyObject;
  /** The account URL ("kid", RFC 8555 §6.2). */
  url: string;
}

export interface AcmeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

function findFiles(dir: string, name: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return findFiles(path, name);
    return entry === name ? [path] : [];
  });
}

/** The single account certbot keeps under --config-dir (accounts/<server>/<id>/{regr,private_key}.json). */
export function certbotAccount(configDir: string): ClientAccount {
  const [regr, ...more] = findFiles(join(configDir, 'accounts'), 'regr.json');
  if (!regr || more.length)
    throw new Error(`expected one certbot account under ${configDir}, found ${more.length + (regr ? 1 : 0)}`);
  const jwk = JSON.parse(readFileSync(join(regr, '..', 'private_key.json'), 'utf8')) as JsonWebKey;
  const { uri } = JSON.parse(readFileSync(regr, 'utf8')) as { uri: string };
  return { key: createPrivateKey({ key: jwk, format: 'jwk' }), url: uri };
}

/** The single account lego keeps under --path (accounts/<server>/<email>/{account.json,keys/<email>.key}). */
export function legoAccount(legoPath: string): ClientAccount {
  const [accountJson, ...more] = findFiles(join(legoPath, 'accounts'), 'account.json');
  if (!accountJson || more.length) throw new Error(`expected one lego account under ${legoPath}`);
  const account = JSON.parse(readFileSync(accountJson, 'utf8')) as { email: string; registration: { uri: string } };
  const keyPem = readFileSync(join(accountJson, '..', 'keys', `${account.email}.key`), 'utf8');
  return { key: createPrivateKey(keyPem), url: account.registration.uri };
}

const b64u = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function jwsAlg(key: KeyObject): { alg: string; hash: string } {
  if (key.asymmetricKeyType === 'rsa') return { alg: 'RS256', hash: 'sha256' };
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'prime256v1') return { alg: 'ES256', hash: 'sha256' };
  if (curve === 'secp384r1') return { alg: 'ES384', hash: 'sha384' };
  throw new Error(`unsupported account key ${key.asymmetricKeyType}/${curve}`);
}

function httpsRequest(
  url: string,
  rootPem: string,
  method: string,
  body?: string,
): Promise<{ status: number; headers: AcmeResponse['headers']; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: rootPem,
        agent: false,
        headers: body === undefined ? {} : { 'content-type': 'application/jose+json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export class AcmeReader {
  private newNonceUrl?: string;

  constructor(
    private readonly directoryUrl: string,
    private readonly rootPem: string,
  ) {}

  private async nonce(): Promise<string> {
    if (!this.newNonceUrl) {
      const dir = await httpsRequest(this.directoryUrl, this.rootPem, 'GET');
      this.newNonceUrl = (JSON.parse(dir.text) as { newNonce: string }).newNonce;
    }
    const res = await httpsRequest(this.newNonceUrl, this.rootPem, 'HEAD');
    const nonce = res.headers['replay-nonce'];
    if (typeof nonce !== 'string') throw new Error(`HEAD newNonce: no Replay-Nonce (HTTP ${res.status})`);
    return nonce;
  }

  /** POST-as-GET: a JWS with an empty payload, signed with the account key and its kid (RFC 8555 §6.3). */
  async read(url: string, account: ClientAccount): Promise<AcmeResponse> {
    const { alg, hash } = jwsAlg(account.key);
    for (let attempt = 0; ; attempt++) {
      const protectedHeader = b64u(JSON.stringify({ alg, kid: account.url, nonce: await this.nonce(), url }));
      const signature = sign(hash, Buffer.from(`${protectedHeader}.`), { key: account.key, dsaEncoding: 'ieee-p1363' });
      const res = await httpsRequest(
        url,
        this.rootPem,
        'POST',
        JSON.stringify({ protected: protectedHeader, payload: '', signature: b64u(signature) }),
      );
      const body: unknown = res.text ? JSON.parse(res.text) : undefined;
      // RFC 8555 §6.5: a client retries once with a fresh nonce after badNonce.
      if (attempt === 0 && (body as { type?: string } | undefined)?.type === 'urn:ietf:params:acme:error:badNonce') {
        continue;
      }
      return { status: res.status, headers: res.headers, body };
    }
  }
}
