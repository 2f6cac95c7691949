import * as x509 from './x509';
import { RevocationReason, RevokedEntry } from './contracts';
import { PkiCrypto, PkiCryptoKey } from './crypto-provider';
import { derNonNegativeInteger, derToPem, normalizeSerialHex } from './encoding';

export interface CrlRequest {
  revoked: RevokedEntry[];
  thisUpdate: Date;
  nextUpdate: Date;
  /** RFC 5280 §5.2.3: monotonically increasing, at most 20 octets. */
  crlNumber: bigint | number;
}

export interface CrlResult {
  der: Uint8Array;
  pem: string;
}

export interface CrlSigner {
  crypto: PkiCrypto;
  issuer: x509.Name;
  signingKey: PkiCryptoKey;
  signingAlgorithm: { name: string; hash?: string };
  authorityKeyIdHex: string;
}

/** RFC 5280 §5.3.1: value 7 is unused; everything else in the contract is accepted. */
const REASONS: ReadonlySet<number> = new Set<RevocationReason>([0, 1, 2, 3, 4, 5, 6, 8, 9, 10]);
const MAX_CRL_NUMBER = (1n << 159n) - 1n; // 20 octets, positive

export function isRevocationReason(value: number): value is RevocationReason {
  return REASONS.has(value);
}

export async function buildCrl(request: CrlRequest, signer: CrlSigner): Promise<CrlResult> {
  const crlNumber = BigInt(request.crlNumber);
  if (crlNumber < 0n || crlNumber > MAX_CRL_NUMBER) {
    throw new RangeError('crlNumber must be a non-negative integer of at most 20 octets (RFC 5280 §5.2.3)');
  }
  if (request.nextUpdate <= request.thisUpdate) {
    throw new RangeError('nextUpdate must be later than thisUpdate (RFC 5280 §5.1.2.5)');
  }
  const seen = new Set<string>();
  const entries: x509.X509CrlEntryParams[] = [];
  for (const entry of request.revoked) {
    if (!isRevocationReason(entry.reason)) {
      // A programming error: callers validate client input with isRevocationReason first
      // (RFC 8555 §7.6 maps a bad reason to badRevocationReason at the protocol layer).
      throw new RangeError(`revocation reason ${String(entry.reason)} is not defined by RFC 5280 §5.3.1`);
    }
    const serial = normalizeSerialHex(entry.serialHex);
    if (seen.has(serial)) continue; // one entry per certificate; a duplicate row adds nothing
    seen.add(serial);
    entries.push({
      serialNumber: serial,
      revocationDate: entry.revokedAt,
      // RFC 5280 §5.3.1: "unspecified (0)" SHOULD be expressed by omitting the extension;
      // the generator omits it for 0.
      reason: entry.reason as number as x509.X509CrlReason,
    });
  }
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: signer.issuer,
      thisUpdate: request.thisUpdate,
      nextUpdate: request.nextUpdate,
      signingKey: signer.signingKey,
      signingAlgorithm: signer.signingAlgorithm,
      entries,
      extensions: [
        // RFC 5280 §5.2.1 and §5.2.3: conforming CRL issuers MUST include AKI and CRL number.
        new x509.AuthorityKeyIdentifierExtension(signer.authorityKeyIdHex),
        new x509.Extension('2.5.29.20', false, derNonNegativeInteger(crlNumber)),
      ],
    },
    signer.crypto,
  );
  const der = new Uint8Array(crl.rawData);
  return { der, pem: derToPem(der, 'X509 CRL') };
}
