import { ImportedSpki } from './spki';

/**
 * What parseCsr (csr.ts) reads from a PKCS#10 CertificationRequest (RFC 2986
 * §4), whichever decoder produced it: the strict DER fast path (csr-der.ts)
 * or @peculiar/asn1-csr (csr-peculiar.ts). The policy checks run on this, so
 * both decoders lead to the same answers and the same errors.
 */
export interface CsrFields {
  /** The CertificationRequestInfo exactly as received: what the signature covers (RFC 2986 §4.2). */
  signed: Uint8Array;
  signatureAlgorithm: CsrSignatureAlgorithm;
  signature: Uint8Array;
  /** Loads the subject public key; throws (any error) when it cannot be loaded. */
  importKey(): ImportedSpki;
  /**
   * The names, read only once the signature has been checked; throws
   * PkiError('badCSR') when the extension request cannot be decoded.
   */
  names(): CsrNames;
}

export interface CsrSignatureAlgorithm {
  /** Dotted OID. */
  algorithm: string;
  /** DER of the parameters; null for NULL, undefined when absent (as @peculiar/asn1-x509 has them). */
  parameters?: ArrayBuffer | null;
}

/** A subjectAltName GeneralName (RFC 5280 §4.2.1.6), as far as the policy tells them apart. */
export type CsrGeneralName =
  | { kind: 'dns'; value: string }
  /** Address text (the policy normalises it); for octets other than 4 or 16, IpConverter's text. */
  | { kind: 'ip'; value: string }
  | { kind: 'uri'; value: string }
  /** Any other choice; `type` names it in the error message. */
  | { kind: 'other'; type: string };

export interface CsrNames {
  /** One list per subjectAltName extension in the first extensionRequest (RFC 2985 §5.4.2). */
  subjectAltNames: CsrGeneralName[][];
  /** Every commonName attribute value of the subject, in order. */
  commonNames: string[];
}
