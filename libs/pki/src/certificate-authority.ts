import { createHash, createPrivateKey, createPublicKey, KeyObject, sign as nodeSign } from 'node:crypto';
import * as x509 from './x509';
import {
  CaKeyAlgorithm,
  IssuedCertificate,
  IssueOptions,
  LeafKeyType,
  ParsedCsr,
  PkiError,
  StoredCaMaterial,
} from './contracts';
import {
  algorithmParams,
  caAlgorithmOfKey,
  generateDerKeyPair,
  importSigningKey,
  KeySpec,
  keyIdentifierHex,
} from './ca-keys';
import { randomSerialHex, truncateToSecond } from './ca-hierarchy';
import { CrlRequest, CrlResult, buildCrl } from './crl';
import { classifySpki, spkiSha256 } from './csr';
import { getPkiCrypto, PkiCrypto, PkiCryptoKey } from './crypto-provider';
import { derToPem } from './encoding';
import { KeySealer } from './key-sealer';
import { derBitString, derTlv, readTlv, TAG } from './der';
import { leafSubject } from './leaf-profile';
import { LeafTemplate } from './leaf-template';
import { canonicalNames } from './names';

export interface CertificateAuthorityOptions {
  /** Where the intermediate certificate is published (AIA caIssuers, RFC 5280 §4.2.2.1). */
  aiaIssuerUrl: string;
  /** Where the CRL is published (cRLDistributionPoints, RFC 5280 §4.2.1.13). */
  crlUrl: string;
  /** Lifetime when the request names no notAfter. Default 24 h. */
  defaultLifetimeMs?: number;
  /** Longest lifetime accepted. Default 90 days. */
  maxLifetimeMs?: number;
  /** notBefore is backdated by this much unless given explicitly. Default 1 min. */
  clockSkewMs?: number;
  /** Injected clock for tests. */
  now?: () => Date;
}

const HOUR = 3600 * 1000;

/**
 * The online half of the hierarchy: signs leaves and CRLs with the intermediate
 * key. The key is unsealed once at open and lives in native memory only: as a
 * node:crypto KeyObject for leaves (nothing in this class exports it) and as a
 * non-extractable CryptoKey of the provider in effect at open time for CRLs.
 */
export class CertificateAuthority {
  readonly rootPem: string;
  readonly intermediatePem: string;
  /** base64url of the intermediate's SKI = the AKI keyIdentifier of every leaf (RFC 9773 CertID). */
  readonly intermediateAkiB64url: string;
  readonly algorithm: CaKeyAlgorithm;

  private readonly defaultLifetimeMs: number;
  private readonly maxLifetimeMs: number;
  private readonly clockSkewMs: number;
  private readonly now: () => Date;
  private readonly template: LeafTemplate;

  private constructor(
    material: StoredCaMaterial,
    private readonly crypto: PkiCrypto,
    private readonly signingKey: PkiCryptoKey,
    private readonly leafSigningKey: KeyObject,
    private readonly intermediate: x509.X509Certificate,
    private readonly intermediateSkiHex: string,
    options: CertificateAuthorityOptions,
  ) {
    this.algorithm = material.algorithm;
    this.rootPem = ensureNewline(material.rootCertPem);
    this.intermediatePem = ensureNewline(material.intermediateCertPem);
    this.intermediateAkiB64url = Buffer.from(intermediateSkiHex, 'hex').toString('base64url');
    this.defaultLifetimeMs = options.defaultLifetimeMs ?? 24 * HOUR;
    this.maxLifetimeMs = options.maxLifetimeMs ?? 90 * 24 * HOUR;
    this.clockSkewMs = options.clockSkewMs ?? 60 * 1000;
    this.now = options.now ?? (() => new Date());
    this.template = new LeafTemplate({
      algorithm: material.algorithm,
      issuerNameDer: new Uint8Array(intermediate.subjectName.toArrayBuffer()),
      authorityKeyIdHex: intermediateSkiHex,
      aiaIssuerUrl: options.aiaIssuerUrl,
      crlUrl: options.crlUrl,
    });
  }

  static async open(
    material: StoredCaMaterial,
    sealer: KeySealer,
    options: CertificateAuthorityOptions,
  ): Promise<CertificateAuthority> {
    const crypto = getPkiCrypto();
    let intermediate: x509.X509Certificate;
    try {
      intermediate = new x509.X509Certificate(material.intermediateCertPem);
    } catch {
      throw new PkiError('caUnavailable', 'stored intermediate certificate cannot be parsed');
    }
    const pkcs8 = sealer.unseal(material.intermediateKeySealed);
    const certSpki = Buffer.from(intermediate.publicKey.rawData);
    let keySpki: Buffer;
    let keyAlgorithm: CaKeyAlgorithm | undefined;
    let priv: KeyObject;
    try {
      priv = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
      keySpki = createPublicKey(priv).export({ type: 'spki', format: 'der' });
      keyAlgorithm = caAlgorithmOfKey(priv);
    } catch {
      throw new PkiError('caUnavailable', 'unsealed intermediate key is not a valid PKCS#8 key');
    }
    if (keyAlgorithm !== material.algorithm) {
      throw new PkiError(
        'caUnavailable',
        `stored CA algorithm ${material.algorithm} does not match the intermediate key (${keyAlgorithm ?? 'unsupported'})`,
      );
    }
    if (!keySpki.equals(certSpki)) {
      throw new PkiError('caUnavailable', 'intermediate key does not match the intermediate certificate');
    }
    let signingKey: PkiCryptoKey;
    try {
      signingKey = await importSigningKey(crypto, material.algorithm, pkcs8);
    } catch {
      throw new PkiError('caUnavailable', 'intermediate key cannot be loaded into the WebCrypto provider');
    } finally {
      pkcs8.fill(0); // the plaintext copy is no longer needed
    }
    const ski =
      intermediate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ??
      keyIdentifierHex(new Uint8Array(certSpki));
    return new CertificateAuthority(material, crypto, signingKey, priv, intermediate, ski, options);
  }

  get intermediateNotAfter(): Date {
    return this.intermediate.notAfter;
  }

  /** RFC 8555 §7.4 finalize: certify the CSR's key for exactly `options.names`. */
  async issueFromCsr(csr: ParsedCsr, options: IssueOptions): Promise<IssuedCertificate> {
    return this.sign(csr.spkiDer, csr.keyType, options, csr.spkiSha256);
  }

  /** Same profile for a key Rotor holds itself (e.g. its own HTTPS certificate). */
  async issueForPublicKey(key: Uint8Array | PkiCryptoKey, options: IssueOptions): Promise<IssuedCertificate> {
    const spkiDer = key instanceof Uint8Array ? key : await this.exportSpki(key);
    const keyType = classifySpki(spkiDer);
    // The SPKI is copied into the certificate as is: it must be exactly one DER element.
    if (!isSingleDerElement(spkiDer))
      throw new PkiError('badPublicKey', 'public key is not a single DER SubjectPublicKeyInfo');
    return this.sign(spkiDer, keyType, options);
  }

  /** RFC 5280 §5 CRL signed by the intermediate (the issuer of every leaf). */
  async generateCrl(request: CrlRequest): Promise<CrlResult> {
    return buildCrl(request, {
      crypto: this.crypto,
      issuer: this.intermediate.subjectName,
      signingKey: this.signingKey,
      signingAlgorithm: algorithmParams(this.algorithm).signingAlgorithm,
      authorityKeyIdHex: this.intermediateSkiHex,
    });
  }

  /** `spkiDigest`: spkiSha256(spkiDer) when the caller has it already (a parsed CSR does). */
  private async sign(
    spkiDer: Uint8Array,
    keyType: LeafKeyType,
    options: IssueOptions,
    spkiDigest = spkiSha256(spkiDer),
  ): Promise<IssuedCertificate> {
    const names = canonicalNames(options.names);
    if (names.dns.length + names.ip.length + names.uri.length === 0) {
      throw new PkiError('badCSR', 'a certificate needs at least one name');
    }
    const { notBefore, notAfter } = this.validity(options);
    const commonName = leafSubject(names);
    const serialHex = randomSerialHex(); // 17 octets, first in 0x01..0x7f: positive, no padding
    const tbs = this.template.tbs({
      serial: Buffer.from(serialHex, 'hex'),
      notBefore,
      notAfter,
      commonName,
      spkiDer,
      keyType,
      profile: options.profile,
      names,
    });
    const signature = await signWith(this.template.hash, tbs, this.leafSigningKey);
    // RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }.
    const der = derTlv(TAG.sequence, [tbs, this.template.signatureAlgorithmDer, derBitString(signature)]);
    const leafPem = derToPem(der, 'CERTIFICATE');
    return {
      serialHex,
      notBefore,
      notAfter,
      leafPem,
      chainPem: leafPem + this.intermediatePem,
      spkiSha256: spkiDigest,
      fingerprintSha256: createHash('sha256').update(der).digest('hex'),
      keyType,
      names,
      // Same text as @peculiar/x509's Name#toString; a canonical DNS name needs no RFC 4514 escaping.
      subject: commonName === undefined ? '' : `CN=${commonName}`,
      issuer: this.intermediate.subject,
    };
  }

  /** Validity policy; X.509 times have one-second resolution, so we truncate up front. */
  private validity(options: IssueOptions): { notBefore: Date; notAfter: Date } {
    const now = this.now();
    const start = options.notBefore ?? now;
    const notBefore = truncateToSecond(options.notBefore ?? new Date(now.getTime() - this.clockSkewMs));
    const notAfter = truncateToSecond(options.notAfter ?? new Date(start.getTime() + this.defaultLifetimeMs));
    if (notAfter.getTime() <= notBefore.getTime()) {
      throw new PkiError('badValidity', 'notAfter must be later than notBefore');
    }
    // The courtesy backdate does not count against the lifetime.
    if (notAfter.getTime() - truncateToSecond(start).getTime() > this.maxLifetimeMs) {
      throw new PkiError('badValidity', `lifetime exceeds the maximum of ${formatDuration(this.maxLifetimeMs)}`);
    }
    // RFC 5280 §6.1.3: a leaf outliving its issuer fails path validation after that date.
    if (notAfter > this.intermediate.notAfter) {
      throw new PkiError(
        'badValidity',
        `notAfter is later than the intermediate's notAfter (${this.intermediate.notAfter.toISOString()})`,
      );
    }
    if (notBefore < this.intermediate.notBefore) {
      throw new PkiError(
        'badValidity',
        `notBefore is earlier than the intermediate's notBefore (${this.intermediate.notBefore.toISOString()})`,
      );
    }
    return { notBefore, notAfter };
  }

  private async exportSpki(key: PkiCryptoKey): Promise<Uint8Array> {
    if (key.type !== 'public') {
      throw new PkiError('badPublicKey', 'a public key is required');
    }
    // The key may come from another WebCrypto implementation than the one we sign with.
    for (const c of [this.crypto, globalThis.crypto as PkiCrypto]) {
      try {
        return new Uint8Array(await c.subtle.exportKey('spki', key));
      } catch {
        /* try the next provider */
      }
    }
    throw new PkiError('badPublicKey', 'public key cannot be exported as SubjectPublicKeyInfo');
  }
}

export interface LeafKeyPair {
  /** PKCS#8 PEM: the caller writes it to disk (0600); it never passes through logs. */
  privateKeyPkcs8Pem: string;
  spkiDer: Uint8Array;
}

/** Generates a leaf key pair (e.g. for Rotor's own TLS listener). */
export async function generateLeafKeyPair(keyType: LeafKeyType = 'ecdsa-p256'): Promise<LeafKeyPair> {
  const spec: KeySpec =
    keyType === 'ed25519'
      ? { type: 'ed25519' }
      : keyType.startsWith('ecdsa')
        ? { type: 'ec', namedCurve: keyType === 'ecdsa-p256' ? 'P-256' : 'P-384' }
        : { type: 'rsa', modulusLength: Number(keyType.slice(4)) };
  const pair = await generateDerKeyPair(spec);
  const privateKeyPkcs8Pem = derToPem(pair.privateKey, 'PRIVATE KEY');
  pair.privateKey.fill(0);
  return { privateKeyPkcs8Pem, spkiDer: pair.publicKey };
}

/**
 * ECDSA signatures take tens of microseconds: signing inline beats a thread-pool
 * round trip. RSA takes milliseconds (4096-bit: several), so it goes to the pool
 * and the event loop keeps serving. node:crypto's default dsaEncoding is 'der',
 * the ECDSA-Sig-Value X.509 wants (RFC 5758 §3.2).
 */
function signWith(hash: 'sha256' | 'sha384', data: Uint8Array, key: KeyObject): Promise<Uint8Array> {
  if (key.asymmetricKeyType !== 'rsa') return Promise.resolve(nodeSign(hash, data, key));
  return new Promise((resolve, reject) =>
    nodeSign(hash, data, key, (err, signature) => (err ? reject(err) : resolve(signature))),
  );
}

function isSingleDerElement(der: Uint8Array): boolean {
  try {
    return readTlv(der, 0).end === der.length;
  } catch {
    return false;
  }
}

function ensureNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

function formatDuration(ms: number): string {
  return ms % (24 * HOUR) === 0 ? `${ms / (24 * HOUR)} days` : `${Math.round(ms / 1000)} s`;
}
