import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { PkiError } from './contracts';
import { CsrFields, CsrGeneralName, CsrNames } from './csr-fields';
import { importSpki } from './spki';

/**
 * The general CSR decoder: @peculiar/asn1-csr on asn1js. It takes what the
 * strict DER fast path (csr-der.ts) leaves: BER encodings, unusual types and
 * malformed input, and so decides every error parseCsr reports about the
 * encoding. asn1js is lenient: it accepts, among others, trailing octets
 * after the request, indefinite and non-minimal lengths and extra elements,
 * as Rotor always has (the signature is still checked over the octets received).
 */

const OID_CN = '2.5.4.3';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14'; // PKCS #9 (RFC 2985 §5.4.2)

export function decodeCsrWithPeculiar(der: Uint8Array): CsrFields {
  let csr: CertificationRequest;
  try {
    csr = AsnConvert.parse(der, CertificationRequest);
  } catch {
    throw new PkiError('badCSR', 'CSR is not a valid DER-encoded PKCS#10 request');
  }
  const signed = csr.certificationRequestInfoRaw;
  if (!signed) throw new PkiError('badCSR', 'CSR is not a valid DER-encoded PKCS#10 request');
  return {
    signed: new Uint8Array(signed),
    signatureAlgorithm: csr.signatureAlgorithm,
    signature: new Uint8Array(csr.signature),
    // Canonical DER, so that the digest compared with the account key (RFC 8555 §11.1)
    // and the SPKI copied into the certificate are DER whatever the client sent.
    importKey: () => importSpki(csr.certificationRequestInfo.subjectPKInfo),
    names: () => names(csr),
  };
}

function names(csr: CertificationRequest): CsrNames {
  let sanExts: asn.SubjectAlternativeName[];
  try {
    // Like @peculiar/x509 before: the first extensionRequest attribute's first value.
    const attribute = csr.certificationRequestInfo.attributes.find((a) => a.type === OID_EXTENSION_REQUEST);
    const extensions = attribute?.values[0] ? AsnConvert.parse(attribute.values[0], asn.Extensions) : [];
    sanExts = extensions
      .filter((e) => e.extnID === asn.id_ce_subjectAltName)
      .map((e) => AsnConvert.parse(e.extnValue.buffer, asn.SubjectAlternativeName));
  } catch {
    throw new PkiError('badCSR', 'CSR subjectAltName extension cannot be parsed');
  }
  const commonNames: string[] = [];
  for (const rdn of csr.certificationRequestInfo.subject) {
    for (const attribute of rdn) {
      if (attribute.type === OID_CN) commonNames.push(attribute.value.toString());
    }
  }
  return { subjectAltNames: sanExts.map((san) => san.map(generalName)), commonNames };
}

function generalName(gn: asn.GeneralName): CsrGeneralName {
  if (gn.dNSName !== undefined) return { kind: 'dns', value: gn.dNSName };
  if (gn.iPAddress !== undefined) return { kind: 'ip', value: gn.iPAddress };
  if (gn.uniformResourceIdentifier !== undefined) return { kind: 'uri', value: gn.uniformResourceIdentifier };
  return { kind: 'other', type: generalNameType(gn) };
}

/** The names @peculiar/x509 uses for GeneralName choices, for error messages. */
function generalNameType(gn: asn.GeneralName): string {
  if (gn.rfc822Name !== undefined) return 'email';
  if (gn.directoryName !== undefined) return 'dn';
  if (gn.registeredID !== undefined) return 'id';
  if (gn.otherName !== undefined) return 'otherName';
  return 'unknown';
}
