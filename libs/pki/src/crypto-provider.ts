import { webcrypto } from 'node:crypto';
import * as x509 from './x509';
import { Crypto as PeculiarCrypto } from '@peculiar/webcrypto';

/**
 * Which WebCrypto implementation @peculiar/x509 signs and verifies with: CA
 * creation and import, and CRLs. The per-issuance paths (leaf signing in
 * LeafTemplate + CertificateAuthority, CSR verification in csr.ts) use
 * node:crypto directly and do not depend on this choice.
 *
 * - `native`: Node's built-in `globalThis.crypto` (OpenSSL underneath). The default.
 * - `peculiar`: `@peculiar/webcrypto`, a pure-JS WebCrypto facade over node:crypto,
 *   kept selectable so the sign benchmark can compare both in one run.
 *
 * The choice is process-wide (x509.cryptoProvider is a singleton), so it is made
 * once at boot. A CertificateAuthority captures the provider it was opened with,
 * because CryptoKeys cannot move between implementations.
 */
export type PkiCryptoName = 'native' | 'peculiar';

/** Node's WebCrypto type; the global DOM `Crypto` type is not in our lib set. */
export type PkiCrypto = webcrypto.Crypto;
export type PkiCryptoKey = webcrypto.CryptoKey;

let currentName: PkiCryptoName | undefined;
let peculiarInstance: PkiCrypto | undefined;

function resolve(name: PkiCryptoName): PkiCrypto {
  if (name === 'native') {
    return globalThis.crypto as PkiCrypto;
  }
  peculiarInstance ??= new PeculiarCrypto() as unknown as PkiCrypto;
  return peculiarInstance;
}

/** Selects the WebCrypto implementation for all later PKI operations. */
export function usePkiCrypto(name: PkiCryptoName = 'native'): PkiCrypto {
  const impl = resolve(name);
  x509.cryptoProvider.set(impl);
  currentName = name;
  return impl;
}

/** The provider in effect; selects `native` on first use if nobody chose. */
export function getPkiCrypto(): PkiCrypto {
  if (!currentName) {
    return usePkiCrypto('native');
  }
  return resolve(currentName);
}

export function currentPkiCryptoName(): PkiCryptoName {
  if (!currentName) {
    usePkiCrypto('native');
  }
  return currentName as PkiCryptoName;
}
