import { X509Certificate } from 'node:crypto';
import { AcmeProblem, CertificateIssuer, CertificateSummary, CsrSummary, Problems } from '@rotor/acme';
import { CertificateAuthority, ParsedCsr, PkiError, parseCsr, spkiSha256 } from '@rotor/pki';

/** Maps PKI errors onto ACME problem types (RFC 8555 §6.7); causes stay server-side. */
function toProblem(error: unknown): AcmeProblem {
  if (error instanceof AcmeProblem) return error;
  if (error instanceof PkiError) {
    switch (error.code) {
      case 'badCSR':
        return Problems.badCSR(error.message);
      case 'badPublicKey':
        // RFC 8555 §6.7: badCSR is "the CSR is unacceptable (e.g., due to a short key)";
        // badPublicKey is about the JWS key, which the PKI never sees.
        return Problems.badCSR(error.message);
      case 'badValidity':
        return Problems.malformed(error.message);
      default:
        return Problems.serverInternal('the CA is unavailable', { cause: error });
    }
  }
  return Problems.serverInternal('the CA could not process the request', { cause: error });
}

/** The ACME layer's view of the CA (libs/acme declares the port, libs/pki does the work). */
export class PkiCertificateIssuer implements CertificateIssuer {
  readonly authorityKeyIdB64url: string;
  private readonly intermediate: X509Certificate;

  constructor(private readonly ca: CertificateAuthority) {
    this.authorityKeyIdB64url = ca.intermediateAkiB64url;
    this.intermediate = new X509Certificate(ca.intermediatePem);
  }

  async inspectCsr(der: Uint8Array): Promise<CsrSummary> {
    try {
      const csr = await parseCsr(der);
      // The CN, if present, is one of the requested names (RFC 8555 §7.4 counts it too).
      const dns = new Set(csr.names.dns);
      if (csr.commonName && !csr.names.ip.includes(csr.commonName)) dns.add(csr.commonName.toLowerCase());
      return {
        dnsNames: [...dns],
        ipAddresses: csr.names.ip,
        uris: csr.names.uri,
        spkiSha256: csr.spkiSha256,
        parsed: csr,
      };
    } catch (error) {
      throw toProblem(error);
    }
  }

  async inspectCertificate(der: Uint8Array): Promise<CertificateSummary> {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(Buffer.from(der));
    } catch {
      throw Problems.malformed('"certificate" is not a DER X.509 certificate');
    }
    const serialHex = cert.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '');
    try {
      if (!cert.checkIssued(this.intermediate) || !cert.verify(this.intermediate.publicKey)) {
        return { serialHex, spkiSha256: '', issuedByUs: false };
      }
      const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
      return { serialHex, spkiSha256: spkiSha256(new Uint8Array(spki)), issuedByUs: true };
    } catch {
      // A key algorithm Node cannot load: certainly not one of ours.
      return { serialHex, spkiSha256: '', issuedByUs: false };
    }
  }

  async issue(
    input: Parameters<CertificateIssuer['issue']>[0],
    request: Parameters<CertificateIssuer['issue']>[1],
  ): ReturnType<CertificateIssuer['issue']> {
    try {
      const csr = (input.inspected?.parsed as ParsedCsr | undefined) ?? (await parseCsr(input.der));
      const issued = await this.ca.issueFromCsr(csr, {
        profile: request.usage,
        names: {
          dns: request.identifiers.filter((i) => i.type === 'dns').map((i) => i.value),
          ip: request.identifiers.filter((i) => i.type === 'ip').map((i) => i.value),
          uri: [],
        },
        notBefore: request.notBefore !== undefined ? new Date(request.notBefore) : undefined,
        notAfter: new Date(request.notAfter),
      });
      return {
        id: issued.serialHex,
        chainPem: issued.chainPem,
        notBefore: issued.notBefore.getTime(),
        notAfter: issued.notAfter.getTime(),
        spkiSha256: issued.spkiSha256,
        fingerprintSha256: issued.fingerprintSha256,
        keyType: issued.keyType,
        profile: request.profile,
        subject: issued.subject,
        issuer: issued.issuer,
      };
    } catch (error) {
      throw toProblem(error);
    }
  }
}
