import * as x509 from './x509';
import { LeafKeyType, LeafProfile, SubjectNames } from './contracts';
import { keyIdentifierHex } from './ca-keys';

/**
 * The end-entity profile (RFC 5280 §4.2 for each extension, shaped after the
 * CA/Browser Forum baseline profile for subscriber certificates).
 */

/** ub-common-name (RFC 5280 Appendix A.1): a CN longer than 64 characters cannot be encoded. */
const MAX_CN = 64;

/** CN = first DNS name that fits; none when only IPs/URIs (names live in the SAN anyway). */
export function leafSubject(names: SubjectNames): string | undefined {
  return names.dns.find((n) => n.length <= MAX_CN);
}

export const PROFILE_EKUS: Record<LeafProfile, string[]> = {
  server: [x509.ExtendedKeyUsage.serverAuth],
  client: [x509.ExtendedKeyUsage.clientAuth],
  mtls: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
};

export interface LeafProfileConfig {
  authorityKeyIdHex: string;
  aiaIssuerUrl: string;
  crlUrl: string;
}

export interface LeafExtensionInput {
  spkiDer: Uint8Array;
  keyType: LeafKeyType;
  profile: LeafProfile;
  names: SubjectNames;
  hasSubject: boolean;
}

/**
 * Builds leaf extensions. Everything that does not depend on the request is
 * encoded once per CA: the ASN.1 encoder, not the signature, dominates the
 * cost of an issuance.
 */
export class LeafExtensionFactory {
  // RFC 5280 §4.2.1.9: end entities are marked cA=FALSE; critical so no one chains through them.
  private readonly basicConstraints = new x509.BasicConstraintsExtension(false, undefined, true);
  // RFC 5280 §4.2.1.3: RSA keys used in TLS key transport also need keyEncipherment;
  // EC and Ed25519 keys only sign.
  private readonly keyUsageSign = new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true);
  private readonly keyUsageRsa = new x509.KeyUsagesExtension(
    x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    true,
  );
  private readonly eku: Record<LeafProfile, x509.Extension>;
  private readonly tail: x509.Extension[];

  constructor(config: LeafProfileConfig) {
    this.eku = {
      server: new x509.ExtendedKeyUsageExtension(PROFILE_EKUS.server, false),
      client: new x509.ExtendedKeyUsageExtension(PROFILE_EKUS.client, false),
      mtls: new x509.ExtendedKeyUsageExtension(PROFILE_EKUS.mtls, false),
    };
    this.tail = [
      // RFC 5280 §4.2.1.1: keyIdentifier = issuer's SKI; RFC 9773 builds ARI CertIDs from it.
      new x509.AuthorityKeyIdentifierExtension(config.authorityKeyIdHex),
      // RFC 5280 §4.2.2.1 caIssuers lets clients fetch a missing intermediate.
      new x509.AuthorityInfoAccessExtension({ caIssuers: config.aiaIssuerUrl }),
      // RFC 5280 §4.2.1.13.
      new x509.CRLDistributionPointsExtension([config.crlUrl]),
    ];
  }

  /**
   * DER of the extensions that precede the SAN for this key type and profile
   * (basicConstraints, keyUsage, extKeyUsage), in the order `build` emits them.
   */
  head(keyType: LeafKeyType, profile: LeafProfile): Uint8Array[] {
    return [
      this.basicConstraints,
      keyType.startsWith('rsa') ? this.keyUsageRsa : this.keyUsageSign,
      this.eku[profile],
    ].map((e) => new Uint8Array(e.rawData));
  }

  /** DER of the extensions after SAN and SKI (AKI, AIA, CRL distribution points). */
  tailDer(): Uint8Array[] {
    return this.tail.map((e) => new Uint8Array(e.rawData));
  }

  /**
   * The full extension list as @peculiar/x509 objects. The issuance path uses
   * LeafTemplate instead; this stays as the reference its output is checked against.
   */
  build(input: LeafExtensionInput): x509.Extension[] {
    const san: x509.JsonGeneralNames = [
      ...input.names.dns.map((value) => ({ type: 'dns' as const, value })),
      ...input.names.ip.map((value) => ({ type: 'ip' as const, value })),
      ...input.names.uri.map((value) => ({ type: 'url' as const, value })),
    ];
    return [
      this.basicConstraints,
      input.keyType.startsWith('rsa') ? this.keyUsageRsa : this.keyUsageSign,
      this.eku[input.profile],
      // RFC 5280 §4.2.1.6: with an empty subject the SAN MUST be critical.
      new x509.SubjectAlternativeNameExtension(san, !input.hasSubject),
      new x509.SubjectKeyIdentifierExtension(keyIdentifierHex(input.spkiDer)),
      ...this.tail,
    ];
  }
}
