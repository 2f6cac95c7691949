/**
 * Test-only helpers (imported by *.spec.ts and the sign benchmark, never by
 * production code): build keys and PKCS#10 requests the way ACME clients do.
 */
import { generateKeyPairSync, KeyObject, webcrypto } from 'node:crypto';
import * as x509 from './x509';
import { SubjectNames } from './contracts';

export type TestKeySpec =
  | { kind: 'ec'; curve: 'P-256' | 'P-384' | 'P-521' | 'secp256k1' }
  | { kind: 'rsa'; bits: number }
  | { kind: 'ed25519' }
  | { kind: 'ed448' };

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  spkiDer: Uint8Array;
}

export function makeTestKey(spec: TestKeySpec): TestKey {
  const pair =
    spec.kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: spec.curve })
      : spec.kind === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: spec.bits })
        : spec.kind === 'ed25519'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('ed448');
  return {
    ...pair,
    spkiDer: new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' })),
  };
}

function signingAlgorithmFor(key: KeyObject): { name: string; hash?: string } {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return {
        name: 'ECDSA',
        hash: key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'SHA-384' : 'SHA-256',
      };
    case 'rsa':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    default:
      return { name: 'Ed25519' };
  }
}

/** A CSR signed by `key`, with `names` in the extensionRequest and an optional CN. */
export async function makeCsrDer(key: TestKey, names: Partial<SubjectNames>, commonName?: string): Promise<Uint8Array> {
  const alg = signingAlgorithmFor(key.privateKey);
  const importAlg =
    alg.name === 'ECDSA'
      ? {
          name: 'ECDSA',
          namedCurve: key.privateKey.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256',
        }
      : alg.name === 'Ed25519'
        ? { name: 'Ed25519' }
        : { name: alg.name, hash: 'SHA-256' };
  const subtle = webcrypto.subtle;
  const privateKey = await subtle.importKey(
    'pkcs8',
    key.privateKey.export({ type: 'pkcs8', format: 'der' }),
    importAlg,
    false,
    ['sign'],
  );
  const publicKey = await subtle.importKey('spki', key.spkiDer, importAlg, true, ['verify']);
  const san: x509.JsonGeneralNames = [
    ...(names.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(names.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(names.uri ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: commonName ? [{ CN: [commonName] }] : undefined,
      keys: { privateKey, publicKey } as never,
      signingAlgorithm: alg,
      extensions: san.length ? [new x509.SubjectAlternativeNameExtension(san)] : [],
    },
    webcrypto as never,
  );
  return new Uint8Array(csr.rawData);
}

/** Flips one bit inside the signed part, keeping the DER well formed. */
export function tamperCsr(der: Uint8Array): Uint8Array {
  const copy = new Uint8Array(der);
  const needle = Buffer.from('example', 'utf8');
  const at = Buffer.from(copy).indexOf(needle);
  copy[at >= 0 ? at : 40] ^= 0x01;
  return copy;
}

/** Runs openssl when it is installed; undefined otherwise so tests can skip the cross-check. */
export function openssl(
  args: string[],
  files: Record<string, string | Uint8Array> = {},
): { ok: boolean; out: string } | undefined {
  // Lazy requires keep node:child_process and tmp dirs out of non-test code paths.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cp = require('node:child_process') as typeof import('node:child_process');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fsm = require('node:fs') as typeof import('node:fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('node:os') as typeof import('node:os');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pathm = require('node:path') as typeof import('node:path');
  if (cp.spawnSync('openssl', ['version']).status !== 0) return undefined;
  const dir = fsm.mkdtempSync(pathm.join(os.tmpdir(), 'rotor-pki-'));
  try {
    for (const [name, content] of Object.entries(files)) fsm.writeFileSync(pathm.join(dir, name), content);
    const res = cp.spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    return { ok: res.status === 0, out: `${res.stdout}${res.stderr}` };
  } finally {
    fsm.rmSync(dir, { recursive: true, force: true });
  }
}
